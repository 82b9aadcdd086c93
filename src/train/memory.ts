import { countParameters } from '../model/params.js';
import type { ModelSpec } from '../model/types.js';
import { F } from './fields.js';
import { denseReplicas, expertReplicas } from './groups.js';
import type { SplitCost } from './price-split.js';
import type { TrainJob, TrainPlan } from './types.js';

/**
 * Model-state bytes of mixed-precision Adam: 2-byte weights, 2-byte gradients, and a
 * 12-byte fp32 master copy plus two moments (Rajbhandari et al., ZeRO, 2020: 16 bytes per
 * parameter). The per-device share under ZeRO stage `zero` over `dp` ranks that hold replicas of
 * the parameters (data x context parallel for a dense model: see denseReplicas).
 */
export function modelStateBytes(params: number, zero: 0 | 1 | 2 | 3, dp: number, gradientBytes = 2) {
  const weights = (params * 2) / (zero >= 3 ? dp : 1);
  const gradients = (params * gradientBytes) / (zero >= 2 ? dp : 1);
  const optimizer = (params * 12) / (zero >= 1 ? dp : 1);
  return { weights, gradients, optimizer, total: weights + gradients + optimizer };
}

/** Fewest devices whose memory holds the model states when all of them are sharded (ZeRO-3). */
export function minDevicesForModelStates(m: ModelSpec, capacityBytes: number): number {
  const total = modelStateBytes(countParameters(m).total, 0, 1).total;
  return Math.ceil(total / capacityBytes);
}

/**
 * Peak memory of the busiest device of a plan (the first pipeline stage holds the most
 * micro-batches in flight; the last holds the output head and logits), written into `out`.
 * `m` is the number of micro-batches per step.
 */
export function deviceMemory(job: TrainJob, p: TrainPlan, sc: SplitCost, m: number, out: Float64Array): void {
  const res = job.memoryReserve;
  const L = job.model.layers;
  const pp = p.pipeline;
  const v = p.virtualStages;
  const chunkLayers = Math.ceil(L / (pp * v));
  const stageLayers = Math.min(chunkLayers * v, L);
  const denseStage = (sc.denseParams * stageLayers) / L;
  const expertStage = (sc.expertParams * stageLayers) / L;
  const firstExtra = sc.embeddingParams;
  const lastExtra = sc.headParams;
  // ZeRO shards over the ranks that hold replicas: data x context for dense parameters, expert data parallel for experts
  const dp = denseReplicas(p);
  const edp = expertReplicas(job.devices, p);
  const gradB = job.gradientBytes;
  const shardDiv = p.zero >= 1 ? dp : 1;
  const eShardDiv = p.zero >= 1 ? edp : 1;
  const wDiv = p.zero === 3 ? dp : 1;
  const ewDiv = p.zero === 3 ? edp : 1;
  const gDiv = p.zero >= 2 ? dp : 1;
  const egDiv = p.zero >= 2 ? edp : 1;
  // fp8 training keeps an fp8 copy of the GEMM weights beside the bf16 one, or (fp8 primary weights) only the fp8 one
  const weightBytes = p.precision === 'fp8' ? (job.stack.fp8PrimaryWeights ? 1 : 3) : 2;
  const fsdpWorking = p.zero === 3 ? 2 * sc.layerParamsMax * weightBytes : 0;
  const rf = recomputedFraction(p, stageLayers);
  const actPerLayer =
    p.recompute === 'full' ? (rf * sc.actFull + (1 - rf) * sc.actNone) / L : p.recompute === 'selective' ? sc.actSelective / L : sc.actNone / L;
  // activations of offloaded layers wait in host memory; two layers' worth stay as transfer buffers
  const kept = 1 - offloadedFraction(p, stageLayers);
  const mv = m * v;
  const inflightFirst = pp === 1 ? 1 : Math.min(mv, v > 1 ? 2 * (pp - 1) + (v - 1) * pp + 1 : pp);
  const inflightLast = pp === 1 ? 1 : Math.min(mv, v > 1 ? (v - 1) * pp + 1 : 1);
  const working = p.recompute === 'full' ? sc.actLayerMax : 0;
  out[F.memTotal] = 0;
  const oneLayerAct = inflight1(chunkLayers, actPerLayer, kept);
  const buffers = kept < 1 ? 2 * actPerLayer : 0;
  // the first stage holds the most micro-batches in flight and the embedding; the last, the output head
  const first = pp === 1 ? firstExtra + lastExtra : firstExtra;
  const a = stageMemory(
    out,
    0,
    ((denseStage + first) / wDiv + expertStage / ewDiv) * weightBytes + fsdpWorking,
    fsdpWorking,
    ((denseStage + first) / gDiv + expertStage / egDiv) * gradB,
    ((denseStage + first) / shardDiv + expertStage / eShardDiv) * 12,
    (pp === 1 ? 1 : inflightFirst) * oneLayerAct + buffers + working + (pp === 1 ? sc.headAct : 0),
    res.runtimeBytes,
    res.fragmentation,
  );
  if (pp > 1)
    stageMemory(
      out,
      a,
      ((denseStage + lastExtra) / wDiv + expertStage / ewDiv) * weightBytes + fsdpWorking,
      fsdpWorking,
      ((denseStage + lastExtra) / gDiv + expertStage / egDiv) * gradB,
      ((denseStage + lastExtra) / shardDiv + expertStage / eShardDiv) * 12,
      inflightLast * oneLayerAct + buffers + working + sc.headAct,
      res.runtimeBytes,
      res.fragmentation,
    );
}

/** Activations one in-flight micro-batch keeps on a stage. */
function inflight1(chunkLayers: number, actPerLayer: number, kept: number): number {
  return chunkLayers * actPerLayer * kept;
}

/** One stage's memory from its parts; written into `out` when it exceeds `out0` (the busiest stage wins). */
function stageMemory(
  out: Float64Array,
  out0: number,
  w: number,
  fsdpWorking: number,
  g: number,
  o: number,
  act: number,
  runtime: number,
  fragmentation: number,
): number {
  const oth = runtime + fragmentation * (act + g);
  const total = w + g + o + act + oth;
  if (total > out0) {
    out[F.memStates] = w - fsdpWorking + g + o;
    out[F.memWeights] = w;
    out[F.memGrads] = g;
    out[F.memOptimizer] = o;
    out[F.memActivations] = act;
    out[F.memOther] = oth;
    out[F.memTotal] = total;
  }
  return total;
}

/** Share of a stage's layers that full recomputation redoes (recomputeLayers of stageLayers; 0: all). */
export function recomputedFraction(p: TrainPlan, stageLayers: number): number {
  if (p.recompute !== 'full') return 0;
  return p.recomputeLayers > 0 ? Math.min(1, p.recomputeLayers / stageLayers) : 1;
}

/** Share of a stage's layers whose activations are offloaded to host memory. */
export function offloadedFraction(p: TrainPlan, stageLayers: number): number {
  return p.offloadLayers > 0 ? Math.min(1, p.offloadLayers / stageLayers) : 0;
}
