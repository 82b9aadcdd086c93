import type { ModelSpec } from '../model/types.js';

/**
 * The operator graph of one transformer layer (and of the embedding and output head) for
 * one micro-batch on one device under a given split. Everything downstream (training,
 * serving, sweeps) prices this graph; nothing else describes a layer's work.
 */

export interface Split {
  /** Tensor-parallel size. */
  tp: number;
  /** Context-parallel size (the sequence is split over cp ranks). */
  cp: number;
  /** Expert-parallel size. */
  ep: number;
  /** Megatron sequence parallelism (norms/residuals sharded over tp). */
  sp: boolean;
  /** Sequences per micro-batch. */
  mbs: number;
  /** Query tokens per sequence. */
  seq: number;
  /** Keys each query can see on average is derived from seq (causal) unless given. */
  kvLen?: number;
  /** GEMM precision. */
  fp8: boolean;
}

export interface Gemm {
  name: string;
  m: number;
  n: number;
  k: number;
  /** Identical GEMMs launched (experts of a grouped GEMM). */
  count: number;
  grouped: boolean;
  /** Runs in FP8 when the split does (output heads and routers stay in 16 bit). */
  fp8: boolean;
  /** Runs on FP4 tensor cores (NVFP4/MXFP4 on parts that have them). */
  fp4?: boolean;
  /** Stored bytes per weight element, scales included (quantized weights); default: the compute precision's. */
  weightBytes?: number;
  /** Kernel launches this entry stands for (one per layer when layers are aggregated); default 1. */
  launches?: number;
}

export type CommKind = 'tp_allgather' | 'tp_reducescatter' | 'tp_allreduce' | 'ep_alltoall' | 'cp_sendrecv';

export interface Comm {
  kind: CommKind;
  /** Full logical tensor for TP collectives; per-rank bytes sent for all-to-all and send/recv. */
  bytes: number;
  /** Launches (for all-to-all, per direction; for CP, ring steps). */
  count: number;
}

export interface LayerGraph {
  kind: 'dense' | 'moe';
  gemms: Gemm[];
  /** Core attention FLOPs (QK^T and PV) of the forward pass on this device. */
  attentionFlops: number;
  /** Bytes read and written by memory-bound ops (norms, activations, residuals, rotary, casts). */
  elementwiseBytes: number;
  /** Forward-pass communication; the backward pass mirrors it. */
  comms: Comm[];
  /** Activation bytes kept for the backward pass, by recomputation mode. */
  activations: { none: number; selective: number; full: number };
  /** Element-wise bytes that selective recomputation redoes (norms and activation functions). */
  selectiveRecomputeBytes: number;
  /** Parameters held on this device. */
  params: { dense: number; expert: number };
}

const BF16 = 2;

function attentionPairs(seq: number, window: number | null): number {
  // causal query-key pairs per sequence, optionally limited to a sliding window
  if (window === null || window >= seq) return (seq * (seq + 1)) / 2;
  return window * seq - (window * (window - 1)) / 2;
}

