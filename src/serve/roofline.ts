import { attentionCost, elementwiseSeconds, gemmCost } from '../cost/roofline.js';
import { buildHead } from '../graph/head.js';
import { loadLayer } from '../graph/layer.js';
import type { Load, Segment } from '../graph/types.js';
import type { Engine } from './engine.js';
import { averageContext } from './memory.js';

/**
 * The per-operator roofline of a serving plan (LLM-Viewer's view): every operator of one
 * prefill and one decode step with its FLOPs, the bytes it moves, the time the same pricing as
 * the step time gives it and what bounds it. Summed over the layers of one pipeline stage's
 * device; same-named operators of different layer classes are merged.
 */

export type RooflinePhase = 'prefill' | 'decode';

export interface RooflineOp {
  phase: RooflinePhase;
  /** Operator name as the graph calls it (qkv, attn_out, mlp_up, experts_down, attention, elementwise, lm_head...). */
  op: string;
  /** Precision its FLOPs run at ('bf16', 'fp8', 'fp4'; attention and element-wise: 'bf16'). */
  precision: string;
  flops: number;
  /** Bytes read and written from device memory. */
  bytes: number;
  /** Time the plan's pricing gives it, launches included. */
  seconds: number;
  /** FLOPs per byte moved (0 where it does no FLOPs). */
  intensity: number;
  /** FLOP/s it achieves. */
  flopsPerSecond: number;
  /** The larger of its compute and memory times, or 'launch' where kernel launches dominate both. */
  bound: 'compute' | 'memory' | 'launch';
}

export interface Roofline {
  device: string;
  /** Nominal peaks the roof is drawn at (FLOP/s by precision; 0 where the device has none). */
  peakFlops: { bf16: number; fp8: number; fp4: number };
  /** Nominal memory bandwidth, bytes/s. */
  bandwidth: number;
  /** The two steps the operators are taken from. */
  prefill: { tokens: number };
  decode: { sequences: number; context: number };
  ops: RooflineOp[];
}

interface Acc {
  precision: string;
  flops: number;
  bytes: number;
  seconds: number;
  compute: number;
  memory: number;
}

function phaseOps(e: Engine, phase: RooflinePhase, segments: Segment[]): RooflineOp[] {
  const d = e.target.device;
  const pp = e.split.pipeline;
  const bw = d.bandwidth * d.memFraction;
  const load: Load = { segments, training: false };
  const acc = new Map<string, Acc>();
  const add = (op: string, precision: string, n: number, flops: number, bytes: number, c: { compute: number; memory: number; seconds: number }) => {
    const a = acc.get(op) ?? { precision, flops: 0, bytes: 0, seconds: 0, compute: 0, memory: 0 };
    a.flops += n * flops;
    a.bytes += n * bytes;
    a.seconds += n * c.seconds;
    a.compute += n * c.compute;
    a.memory += n * c.memory;
    acc.set(op, a);
  };
  for (const c of e.prepared.layers) {
    const g = loadLayer(c.shape, load);
    const n = c.count / pp;
    for (const x of g.gemms) {
      const cost = gemmCost(x, d);
      // the bytes the roofline priced: its memory time at the bandwidth it was priced at
      add(x.name, x.precision, n, 2 * x.m * x.n * x.k * x.count, cost.memory * bw, cost);
    }
    const att = attentionCost(g.attention, d).fwd;
    add('attention', 'bf16', n, g.attention.flops + g.attention.scoreFlops, att.memory * bw, att);
    const ew = elementwiseSeconds(g.elementwiseBytes, g.elementwiseKernels, d);
    const ewMem = elementwiseSeconds(g.elementwiseBytes, 0, d);
    add('elementwise', 'bf16', n, 0, ewMem * bw, { compute: 0, memory: ewMem, seconds: ew });
  }
  for (const x of buildHead(e.prepared.model, e.prepared.layers[0]?.shape.split ?? e.graph, load).gemms) {
    const cost = gemmCost(x, d);
    add(x.name, x.precision, 1 / pp, 2 * x.m * x.n * x.k * x.count, cost.memory * bw, cost);
  }
  const out: RooflineOp[] = [];
  for (const [op, a] of acc) {
    if (a.seconds <= 0) continue;
    const top = Math.max(a.compute, a.memory);
    out.push({
      phase,
      op,
      precision: a.precision,
      flops: a.flops,
      bytes: a.bytes,
      seconds: a.seconds,
      intensity: a.bytes > 0 ? a.flops / a.bytes : 0,
      flopsPerSecond: a.flops / a.seconds,
      bound: a.seconds - top > top ? 'launch' : a.compute >= a.memory ? 'compute' : 'memory',
    });
  }
  return out;
}

/** The per-operator roofline of one request's prefill (as one chunk) and of a decode step at the plan's concurrency. */
export function servingRoofline(e: Engine): Roofline {
  const w = e.job.workload;
  const d = e.target.device;
  const seqs = Math.max(1, (w.concurrency ?? 1) / e.split.pipeline);
  const context = averageContext(e);
  return {
    device: e.target.label,
    peakFlops: { bf16: d.bf16, fp8: d.fp8, fp4: d.fp4 },
    bandwidth: d.bandwidth,
    prefill: { tokens: w.inputTokens },
    decode: { sequences: seqs, context },
    ops: [
      ...phaseOps(e, 'prefill', [{ seqs: 1, newTokens: w.inputTokens, pastTokens: 0 }]),
      ...phaseOps(e, 'decode', [{ seqs, newTokens: 1, pastTokens: context }]),
    ],
  };
}
