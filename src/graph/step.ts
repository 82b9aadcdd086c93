import type { ModelSpec } from '../model/types.js';
import type { Comm, Gemm } from './layer.js';

/**
 * The operator graph of one inference step on one device: `decodeSeqs` sequences each
 * adding one token over a cache of `decodeContext` tokens, plus `prefillSeqs` prompts of
 * `prefillTokens` tokens each. Same Gemm and Comm vocabulary as the training graph.
 */

export interface StepSplit {
  tp: number;
  pp: number;
  /** Expert parallelism inside the tensor-parallel group (ep divides tp); experts are tensor-split tp/ep ways. */
  ep: number;
  /** Bits per weight of the quantized linear layers (scales included), by input width. */
  weightBits: (k: number) => number;
  compute: 'bf16' | 'fp8' | 'fp4';
  /** Bytes per KV element. */
  kvBytes: number;
  /**
   * How the decode attention kernel reads a grouped (GQA/MQA) KV cache: `grouped` loads each KV
   * head once for all the query heads that share it (FlashInfer, FlashAttention, TensorRT-LLM's
   * XQA); `per-query-head` streams it once per query head (masked-MHA kernels before XQA,
   * eager attention that expands K/V with repeat_kv). Default `grouped`.
   */
  decodeAttention?: 'grouped' | 'per-query-head';
}

export interface StepLoad {
  decodeSeqs: number;
  decodeContext: number;
  prefillSeqs: number;
  prefillTokens: number;
  /** Tokens each decode sequence verifies per step (speculative decoding); 1 otherwise. */
  tokensPerSeq?: number;
}

export interface StepGraph {
  gemms: Gemm[];
  /** Core-attention FLOPs of prefill tokens (compute-bound, flash). */
  prefillAttentionFlops: number;
  /** Core-attention FLOPs and KV bytes read by decode tokens (memory-bound). */
  decodeAttentionFlops: number;
  kvBytesRead: number;
  elementwiseBytes: number;
  comms: Comm[];
  /** Layers on this device. */
  layers: number;
}

/** Bytes of KV cache per token per layer on one device. */
export function kvBytesPerTokenLayer(m: ModelSpec, tp: number, kvBytes: number): number {
  const a = m.attention;
  if (a.mla) return (a.mla.kvLoraRank + a.mla.qkRopeHeadDim) * kvBytes; // latent cache, replicated over TP
  return 2 * Math.max(1, a.kvHeads / tp) * a.headDim * kvBytes;
}

/** KV bytes one request of `context` tokens holds on one device (sliding-window layers capped). */
export function kvBytesPerRequest(m: ModelSpec, tp: number, pp: number, kvBytes: number, context: number): number {
  const per = kvBytesPerTokenLayer(m, tp, kvBytes);
  const a = m.attention;
  const windowed = a.slidingWindow !== null ? a.slidingLayers : 0;
  const full = m.layers - windowed;
  return ((full * context + windowed * Math.min(context, a.slidingWindow ?? context)) * per) / pp;
}

