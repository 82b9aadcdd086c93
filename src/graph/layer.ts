import { layerWeights, matrixParamsOnDevice, type WeightMatrix } from '../model/weights.js';
import type { LayerSpec, ModelSpec } from '../model/types.js';
import type { ActivationParts, Comm, Gemm, GemmPrecision, KernelTraits, LayerGraph, Load, Numerics, Segment, Split } from './types.js';

/**
 * The operator graph of one transformer layer on one device, for any load: a training
 * micro-batch (forward; the pricing adds the backward), a prefill chunk, a decode step or a
 * mix of them. GEMM shapes come from the one weight description (model/weights.ts); the
 * same graph is priced by the same roofline for training and serving.
 */

const BF16 = 2;
/** Queries per tile of a flash-attention kernel: K and V are streamed once per tile of queries. */
const QUERY_TILE = 128;

/** Keys the queries at positions past .. past+q-1 attend to in total (causal), with an optional window or chunk. */
export function keysAttended(past: number, q: number, window: number | null, chunk: number | null = null): number {
  if (q <= 0) return 0;
  if (chunk !== null && chunk > 0) {
    // attention within fixed chunks: a query at position p sees (p mod chunk) + 1 keys
    let total = 0;
    const first = past;
    const last = past + q - 1;
    for (let c0 = Math.floor(first / chunk) * chunk; c0 <= last; c0 += chunk) {
      const a = Math.max(first, c0) - c0 + 1;
      const b = Math.min(last, c0 + chunk - 1) - c0 + 1;
      total += ((a + b) * (b - a + 1)) / 2;
    }
    return total;
  }
  // sum over p in [past, past+q) of min(p + 1, window)
  const lo = past + 1;
  const hi = past + q;
  if (window === null || window >= hi) return ((lo + hi) * q) / 2;
  if (window <= lo) return window * q;
  return ((lo + window) * (window - lo + 1)) / 2 + window * (hi - window);
}

/** KV-cache bytes one token keeps for one layer on one device (MLA keeps its latent, replicated over TP). */
export function kvBytesPerTokenLayer(m: ModelSpec, tp: number, kvBytes: number): number {
  const a = m.attention;
  if (a.mla) return (a.mla.kvLoraRank + a.mla.qkRopeHeadDim) * kvBytes;
  return 2 * Math.max(1, a.kvHeads / tp) * a.headDim * kvBytes;
}

/** The attention span a layer's keys are limited to (window or chunk), or null for global attention. */
export function layerSpan(m: ModelSpec, l: LayerSpec): { window: number | null; chunk: number | null } {
  if (l.attention === 'sliding') return { window: m.attention.slidingWindow, chunk: null };
  if (l.attention === 'chunked') return { window: null, chunk: m.attention.chunkSize };
  return { window: null, chunk: null };
}

/** Tokens a request keeps in one layer's KV cache after `context` tokens. */
export function cachedTokens(m: ModelSpec, l: LayerSpec, context: number): number {
  const { window, chunk } = layerSpan(m, l);
  if (window !== null) return Math.min(context, window);
  if (chunk !== null) return Math.min(context, chunk);
  return context;
}

const tokensOf = (segs: Segment[]) => segs.reduce((s, x) => s + x.seqs * x.newTokens, 0);

/** What a serving step keeps for a backward pass and launches from a training host loop: nothing (shared, read-only). */
const NO_ACTIVATIONS: ActivationParts = Object.freeze({
  residual: 0,
  normOut: 0,
  qkv: 0,
  attnOut: 0,
  scores: 0,
  mlpIn: 0,
  mlpUp: 0,
  mlpAct: 0,
  other: 0,
  full: 0,
});
const NO_LAUNCHES: LayerGraph['launches'] = Object.freeze({ attention: 0, mlp: 0, perExpert: 0, experts: 0 });