/** Builds the graph of a dense (kind 'dense') or MoE layer. */
export function layerGraph(m: ModelSpec, s: Split, kind: 'dense' | 'moe', windowed = false): LayerGraph {
  const h = m.hidden;
  const a = m.attention;
  const tp = s.tp;
  const T = (s.mbs * s.seq) / s.cp; // tokens of this device's micro-batch slice
  const Tr = s.sp ? T / tp : T; // tokens on the replicated (norm/residual) path
  const gemms: Gemm[] = [];
  const g = (name: string, mm: number, n: number, k: number, fp8 = s.fp8, count = 1, grouped = false) => gemms.push({ name, m: mm, n, k, count, grouped, fp8 });

  // ---- attention projections
  let qkvOut: number; // width of stored Q,K,V per token on this device
  let vWidth: number; // a * v_head_dim / tp
  let kvWidthPerRank: number; // K and V bytes per token exchanged by context parallelism
  let extraStored = 0; // latent inputs (MLA) stored per token
  if (a.mla) {
    const q = a.mla;
    const dqk = q.qkNopeHeadDim + q.qkRopeHeadDim;
    if (q.qLoraRank !== null) {
      g('q_down', T, q.qLoraRank, h);
      g('q_up', T, (a.heads * dqk) / tp, q.qLoraRank);
      extraStored += q.qLoraRank;
    } else {
      g('q_proj', T, (a.heads * dqk) / tp, h);
    }
    g('kv_down', T, q.kvLoraRank + q.qkRopeHeadDim, h);
    g('kv_up', T, (a.heads * (q.qkNopeHeadDim + q.vHeadDim)) / tp, q.kvLoraRank);
    extraStored += q.kvLoraRank + q.qkRopeHeadDim;
    vWidth = (a.heads * q.vHeadDim) / tp;
    qkvOut = (2 * a.heads * dqk) / tp + vWidth;
    kvWidthPerRank = (a.heads * (dqk + q.vHeadDim)) / tp;
    g('attn_out', T, h, vWidth);
  } else {
    const dq = (a.heads * a.headDim) / tp;
    const dkv = (a.kvHeads * a.headDim) / tp;
    g('qkv', T, dq + 2 * dkv, h);
    vWidth = dq;
    qkvOut = dq + 2 * dkv;
    kvWidthPerRank = 2 * dkv;
    g('attn_out', T, h, dq);
  }
  if (m.localizedFiltering) {
    g('lf_conv1', T, h / 2 / tp, 2 * h);
    g('lf_conv2', T, h / tp, h);
  }

  // ---- core attention (per device: heads split over tp, sequence over cp)
  const window = windowed ? a.slidingWindow : null;
  const pairs = attentionPairs(s.seq, window);
  const qkDim = a.headDim;
  const attentionFlops = (2 * s.mbs * pairs * a.heads * (qkDim + a.vHeadDim)) / tp / s.cp;

  // ---- MLP or experts. Activation storage is kept in parts so recomputation modes can drop
  // exactly what they recompute: up-projection inputs (beyond the normalised hidden state),
  // up-projection outputs (bf16), activation-function outputs (the down-projection input).
  const mats = m.mlp.gated ? 2 : 1; // up-projection outputs (gate and up)
  const gin = s.fp8 ? 1 : BF16; // bytes of a saved GEMM input (Transformer Engine keeps fp8 casts)
  let upIn = 0; // bytes
  let upOut: number; // elements, bf16
  let actOut: number; // elements (GEMM input)
  let extraBytes = 0; // router logits, combine buffer
  let actWidth: number; // activation-function output width per token
  let elementAct: number;
  const comms: Comm[] = [];
  let expertParams = 0;
  let denseMlpParams = 0;
  let moeExtraEw = 0;
  if (kind === 'moe' && m.moe) {
    // Experts are not tensor-parallel (expert-tensor size 1, the Megatron-Core/NeMo MoE recipe
    // setting): the tp x cp x dp ranks share the experts over ep groups, and each device
    // receives its 1/tp share of the tokens x top-k assignments (balanced routing).
    const e = m.moe;
    const localExperts = e.experts / s.ep;
    const routed = (T / tp) * e.topK; // expert-token pairs this device sends and receives
    const perExpert = routed / localExperts;
    const Fe = e.expertIntermediate;
    const Fs = e.sharedIntermediate;
    g('router', T, e.experts, h, false);
    g('expert_up', perExpert, mats * Fe, h, s.fp8, localExperts, true);
    g('expert_down', perExpert, h, Fe, s.fp8, localExperts, true);
    if (Fs > 0) {
      g('shared_up', T, (mats * Fs) / tp, h);
      g('shared_down', T, h, Fs / tp);
    }
    if (s.ep > 1) {
      // dispatch travels in fp8 when the experts run in fp8 (DeepEP / Megatron fp8 dispatch)
      comms.push({ kind: 'ep_alltoall', bytes: routed * h * gin, count: 1 }, { kind: 'ep_alltoall', bytes: routed * h * BF16, count: 1 });
    }
    upIn = routed * h * gin;
    extraBytes = routed * h * BF16 + 4 * T * e.experts; // expert outputs for the weighted combine; fp32 router logits
    upOut = routed * mats * Fe + (T * mats * Fs) / tp;
    actOut = routed * Fe + (T * Fs) / tp;
    actWidth = actOut / T;
    elementAct = upOut + actOut;
    moeExtraEw = 4 * routed * h; // permute and unpermute: read + write of the routed tokens
    const one = (m.mlp.gated ? 3 : 2) * h * Fe;
    expertParams = (e.experts * one) / s.ep;
    denseMlpParams = e.experts * h + (Fs > 0 ? ((m.mlp.gated ? 3 : 2) * h * Fs) / tp : 0);
  } else {
    const F = m.mlp.intermediate;
    g('mlp_up', T, (mats * F) / tp, h);
    g('mlp_down', T, h, F / tp);
    upOut = (T * mats * F) / tp;
    actOut = (T * F) / tp;
    actWidth = F / tp;
    elementAct = upOut + actOut;
    denseMlpParams = ((m.mlp.gated ? 3 : 2) * h * F) / tp;
  }

  // ---- tensor-parallel communication of the forward pass
  if (tp > 1) {
    const full = T * h * BF16;
    if (s.sp) {
      comms.push({ kind: 'tp_allgather', bytes: full, count: 2 }, { kind: 'tp_reducescatter', bytes: full, count: 2 });
    } else {
      comms.push({ kind: 'tp_allreduce', bytes: full, count: 2 });
    }
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
  // fp8: inputs of the four GEMMs are cast (read 2 bytes, write 1); backward adds cast-transposes
  // of inputs and output gradients (Hopper FP8 GEMMs take only the TN layout)
  if (s.fp8) ew += 3 * (2 * Tr * h + T * vWidth + T * actWidth) * 2;

  // ---- activations kept for backward (bytes per micro-batch)
  const normIn = BF16 * 2 * Tr * h; // inputs of both norms (the residual stream)
  const normOut = gin * 2 * Tr * h; // normalised inputs of the QKV and MLP GEMMs
  const qkv = BF16 * T * (qkvOut + extraStored);
  const attnOut = gin * T * vWidth + 4 * T * (a.heads / tp); // out-projection input and fp32 log-sum-exp
  const lf = m.localizedFiltering ? (BF16 * T * (h + h / 2)) / tp : 0;
  const none = normIn + normOut + qkv + attnOut + upIn + extraBytes + BF16 * upOut + gin * actOut + lf;
  // selective: recompute norms, core attention and activation functions (Megatron-Core
  // recompute_modules layernorm / core_attn / mlp act / moe_act): cheap to redo, large to keep
  const selective = none - normOut - attnOut - gin * actOut;
  const full = BF16 * Tr * h;

  const attnParams =
    (a.mla
      ? (a.mla.qLoraRank !== null
          ? h * a.mla.qLoraRank + a.mla.qLoraRank * a.heads * (a.mla.qkNopeHeadDim + a.mla.qkRopeHeadDim)
          : h * a.heads * (a.mla.qkNopeHeadDim + a.mla.qkRopeHeadDim)) +
        h * (a.mla.kvLoraRank + a.mla.qkRopeHeadDim) +
        a.mla.kvLoraRank * a.heads * (a.mla.qkNopeHeadDim + a.mla.vHeadDim) +
        a.heads * a.mla.vHeadDim * h
      : h * (a.heads + 2 * a.kvHeads) * a.headDim + a.heads * a.headDim * h) /
      tp +
    (m.localizedFiltering ? (2 * h * h) / tp : 0) +
    2 * h;

  return {
    kind,
    gemms,
    attentionFlops,
    elementwiseBytes: ew,
    comms,
    activations: { none, selective, full },
    selectiveRecomputeBytes: BF16 * (4 * Tr * h + 2 * elementAct),
    params: { dense: attnParams + denseMlpParams, expert: expertParams },
  };
}

/** Output head and loss of the last pipeline stage (plus the embedding lookup of the first). */
export interface HeadGraph {
  gemms: Gemm[];
  elementwiseBytes: number;
  /** Logits and loss buffers kept for backward. */
  activationBytes: number;
  comms: Comm[];
  params: { embedding: number; head: number };
}

export function headGraph(m: ModelSpec, s: Split): HeadGraph {
  const h = m.hidden;
  const T = (s.mbs * s.seq) / s.cp;
  const Tr = s.sp ? T / s.tp : T;
  const V = m.vocab / s.tp;
  const gemms: Gemm[] = [{ name: 'lm_head', m: T, n: V, k: h, count: 1, grouped: false, fp8: false }];
  const comms: Comm[] = [];
  if (s.tp > 1) comms.push({ kind: s.sp ? 'tp_allgather' : 'tp_allreduce', bytes: T * h * BF16, count: 1 });
  // fp32 logits for the vocab-parallel cross-entropy (softmax, loss and its gradient)
  const elementwiseBytes = 4 * T * V * 3 + BF16 * 4 * Tr * h;
  const activationBytes = T * V * (BF16 + 4) + BF16 * 2 * Tr * h;
  const embedding = (m.vocab * h + m.learnedPositions * h) / s.tp;
  const head = m.tiedEmbeddings ? 0 : (m.vocab * h) / s.tp;
  return { gemms, elementwiseBytes, activationBytes, comms, params: { embedding, head } };
}

/**
 * Model FLOPs per token (forward + backward = 3x forward, causal attention counted as
 * half the s^2 work): matrix multiplies of every active parameter incl. the output head,
 * plus core attention. Independent of the split.
 */
export function modelFlopsPerToken(m: ModelSpec, seq: number): number {
  const one: Split = { tp: 1, cp: 1, ep: 1, sp: false, mbs: 1, seq, fp8: false };
  let fwd = 0;
  const moeLayers = m.moe ? m.moe.moeLayers : 0;
  const slide = m.attention.slidingLayers;
  const add = (kind: 'dense' | 'moe', windowed: boolean, count: number) => {
    if (count <= 0) return;
    const gph = layerGraph(m, one, kind, windowed);
    let f = gph.attentionFlops;
    for (const x of gph.gemms) f += 2 * x.m * x.n * x.k * x.count;
    fwd += (f / seq) * count;
  };
  // split layers into (kind x windowed) classes; windowed layers are spread evenly
  const dense = m.layers - moeLayers;
  const windowShare = m.layers > 0 ? slide / m.layers : 0;
  add('dense', false, dense * (1 - windowShare));
  add('dense', true, dense * windowShare);
  add('moe', false, moeLayers * (1 - windowShare));
  add('moe', true, moeLayers * windowShare);
  const head = headGraph(m, one);
  for (const x of head.gemms) fwd += (2 * x.m * x.n * x.k) / seq;
  return 3 * fwd;
}
