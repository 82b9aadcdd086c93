import { priceComms, priceOps } from '../cost/price.js';
import { overlapped } from '../cost/overlap.js';
import { deviceFor, elementwiseSeconds, gemmCost, type Device } from '../cost/roofline.js';
import { fabricFor, type Fabric } from '../cost/topology.js';
import { layerClasses } from '../graph/flops.js';
import { buildHead } from '../graph/head.js';
import { buildLayer } from '../graph/layer.js';
import type { Load, Numerics, Split } from '../graph/types.js';
import type { TrainJob, TrainPlan } from './types.js';

/**
 * Everything about one micro-batch that depends only on (tp, cp, ep, sp, mbs, precision):
 * the priced layer graph summed over all layers, and the output head. The per-plan
 * schedule (pipeline, data parallel, ZeRO, recompute) is O(1) on top of this.
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

/** The graph's split of a training plan: experts are not tensor-split (expert-tensor size 1) and every rank brings its own tokens. */
export function splitOf(p: Pick<TrainPlan, 'tensor' | 'context' | 'expert' | 'sequenceParallel'>): Split {
  return { tp: p.tensor, cp: p.context, ep: p.expert, etp: 1, moeTokenReplicas: 1, sp: p.sequenceParallel };
}

export interface MicroBatch {
  split: Split;
  microBatchSize: number;
  precision: TrainPlan['precision'];
}

export function priceSplit(job: TrainJob, mb: MicroBatch): SplitCost {
  const cal = job.cal;
  const s = mb.split;
  const d = deviceFor(job.accelerator, cal);
  const f = fabricFor(job.accelerator, job.perNode, cal, job.fabric);
  const fp8 = mb.precision === 'fp8';
  const num: Numerics = { gemm: fp8 ? 'fp8' : 'bf16', weightBytes: () => (fp8 ? 1 : 2), kvBytes: 2 };
  const load: Load = { segments: [{ seqs: mb.microBatchSize, newTokens: job.sequenceLength, pastTokens: 0 }], training: true };
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
  const slow = cal.overlapSlowdown;
  for (const c of layerClasses(job.model)) {
    const g = buildLayer(job.model, c.spec, s, load, num, job.kernels);
    const o = priceOps(g, d);
    const cm = priceComms(g.comms, s, f);
    const gemm = o.gemm.seconds;
    const fwdC = gemm + o.attnFwd.seconds + o.ewFwd;
    const bwdC = 2 * gemm + o.attnBwd.seconds + o.ewBwd;
    // TP comm overlap (Megatron userbuffers): chunks of the collective hide behind the GEMM
    // that consumes or produces them; what is left is the larger of the first chunk and the excess.
    const tpExposed = job.tpCommOverlap && s.sp ? Math.max(cm.tp / s.tp, overlapped(cm.tp, gemm, slow)) : cm.tp;
    // ring attention hides the KV exchange behind the attention of the previous block
    const cpExpF = overlapped(cm.cp, o.attnFwd.seconds, slow);
    const cpExpB = overlapped(2 * cm.cp, o.attnBwd.seconds, slow);
    // expert all-to-all hidden behind another micro-batch's compute (DeepSeek-V3 DualPipe,
    // Megatron-Core's combined 1F1B all-to-all overlap), else fully exposed
    const epExpF = job.epCommOverlap ? overlapped(cm.ep, fwdC, slow) : cm.ep;
    const epExpB = job.epCommOverlap ? overlapped(cm.ep, bwdC, slow) : cm.ep;
    const exposedFwd = tpExposed + cpExpF + epExpF;
    const exposedBwd = tpExposed + cpExpB + epExpB;
    const n = c.count;
    r.fwdCompute += n * fwdC;
    r.bwdCompute += n * bwdC;
    r.fwd += n * (fwdC + exposedFwd);
    r.bwd += n * (bwdC + exposedBwd);
    r.exposedComm += n * (exposedFwd + exposedBwd);
    r.recomputeFull += n * (fwdC + exposedFwd);
    r.recomputeSelective += n * (o.attnFwd.seconds + elementwiseSeconds(g.selectiveRecomputeBytes, 4, d));
    r.tpSeconds += n * 2 * cm.tp;
    r.cpSeconds += n * 3 * cm.cp;
    r.epSeconds += n * 2 * cm.ep;
    r.tpBytes += n * 2 * cm.tpBytes;
    r.cpBytes += n * 3 * cm.cpBytes;
    r.epBytes += n * 2 * cm.epBytes;
    r.actNone += n * g.activations.none;
    r.actSelective += n * g.activations.selective;
    r.actFull += n * g.activations.full;
    r.actLayerMax = Math.max(r.actLayerMax, g.activations.none);
    r.denseParams += n * g.params.dense;
    r.expertParams += n * g.params.expert;
    r.layerParamsMax = Math.max(r.layerParamsMax, g.params.dense + g.params.expert);
    r.fwdFlops += n * o.flops;
    r.attnFlops += n * g.attention.flops;
  }
  const hg = buildHead(job.model, s, load);
  let headGemm = 0;
  for (const x of hg.gemms) {
    headGemm += gemmCost(x, d).seconds;
    r.fwdFlops += 2 * x.m * x.n * x.k * x.count;
  }
  const hc = priceComms(hg.comms, s, f);
  r.tpBytes += 2 * hc.tpBytes;
  const ewHalf = elementwiseSeconds(hg.elementwiseBytes / 2, 4, d);
  r.headFwd = headGemm + ewHalf + hc.tp;
  r.headBwd = 2 * headGemm + ewHalf + hc.tp;
  r.headAct = hg.activationBytes;
  r.embeddingParams = hg.params.embedding;
  r.headParams = hg.params.head;
  return r;
}