export function stepGraph(m: ModelSpec, s: StepSplit, load: StepLoad): StepGraph {
  const h = m.hidden;
  const a = m.attention;
  const tp = s.tp;
  const spt = load.tokensPerSeq ?? 1;
  const M = load.decodeSeqs * spt + load.prefillSeqs * load.prefillTokens; // new tokens this step
  const layers = m.layers / s.pp;
  const gemms: Gemm[] = [];
  const fp8 = s.compute === 'fp8';
  const fp4 = s.compute === 'fp4';
  const q = (name: string, n: number, k: number, count = layers) =>
    gemms.push({ name, m: M, n, k, count, grouped: false, fp8, fp4, weightBytes: s.weightBits(k) / 8, launches: count });

  // attention projections (quantized)
  let vWidth: number;
  if (a.mla) {
    const ml = a.mla;
    const dqk = ml.qkNopeHeadDim + ml.qkRopeHeadDim;
    if (ml.qLoraRank !== null) {
      q('q_down', ml.qLoraRank, h);
      q('q_up', (a.heads * dqk) / tp, ml.qLoraRank);
    } else q('q_proj', (a.heads * dqk) / tp, h);
    q('kv_down', ml.kvLoraRank + ml.qkRopeHeadDim, h);
    q('kv_up', (a.heads * (ml.qkNopeHeadDim + ml.vHeadDim)) / tp, ml.kvLoraRank);
    vWidth = (a.heads * ml.vHeadDim) / tp;
  } else {
    q('qkv', ((a.heads + 2 * a.kvHeads) * a.headDim) / tp, h);
    vWidth = (a.heads * a.headDim) / tp;
  }
  q('attn_out', h, vWidth);
  if (m.localizedFiltering) {
    q('lf_conv1', h / 2 / tp, 2 * h);
    q('lf_conv2', h / tp, h);
  }

  // MLP or experts
  const mats = m.mlp.gated ? 2 : 1;
  const moeLayers = m.moe ? (m.moe.moeLayers * layers) / m.layers : 0;
  const denseLayers = layers - moeLayers;
  let actElems = 0;
  if (denseLayers > 0) {
    const F = m.mlp.intermediate;
    q('mlp_up', (mats * F) / tp, h, denseLayers);
    q('mlp_down', h, F / tp, denseLayers);
    actElems += denseLayers * M * (mats + 1) * (F / tp);
  }
  if (m.moe && moeLayers > 0) {
    const e = m.moe;
    const etp = tp / s.ep;
    const local = e.experts / s.ep;
    const touchedShare = 1 - Math.pow(1 - e.topK / e.experts, M); // chance a given expert gets a token
    const touched = local * touchedShare;
    const perExpert = (M * e.topK) / e.experts / Math.max(touchedShare, 1e-12);
    gemms.push({ name: 'router', m: M, n: e.experts, k: h, count: moeLayers, grouped: false, fp8: false, launches: moeLayers });
    gemms.push({
      name: 'expert_up',
      m: perExpert,
      n: (mats * e.expertIntermediate) / etp,
      k: h,
      count: moeLayers * touched,
      grouped: true,
      fp8,
      fp4,
      weightBytes: s.weightBits(h) / 8,
      launches: moeLayers,
    });
    gemms.push({
      name: 'expert_down',
      m: perExpert,
      n: h,
      k: e.expertIntermediate / etp,
      count: moeLayers * touched,
      grouped: true,
      fp8,
      fp4,
      weightBytes: s.weightBits(e.expertIntermediate) / 8,
      launches: moeLayers,
    });
    if (e.sharedIntermediate > 0) {
      q('shared_up', (mats * e.sharedIntermediate) / tp, h, moeLayers);
      q('shared_down', h, e.sharedIntermediate / tp, moeLayers);
    }
    actElems += moeLayers * ((M * e.topK) / s.ep) * (mats + 1) * (e.expertIntermediate / etp);
  }

  // output head: one logit row per sequence (the last prompt token, or each decoded token)
  const rows = load.decodeSeqs * spt + load.prefillSeqs;
  gemms.push({ name: 'lm_head', m: rows, n: m.vocab / tp, k: h, count: 1 / s.pp, grouped: false, fp8: false });

  // core attention
  const windowShare = a.slidingWindow !== null ? a.slidingLayers / m.layers : 0;
  const w = a.slidingWindow ?? Infinity;
  const headsDev = a.heads / tp;
  const dims = a.headDim + a.vHeadDim;
  const P = load.prefillTokens;
  const pairsFull = load.prefillSeqs * ((P * (P + 1)) / 2);
  const pairsWin = load.prefillSeqs * (P <= w ? (P * (P + 1)) / 2 : w * P - (w * (w - 1)) / 2);
  const pairs = (1 - windowShare) * pairsFull + windowShare * pairsWin;
  const prefillAttentionFlops = 2 * dims * headsDev * pairs * layers;
  const ctx = load.decodeContext;
  const ctxEff = (1 - windowShare) * ctx + windowShare * Math.min(ctx, w);
  const decodeAttentionFlops = 2 * dims * headsDev * load.decodeSeqs * spt * ctxEff * layers;
  // a per-query-head kernel re-reads each KV head once for every query head of its group
  const rereads = s.decodeAttention === 'per-query-head' && !a.mla ? Math.max(1, headsDev / Math.max(1, a.kvHeads / tp)) : 1;
  const kvBytesRead = load.decodeSeqs * ctxEff * kvBytesPerTokenLayer(m, tp, s.kvBytes) * layers * rereads;

  // element-wise: norms, residuals, rotary, activation, KV writes
  const elementwiseBytes =
    layers * M * 2 * (10 * h + (2 * (a.heads + a.kvHeads) * a.headDim) / tp) + 2 * actElems + M * layers * kvBytesPerTokenLayer(m, tp, s.kvBytes);

  const comms: Comm[] = [];
  if (tp > 1) comms.push({ kind: 'tp_allreduce', bytes: M * h * 2, count: 2 * layers });
  return { gemms, prefillAttentionFlops, decodeAttentionFlops, kvBytesRead, elementwiseBytes, comms, layers };
}
