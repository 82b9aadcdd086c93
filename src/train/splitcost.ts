import { calibration, type Calibration } from '../cost/calibration.js';
import { allGatherSeconds, allReduceSeconds, allToAllSeconds, sendRecvSeconds } from '../cost/collective.js';
import { attentionSeconds, deviceFor, elementwiseSeconds, gemmSeconds, type Device } from '../cost/roofline.js';
import { fabricFor, place, type Fabric } from '../cost/topology.js';
import { headGraph, layerGraph, type LayerGraph, type Split } from '../graph/layer.js';
import type { TrainJob } from './types.js';
import { overlapped } from './assemble.js';

/**
 * Everything about one micro-batch that depends only on (tp, cp, ep, sp, mbs, precision):
 * the priced layer graph summed over all layers, and the output head. The per-plan
 * assembly (pipeline, data parallel, ZeRO, recompute) is O(1) on top of this.
 */
export interface SplitCost {
  split: Split;
  /** Sums over all layers, per micro-batch, seconds. */
  fwd: number;
  bwd: number;
  /** Pure compute parts of fwd and bwd (no exposed communication). */
  fwdCompute: number;
  bwdCompute: number;
  /** Extra forward work for full and selective recomputation. */
  recomputeFull: number;
  recomputeSelective: number;
  /** Exposed communication inside fwd+bwd, all layers. */
  exposedComm: number;
  /** Raw communication seconds by group, all layers, fwd+bwd (before overlap). */
  tpSeconds: number;
  cpSeconds: number;
  epSeconds: number;
  /** Logical bytes by group, all layers, fwd+bwd, one micro-batch on one device. */
  tpBytes: number;
  cpBytes: number;
  epBytes: number;
  /** Activations kept per micro-batch, all layers. */
  actNone: number;
  actSelective: number;
  actFull: number;
  /** The largest single layer's un-recomputed activations (working set of full recompute). */
  actLayerMax: number;
  /** Parameters on one tp x ep shard, all layers. */
  denseParams: number;
  expertParams: number;
  /** Largest one-layer parameter count on a shard (FSDP working set). */
  layerParamsMax: number;
  /** Output head + loss, per micro-batch. */
  headFwd: number;
  headBwd: number;
  headAct: number;
  embeddingParams: number;
  headParams: number;
  /** Hardware FLOPs of one micro-batch forward on this device, all layers + head. */
  fwdFlops: number;
  /** Core-attention forward FLOPs (for selective recompute's extra work). */
  attnFlops: number;
  fabric: Fabric;
  device: Device;
}

interface Priced {
  fwdCompute: number;
  bwdCompute: number;
  attnFwd: number;
  tp: number;
  cp: number;
  ep: number;
  exposedFwd: number;
  exposedBwd: number;
  tpBytes: number;
  cpBytes: number;
  epBytes: number;
  flops: number;
}

function priceLayer(g: LayerGraph, s: Split, d: Device, f: Fabric, tpOverlap: boolean, epOverlap: boolean): Priced {
  let gemm = 0;
  let flops = g.attentionFlops;
  for (const x of g.gemms) {
    gemm += gemmSeconds(x, d);
    flops += 2 * x.m * x.n * x.k * x.count;
  }
  const attn = attentionSeconds(g.attentionFlops, d);
  const ewF = elementwiseSeconds(g.elementwiseBytes, 8, d);
  const ewB = elementwiseSeconds(2 * g.elementwiseBytes, 12, d);
  const tpPl = place(s.tp, 1, f);
  const cpPl = place(s.cp, s.tp, f);
  const epPl = place(s.ep, 1, f);
  let tp = 0;
  let cp = 0;
  let ep = 0;
  let tpBytes = 0;
  let cpBytes = 0;
  let epBytes = 0;
  for (const c of g.comms) {
    switch (c.kind) {
      case 'tp_allgather':
      case 'tp_reducescatter':
        tp += c.count * allGatherSeconds(c.bytes, tpPl, f);
        tpBytes += c.count * c.bytes;
        break;
      case 'tp_allreduce':
        tp += c.count * allReduceSeconds(c.bytes, tpPl, f);
        tpBytes += c.count * c.bytes;
        break;
      case 'cp_sendrecv': {
        const crosses = cpPl.nodes > 1;
        cp += c.count * sendRecvSeconds(c.bytes / c.count, crosses, f);
        cpBytes += c.bytes;
        break;
      }
      case 'ep_alltoall':
        ep += c.count * allToAllSeconds(c.bytes, epPl, f);
        epBytes += c.count * c.bytes;
        break;
    }
  }
  // TP comm overlap (Megatron userbuffers): chunks of the collective hide behind the GEMM
  // that consumes or produces them; what is left is the larger of the first chunk and the excess.
  const slow = d.cal.overlapSlowdown;
  const tpExposed = tpOverlap && s.sp ? Math.max(tp / s.tp, overlapped(tp, gemm, slow)) : tp;
  // ring attention hides the KV exchange behind the attention of the previous block
  const cpExpF = overlapped(cp, attn.fwd, slow);
  const cpExpB = overlapped(2 * cp, attn.bwd, slow);
  // expert all-to-all hidden behind another micro-batch's compute (DeepSeek-V3 DualPipe,
  // Megatron-Core's combined 1F1B all-to-all overlap), else fully exposed
  const fwdC = gemm + attn.fwd + ewF;
  const bwdC = 2 * gemm + attn.bwd + ewB;
  const epExpF = epOverlap ? overlapped(ep, fwdC, slow) : ep;
  const epExpB = epOverlap ? overlapped(ep, bwdC, slow) : ep;
  return {
    fwdCompute: gemm + attn.fwd + ewF,
    bwdCompute: 2 * gemm + attn.bwd + ewB,
    attnFwd: attn.fwd + elementwiseSeconds(g.selectiveRecomputeBytes, 4, d),
    tp: 2 * tp,
    cp: 3 * cp,
    ep: 2 * ep,
    exposedFwd: tpExposed + cpExpF + epExpF,
    exposedBwd: tpExposed + cpExpB + epExpB,
    tpBytes: 2 * tpBytes,
    cpBytes: 3 * cpBytes,
    epBytes: 2 * epBytes,
    flops,
  };
}