/** Local shape of a weight matrix on one device. */
function localShape(w: WeightMatrix, s: Split): { n: number; k: number } {
  if (w.group === 'experts') return w.role === 'expert_down' ? { n: w.out, k: w.in / s.etp } : { n: w.out / s.etp, k: w.in };
  if (w.tp === 'column') return { n: w.out / s.tp, k: w.in };
  if (w.tp === 'row') return { n: w.out, k: w.in / s.tp };
  return { n: w.out, k: w.in };
}

/** What a layer is on one device, independent of the load: its fused GEMM shapes, weights and KV bytes. */
export interface LayerShape {
  model: ModelSpec;
  layer: LayerSpec;
  split: Split;
  num: Numerics;
  kernels: KernelTraits;
  gemms: { name: string; n: number; k: number; experts: boolean; router: boolean; weightBytes: number; precision?: GemmPrecision }[];
  params: { dense: number; expert: number };
  weightBytes: number;
  /** Of weightBytes, the bytes stored in 16 bits (what lossless compression can shrink). */
  bytes16: number;
  kvBytesPerToken: number;
  isMoe: boolean;
  window: number | null;
  chunk: number | null;
  rereads: number;
}

export function prepareLayer(m: ModelSpec, layer: LayerSpec, s: Split, num: Numerics, kt: KernelTraits): LayerShape {
  const a = m.attention;
  const tp = s.tp;
  const isMoe = layer.mlp === 'moe' && m.moe !== null;
  const weights = layerWeights(m, isMoe ? 'moe' : 'dense');
  // ---- GEMMs, one per fused group of weight matrices
  const gemms: LayerShape['gemms'] = [];
  let weightBytes = BF16 * weights.vectors; // norms stay in 16 bits
  let bytes16 = weightBytes;
  let denseParams = weights.vectors;
  let expertParams = 0;
  // mixed precision: each member's bytes and precision, summed per fused GEMM
  const mixed = new Map<string, { bytes: number; elements: number; precision: GemmPrecision | null }>();
  for (const w of weights.matrices) {
    const { n, k } = localShape(w, s);
    const p = matrixParamsOnDevice(w, tp, s.ep * s.etp);
    if (w.group === 'experts') expertParams += p;
    else denseParams += p;
    const router = w.role === 'router';
    const role = router ? undefined : num.roles?.[w.role];
    // the matrix in the run's weight format (routers stay in 16 bits), its bias in 16 bits
    const elements = (w.group === 'experts' ? w.count / s.ep : 1) * n * k;
    const bpe = router ? BF16 : (role ?? num).weightBytes(n, k);
    weightBytes += elements * bpe + (p - elements) * BF16;
    bytes16 += (bpe === BF16 ? elements : 0) * BF16 + (p - elements) * BF16;
    if (num.roles && !router) {
      const m = mixed.get(w.gemm) ?? { bytes: 0, elements: 0, precision: role?.gemm ?? num.gemm };
      m.bytes += n * k * bpe;
      m.elements += n * k;
      if (m.precision !== (role?.gemm ?? num.gemm)) m.precision = 'bf16';
      mixed.set(w.gemm, m);
    }
    const f = gemms.find((g) => g.name === w.gemm);
    if (f) f.n += n;
    else gemms.push({ name: w.gemm, n, k, experts: w.group === 'experts', router, weightBytes: 0 });
  }
  for (const g of gemms) {
    const m = mixed.get(g.name);
    if (m) {
      g.weightBytes = m.bytes / m.elements;
      g.precision = m.precision ?? 'bf16';
    } else g.weightBytes = g.router ? BF16 : num.weightBytes(g.n, g.k);
  }
  const { window, chunk } = layerSpan(m, layer);
  const headsDev = a.heads / tp;
  const rereads = kt.decodeAttention === 'per-query-head' && !a.mla ? Math.max(1, headsDev / Math.max(1, a.kvHeads / tp)) : 1;
  return {
    model: m,
    layer,
    split: s,
    num,
    kernels: kt,
    gemms,
    params: { dense: denseParams, expert: expertParams },
    weightBytes,
    bytes16,
    kvBytesPerToken: kvBytesPerTokenLayer(m, tp, num.kvBytes),
    isMoe,
    window,
    chunk,
    rereads,
  };
}

