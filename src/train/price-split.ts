import { priceComms, priceOps } from '../cost/price.js';
import { overlapped } from '../cost/overlap.js';
import { deviceFor, elementwiseSeconds, gemmCost, type Device } from '../cost/roofline.js';
import { fabricFor, type Fabric } from '../cost/topology.js';
import { layerClasses } from '../graph/flops.js';
import { buildHead } from '../graph/head.js';
import { buildLayer } from '../graph/layer.js';
import type { ActivationParts, LayerGraph, Load, Numerics, Split } from '../graph/types.js';
import type { PricedOps } from '../cost/price.js';
import type { RecomputeModule, TrainStack } from './types.js';
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
  /** Exposed communication inside fwd+bwd, all layers (host launch waits included). */
  exposedComm: number;
  /** GPU time spent waiting for the CPU to launch kernels, fwd+bwd, all layers. */
  hostWait: number;
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
    hostWait: 0,
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
  const mods = new Set(job.stack.selectiveModules);
  for (const c of layerClasses(job.model)) {
    const g = buildLayer(job.model, c.spec, s, load, num, job.kernels);
    const o = priceOps(g, d);
    const moe = c.spec.mlp === 'moe' && job.model.moe !== null;
    const sel = selectiveRecompute(g, o, d, mods, moe, job.model.attention.mla !== null);
    const cm = priceComms(g.comms, s, f, job.stack.moeDispatcher ?? 'alltoall');
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
    let exposedFwd = tpExposed + cpExpF + epExpF;
    let exposedBwd = tpExposed + cpExpB + epExpB;
    // the CPU launches the layer's kernels; where it takes longer than the GPU runs them, the GPU waits
    // (MoE layers synchronise on the tokens per expert, so the host cannot run ahead of them)
    const host = hostSeconds(g, job.stack, cal, job.kernels.groupedGemm ?? 'fused');
    const waitFwd = Math.max(0, host - (fwdC + exposedFwd));
    const waitBwd = Math.max(0, 2 * host - (bwdC + exposedBwd));
    exposedFwd += waitFwd;
    exposedBwd += waitBwd;
    const n = c.count;
    r.hostWait += n * (waitFwd + waitBwd);
    r.fwdCompute += n * fwdC;
    r.bwdCompute += n * bwdC;
    r.fwd += n * (fwdC + exposedFwd);
    r.bwd += n * (bwdC + exposedBwd);
    r.exposedComm += n * (exposedFwd + exposedBwd);
    r.recomputeFull += n * (fwdC + exposedFwd);
    r.recomputeSelective += n * sel.seconds;
    r.tpSeconds += n * 2 * cm.tp;
    r.cpSeconds += n * 3 * cm.cp;
    r.epSeconds += n * 2 * cm.ep;
    r.tpBytes += n * 2 * cm.tpBytes;
    r.cpBytes += n * 3 * cm.cpBytes;
    r.epBytes += n * 2 * cm.epBytes;
    const none = keptNone(g.activations);
    r.actNone += n * none;
    r.actSelective += n * (none - sel.dropped);
    r.actFull += n * g.activations.full;
    r.actLayerMax = Math.max(r.actLayerMax, none);
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

/** Activation bytes a layer keeps when nothing is recomputed. */
export function keptNone(a: ActivationParts): number {
  return a.residual + a.normOut + a.qkv + a.attnOut + a.scores + a.mlpIn + a.mlpUp + a.mlpAct + a.other;
}

/**
 * Selective recomputation of the named modules (Megatron-Core --recompute-modules) in one layer:
 * the activation bytes no longer kept, and the forward work done again in the backward pass.
 */
export function selectiveRecompute(
  g: LayerGraph,
  o: PricedOps,
  d: Device,
  mods: ReadonlySet<RecomputeModule>,
  moe: boolean,
  mla: boolean,
): { dropped: number; seconds: number } {
  const a = g.activations;
  let dropped = 0;
  let seconds = 0;
  const gemmSeconds = (names: readonly string[]) => g.gemms.filter((x) => names.includes(x.name)).reduce((t, x) => t + gemmCost(x, d).seconds, 0);
  if (mods.has('core_attn')) {
    dropped += a.attnOut + a.scores;
    seconds += o.attnFwd.seconds;
  }
  if (mods.has('layernorm')) {
    dropped += a.normOut;
    seconds += elementwiseSeconds(g.normBytes, 2, d);
  }
  const wholeMlp = moe ? mods.has('moe') : mods.has('mlp');
  if (wholeMlp) {
    // the whole MLP (or MoE block) from its input: its GEMMs and activation function again
    dropped += a.mlpIn + a.mlpUp + a.mlpAct;
    seconds += gemmSeconds(moe ? ['experts_gate_up', 'experts_down', 'shared_gate_up', 'shared_down', 'router'] : ['mlp_gate_up', 'mlp_down']);
    seconds += elementwiseSeconds(g.actFnBytes, 1, d);
  } else if (moe ? mods.has('moe_act') : mods.has('mlp_act')) {
    dropped += a.mlpAct;
    seconds += elementwiseSeconds(g.actFnBytes, 1, d);
  }
  if (mla && mods.has('mla_up_proj')) {
    // MLA's up-projected queries, keys and values, from the kept latents
    dropped += a.qkv;
    seconds += gemmSeconds(['q_b', 'kv_b']);
  }
  return { dropped, seconds };
}

/**
 * CPU seconds to launch one forward pass of a layer (the backward launches about twice as many):
 * eager kernels at the host launch cost, kernels inside CUDA graphs at the replay cost. 'partial'
 * graphs capture the attention block and the MoE router and preprocessing, not the expert GEMMs.
 */
export function hostSeconds(g: LayerGraph, st: TrainStack, cal: { hostLaunch: number; graphLaunch: number }, grouped: 'fused' | 'multi-stream'): number {
  const l = g.launches;
  const experts = grouped === 'multi-stream' ? l.perExpert * l.experts : l.experts > 0 ? l.perExpert : 0;
  if (st.cudaGraphs === 'full') return (l.attention + l.mlp + experts) * cal.graphLaunch;
  if (st.cudaGraphs === 'partial') return (l.attention + l.mlp) * cal.graphLaunch + experts * cal.hostLaunch;
  return (l.attention + l.mlp + experts) * cal.hostLaunch;
}