/** Layer classes of a model: (kind, sliding-window, count). */
function layerClasses(job: TrainJob): { kind: 'dense' | 'moe'; windowed: boolean; count: number }[] {
  const m = job.model;
  const moe = m.moe ? m.moe.moeLayers : 0;
  const dense = m.layers - moe;
  const share = m.layers > 0 ? m.attention.slidingLayers / m.layers : 0;
  const out: { kind: 'dense' | 'moe'; windowed: boolean; count: number }[] = [];
  for (const [kind, n] of [
    ['dense', dense],
    ['moe', moe],
  ] as const) {
    if (n <= 0) continue;
    if (share > 0) out.push({ kind, windowed: true, count: n * share });
    if (share < 1) out.push({ kind, windowed: false, count: n * (1 - share) });
  }
  return out;
}

export function computeSplitCost(job: TrainJob, s: Split, cal: Calibration = calibration()): SplitCost {
  const d = deviceFor(job.accelerator, cal);
  const f = fabricFor(job.accelerator, job.perNode, cal, job.fabric);
  const r: SplitCost = {
    split: s,
    fwd: 0,
    bwd: 0,
    fwdCompute: 0,
    bwdCompute: 0,
    recomputeFull: 0,
    recomputeSelective: 0,
    exposedComm: 0,
    tpSeconds: 0,
    cpSeconds: 0,
    epSeconds: 0,
    tpBytes: 0,
    cpBytes: 0,
    epBytes: 0,
    actNone: 0,
    actSelective: 0,
    actFull: 0,
    actLayerMax: 0,
    denseParams: 0,
    expertParams: 0,
    layerParamsMax: 0,
    headFwd: 0,
    headBwd: 0,
    headAct: 0,
    embeddingParams: 0,
    headParams: 0,
    fwdFlops: 0,
    attnFlops: 0,
    fabric: f,
    device: d,
  };
  for (const c of layerClasses(job)) {
    const g = layerGraph(job.model, s, c.kind, c.windowed);
    const p = priceLayer(g, s, d, f, job.tpCommOverlap, job.epCommOverlap);
    const n = c.count;
    r.fwdCompute += n * p.fwdCompute;
    r.bwdCompute += n * p.bwdCompute;
    r.fwd += n * (p.fwdCompute + p.exposedFwd);
    r.bwd += n * (p.bwdCompute + p.exposedBwd);
    r.exposedComm += n * (p.exposedFwd + p.exposedBwd);
    r.recomputeFull += n * (p.fwdCompute + p.exposedFwd);
    r.recomputeSelective += n * p.attnFwd;
    r.tpSeconds += n * p.tp;
    r.cpSeconds += n * p.cp;
    r.epSeconds += n * p.ep;
    r.tpBytes += n * p.tpBytes;
    r.cpBytes += n * p.cpBytes;
    r.epBytes += n * p.epBytes;
    r.actNone += n * g.activations.none;
    r.actSelective += n * g.activations.selective;
    r.actFull += n * g.activations.full;
    r.actLayerMax = Math.max(r.actLayerMax, g.activations.none);
    r.denseParams += n * g.params.dense;
    r.expertParams += n * g.params.expert;
    r.layerParamsMax = Math.max(r.layerParamsMax, g.params.dense + g.params.expert);
    r.fwdFlops += n * p.flops;
    r.attnFlops += n * g.attentionFlops;
  }
  const hg = headGraph(job.model, s);
  let headGemm = 0;
  for (const x of hg.gemms) {
    headGemm += gemmSeconds(x, d);
    r.fwdFlops += 2 * x.m * x.n * x.k * x.count;
  }
  const tpPl = place(s.tp, 1, f);
  let headComm = 0;
  for (const c of hg.comms) {
    headComm += c.kind === 'tp_allreduce' ? allReduceSeconds(c.bytes, tpPl, f) : allGatherSeconds(c.bytes, tpPl, f);
    r.tpBytes += 2 * c.bytes;
  }
  r.headFwd = headGemm + elementwiseSeconds(hg.elementwiseBytes / 2, 4, d) + headComm;
  r.headBwd = 2 * headGemm + elementwiseSeconds(hg.elementwiseBytes / 2, 4, d) + headComm;
  r.headAct = hg.activationBytes;
  r.embeddingParams = hg.params.embedding;
  r.headParams = hg.params.head;
  return r;
}