export function buildLayer(m: ModelSpec, layer: LayerSpec, s: Split, load: Load, num: Numerics, kt: KernelTraits): LayerGraph {
  return loadLayer(prepareLayer(m, layer, s, num, kt), load);
}

/** The layer's ops for a load. */
export function loadLayer(shape: LayerShape, load: Load): LayerGraph {
  const { model: m, split: s, num } = shape;
  const h = m.hidden;
  const a = m.attention;
  const tp = s.tp;
  const train = load.training;
  const T = tokensOf(load.segments) / s.cp; // tokens through this device's layer
  const Tr = s.sp ? T / tp : T; // tokens on the replicated (norm/residual) path
  const fp8 = num.gemm === 'fp8';
  const act = num.gemm === 'bf16' ? BF16 : 1; // bytes of a GEMM activation element
  const gin = train && fp8 ? 1 : BF16; // bytes of a saved GEMM input (Transformer Engine keeps fp8 casts)
  const isMoe = shape.isMoe;
  const gemms: Gemm[] = [];
  const comms: Comm[] = [];

  // ---- MoE routing: tokens entering the expert group, pairs per device, experts touched
  const e = m.moe;
  let pairs = 0; // expert-token pairs this device computes
  let touched = 1; // local experts that receive at least one token
  if (isMoe && e) {
    const tokensIn = T / (s.moeTokenReplicas === 1 ? tp : 1); // tokens at the MoE input on this device
    const groupTokens = (s.ep * s.etp * tokensIn) / s.moeTokenReplicas; // distinct tokens entering the expert group
    pairs = (groupTokens * e.topK) / s.ep;
    const share = 1 - Math.pow(1 - e.topK / e.experts, groupTokens); // chance a given expert gets a token
    touched = (e.experts / s.ep) * share;
  }
  // every entry has the same fields in the same order (one object shape for the pricing loop)
  const separate = shape.kernels.groupedGemm === 'multi-stream';
  for (const g of shape.gemms) {
    const precision = g.router ? 'bf16' : (g.precision ?? num.gemm);
    const actBytes = g.precision === undefined ? act : g.precision === 'bf16' ? BF16 : 1;
    if (g.experts) {
      if (pairs <= 0) continue;
      const launches = separate ? Math.max(1, Math.round(touched)) : 1;
      gemms.push({
        name: g.name,
        m: pairs / Math.max(touched, 1e-12),
        n: g.n,
        k: g.k,
        count: touched,
        grouped: true,
        precision,
        weightBytes: g.weightBytes,
        actBytes,
        launches,
        separate,
      });
    } else {
      gemms.push({
        name: g.name,
        m: T,
        n: g.n,
        k: g.k,
        count: 1,
        grouped: false,
        precision,
        weightBytes: g.weightBytes,
        actBytes: g.router ? BF16 : actBytes,
        launches: 1,
        separate: false,
      });
    }
  }

  // ---- core attention
  const { window, chunk, rereads } = shape;
  const headsDev = a.heads / tp;
  const dims = a.headDim + a.vHeadDim;
  const kvTok = shape.kvBytesPerToken;
  let attnFlops = 0;
  let kvRead = 0;
  let scoreElements = 0;
  let scoreFlops = 0;
  const unfused = shape.kernels.attention === 'unfused';
  for (const g of load.segments) {
    // unfused attention materialises every query x key score of its (causal-masked) square
    if (unfused) {
      const sq = (g.seqs * headsDev * g.newTokens * (g.pastTokens + g.newTokens)) / s.cp;
      scoreElements += sq;
      scoreFlops += 2 * (a.headDim + a.vHeadDim) * sq;
    }
    const keys = keysAttended(g.pastTokens, g.newTokens, window, chunk);
    attnFlops += (2 * dims * headsDev * g.seqs * keys) / s.cp;
    // each tile of queries streams the K/V of the keys it attends to (causal: on average the
    // cache plus half the new tokens, capped by a window or chunk)
    const cap = window ?? chunk ?? Infinity;
    const keysPerTile = Math.min(cap, g.pastTokens + (g.newTokens > 1 ? g.newTokens / 2 : 1));
    kvRead += (g.seqs * keysPerTile * kvTok * Math.ceil(g.newTokens / QUERY_TILE) * rereads) / s.cp;
  }

  // ---- activation sizes of the MLP or experts (elements unless noted)
  const mats = m.mlp.gated ? 2 : 1;
  let upIn = 0; // bytes
  let upOut: number;
  let actOut: number;
  let extraBytes = 0;
  let moeExtraEw = 0;
  let tokensInMoe = 0;
  if (isMoe && e) {
    const Fe = e.expertIntermediate / s.etp;
    tokensInMoe = T / (s.moeTokenReplicas === 1 ? tp : 1);
    const Fs = e.sharedIntermediate;
    upIn = pairs * h * gin;
    extraBytes = pairs * h * BF16 + 4 * T * e.experts; // expert outputs for the weighted combine; fp32 router logits
    upOut = pairs * mats * Fe + (T * mats * Fs) / tp;
    actOut = pairs * Fe + (T * Fs) / tp;
    // permute (read the tokens, write one row per routed pair) and unpermute with the weighted combine
    // (read the pairs, write the tokens): elements moved, at 16 bits
    moeExtraEw = 2 * (pairs + tokensInMoe) * h;
    if (s.ep > 1 && s.moeTokenReplicas < s.ep * s.etp) {
      // dispatch travels in fp8 when the experts run in fp8 (DeepEP / Megatron fp8 dispatch)
      comms.push({ kind: 'ep_alltoall', bytes: pairs * h * gin, count: 1 }, { kind: 'ep_alltoall', bytes: pairs * h * BF16, count: 1 });
    }
  } else {
    const F = m.mlp.intermediate / tp;
    upOut = T * mats * F;
    actOut = T * F;
  }
  const actWidth = actOut / Math.max(T, 1e-12);
  const elementAct = upOut + actOut;

  // ---- tensor- and context-parallel communication of the forward pass
  if (tp > 1) {
    const full = T * h * BF16;
    if (s.sp) comms.push({ kind: 'tp_allgather', bytes: full, count: 2 }, { kind: 'tp_reducescatter', bytes: full, count: 2 });
    else comms.push({ kind: 'tp_allreduce', bytes: full, count: 2 });
  }
  let vWidth: number;
  let kvWidthPerRank: number;
  let qkvOut: number;
  let extraStored = 0;
  if (a.mla) {
    const q = a.mla;
    const dqk = q.qkNopeHeadDim + q.qkRopeHeadDim;
    vWidth = (a.heads * q.vHeadDim) / tp;
    qkvOut = (2 * a.heads * dqk) / tp + vWidth;
    kvWidthPerRank = (a.heads * (dqk + q.vHeadDim)) / tp;
    extraStored = (q.qLoraRank ?? 0) + q.kvLoraRank + q.qkRopeHeadDim;
  } else {
    const dq = (a.heads * a.headDim) / tp;
    const dkv = (a.kvHeads * a.headDim) / tp;
    vWidth = dq;
    qkvOut = dq + 2 * dkv;
    kvWidthPerRank = 2 * dkv;
  }
  if (s.cp > 1) comms.push({ kind: 'cp_sendrecv', bytes: (s.cp - 1) * T * kvWidthPerRank * BF16, count: s.cp - 1 });

  // ---- memory-bound element-wise traffic (bytes read + written)
  const dqLocal = (a.heads * a.headDim) / tp;
  const dkvLocal = (a.kvHeads * a.headDim) / tp;
  let ew =
    BF16 * (2 * Tr * h) + // input norm
    BF16 * (2 * T * (dqLocal + dkvLocal)) + // rotary on q and k
    BF16 * (3 * Tr * h) + // residual add
    BF16 * (2 * Tr * h) + // second norm
    BF16 * elementAct + // activation function
    BF16 * (3 * Tr * h) + // residual add
    BF16 * moeExtraEw;
  // fp8 training: inputs of the four GEMMs are cast (read 2 bytes, write 1); backward adds cast-transposes
  // of inputs and output gradients (Hopper FP8 GEMMs take only the TN layout)
  if (train && fp8) ew += 3 * (2 * Tr * h + T * vWidth + T * actWidth) * 2;
  // fp8 experts: the routed rows are cast again after the permutation (dispatch travels in bf16 with
  // the alltoall dispatcher); the act output's cast is in actWidth above
  if (train && fp8 && isMoe) ew += 3 * 2 * (pairs - tokensInMoe) * h;
  // inference writes the new tokens' K and V into the cache
  if (!train) ew += T * kvTok;

  // ---- activations kept for backward (bytes per micro-batch)
  const normIn = BF16 * 2 * Tr * h; // inputs of both norms (the residual stream)
  const normOut = gin * 2 * Tr * h; // normalised inputs of the QKV and MLP GEMMs
  const qkv = BF16 * T * (qkvOut + extraStored);
  const attnOut = gin * T * vWidth + 4 * T * (a.heads / tp); // out-projection input and fp32 log-sum-exp
  const lf = m.localizedFiltering ? (BF16 * T * (h + h / 2)) / tp : 0;
  const full = BF16 * Tr * h;
  // unfused attention keeps the softmax output (2 bytes), the dropout mask (1) and the dropout output (2)
  // of every score for the backward pass: Korthikanti et al.'s 5as^2b term
  const scores = 5 * scoreElements;

  return {
    gemms,
    attention: { flops: attnFlops, kvBytesRead: kvRead, scoreElements, scoreFlops, kernel: shape.kernels.attention, headDim: a.headDim },
    elementwiseBytes: ew,
    elementwiseKernels: shape.kernels.elementwiseKernelsPerLayer,
    launches: !train
      ? NO_LAUNCHES
      : {
          // norm, QKV GEMM, rotary, attention, output GEMM, residual (+ fp8 casts of the two GEMM inputs, + TP collectives)
          attention: 6 + (fp8 ? 2 : 0) + (shape.kernels.attention === 'unfused' ? 3 : 0) + (tp > 1 ? 2 : 0),
          // dense: norm, two GEMMs, activation, residual (+ casts); MoE: norm, router GEMM, top-k and
          // probabilities, load-balancing loss (a few small ops), permute, dispatch, sort, activation,
          // unsort, combine, unpermute and weighted sum, residual (+ fp8 casts)
          mlp: isMoe ? 16 + (fp8 ? 2 : 0) + (s.ep > 1 ? 2 : 0) : 5 + (fp8 ? 2 : 0) + (tp > 1 ? 2 : 0),
          // per local expert with tokens: its two GEMMs (+ fp8 casts of their inputs)
          perExpert: isMoe ? 2 + (fp8 ? 2 : 0) : 0,
          experts: isMoe ? touched : 0,
        },
    comms,
    // serving keeps nothing for a backward pass
    activations: !train
      ? NO_ACTIVATIONS
      : { residual: normIn, normOut, qkv, attnOut, scores, mlpIn: upIn + extraBytes, mlpUp: BF16 * upOut, mlpAct: gin * actOut, other: lf, full },
    normBytes: BF16 * 4 * Tr * h,
    actFnBytes: BF16 * 2 * elementAct,
    params: shape.params,
    weightBytes: shape.weightBytes,
    kvBytesPerToken: kvTok,
  };
}
