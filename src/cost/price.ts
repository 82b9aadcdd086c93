import type { Comm, LayerGraph, Split } from '../graph/types.js';
import { allGatherSeconds, allReduceSeconds, allToAllSeconds, sendRecvSeconds } from './collective.js';
import { attentionCost, elementwiseSeconds, gemmCost, type Device, type OpCost } from './roofline.js';
import { place, type Fabric } from './topology.js';

/** The priced operators of one layer's forward pass (and the backward where the load trains). */
export interface PricedOps {
  /** All GEMMs of the layer: summed roofline components and time. */
  gemm: OpCost;
  attnFwd: OpCost;
  attnBwd: OpCost;
  /** Element-wise kernels, forward and backward, seconds (memory-bound). */
  ewFwd: number;
  ewBwd: number;
  /** Memory time of the element-wise traffic alone (no launch overhead), forward. */
  ewMemory: number;
  /** Hardware FLOPs of the forward pass. */
  flops: number;
}

export function priceOps(g: LayerGraph, d: Device): PricedOps {
  let compute = 0;
  let memory = 0;
  let seconds = 0;
  let flops = g.attention.flops;
  for (const x of g.gemms) {
    const c = gemmCost(x, d);
    compute += c.compute;
    memory += c.memory;
    seconds += c.seconds;
    flops += 2 * x.m * x.n * x.k * x.count;
  }
  const att = attentionCost(g.attention, d);
  const k = g.elementwiseKernels;
  return {
    gemm: { compute, memory, seconds },
    attnFwd: att.fwd,
    attnBwd: att.bwd,
    ewFwd: elementwiseSeconds(g.elementwiseBytes, k, d),
    ewBwd: elementwiseSeconds(2 * g.elementwiseBytes, Math.round(1.5 * k), d),
    ewMemory: elementwiseSeconds(g.elementwiseBytes, 0, d),
    flops,
  };
}

/** Communication of one forward pass by parallel group: seconds (before any overlap) and logical bytes. */
export interface PricedComms {
  tp: number;
  cp: number;
  ep: number;
  tpBytes: number;
  cpBytes: number;
  epBytes: number;
}

/** Prices a list of collectives on the fabric: TP groups are adjacent ranks, CP groups stride over TP, EP groups adjacent. */
export function priceComms(comms: Comm[], s: Split, f: Fabric, dispatcher: 'alltoall' | 'deepep' | 'hybridep' = 'alltoall'): PricedComms {
  const tpPl = place(s.tp, 1, f);
  const cpPl = place(s.cp, s.tp, f);
  const epPl = place(s.ep, 1, f);
  const r: PricedComms = { tp: 0, cp: 0, ep: 0, tpBytes: 0, cpBytes: 0, epBytes: 0 };
  for (const c of comms) {
    switch (c.kind) {
      case 'tp_allgather':
      case 'tp_reducescatter':
        r.tp += c.count * allGatherSeconds(c.bytes, tpPl, f);
        r.tpBytes += c.count * c.bytes;
        break;
      case 'tp_allreduce':
        r.tp += c.count * allReduceSeconds(c.bytes, tpPl, f);
        r.tpBytes += c.count * c.bytes;
        break;
      case 'cp_sendrecv':
        r.cp += c.count * sendRecvSeconds(c.bytes / c.count, cpPl.nodes > 1, f);
        r.cpBytes += c.bytes;
        break;
      case 'ep_alltoall':
        r.ep += c.count * allToAllSeconds(c.bytes, epPl, f, dispatcher);
        r.epBytes += c.count * c.bytes;
        break;
    }
  }
  return r;
}
