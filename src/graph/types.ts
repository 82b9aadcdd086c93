import type { MatrixRole } from '../model/weights.js';

/** The vocabulary of the operator graph: what one layer (or the head) does on one device. */

/** How the work is spread over devices. */
export interface Split {
  /** Tensor-parallel size (attention heads, dense MLP and shared experts are split this many ways). */
  tp: number;
  /** Context-parallel size (the sequence is split over cp ranks; training). */
  cp: number;
  /** Expert-parallel size: the routed experts are spread over ep ranks... */
  ep: number;
  /** ...and each expert's matrices are split over etp ranks (expert tensor parallelism). */
  etp: number;
  /**
   * How many devices of the ep x etp expert group see the same tokens at the MoE input: 1 when
   * every rank brings its own tokens (training: tokens are then exchanged by all-to-all), tp
   * when the whole tensor-parallel group holds the same batch (serving: experts read it in place).
   */
  moeTokenReplicas: number;
  /** Megatron sequence parallelism (norms/residuals sharded over tp). */
  sp: boolean;
}

/** A run of sequences that each add `newTokens` after `pastTokens` already in the cache. */
export interface Segment {
  seqs: number;
  newTokens: number;
  pastTokens: number;
}

/**
 * The work one step does: a training micro-batch (segments of whole sequences, backward
 * pass to follow), a prefill chunk, a decode step (one or a few new tokens over a cache), or a
 * mix of both (chunked prefill beside decodes).
 */
export interface Load {
  segments: Segment[];
  training: boolean;
}

export type GemmPrecision = 'bf16' | 'fp8' | 'fp4';

/** One matrix role's format in a mixed-precision layer: stored bytes per element and tensor-core precision. */
export interface RoleNumerics {
  weightBytes: (out: number, inFeatures: number) => number;
  gemm: GemmPrecision;
}

/** The numeric formats of a run. */
export interface Numerics {
  /** Tensor-core precision of the linear layers. */
  gemm: GemmPrecision;
  /** Stored bytes per element of a linear weight of shape [out, in], scales included. */
  weightBytes: (out: number, inFeatures: number) => number;
  /** Bytes per element of the KV cache (inference): the mean of K's and V's when they differ. */
  kvBytes: number;
  /**
   * Mixed precision (seed 000): the format of each matrix role of this layer, priced matrix by
   * matrix; a fused GEMM whose members differ reads their bytes and runs in 16 bits unless every
   * member runs in the same lower precision. Roles left out use the fields above.
   */
  roles?: Readonly<Partial<Record<MatrixRole, RoleNumerics>>>;
}

/**
 * How the kernels of the software stack run: whether decode attention reads a shared GQA/MQA
 * KV head once for its group (FlashAttention, FlashInfer, XQA) or once per query head (older
 * masked-MHA kernels, eager attention with repeat_kv), and how many element-wise kernels a
 * layer launches (fusion).
 */
export interface KernelTraits {
  decodeAttention: 'grouped' | 'per-query-head';
  elementwiseKernelsPerLayer: number;
  /**
   * The attention kernel of prefill and training: 'fused' (cuDNN FusedAttention, FlashAttention-3
   * on Hopper and later; FlashAttention-2 on Ampere), 'flash2' (FlashAttention-2 on any GPU), or
   * 'unfused' (Q.K^T and P.V as batched GEMMs with the s x s scores written to memory).
   */
  attention: 'fused' | 'flash2' | 'unfused';
  /**
   * Expert GEMMs as one grouped kernel ('fused': CUTLASS/cuBLASLt grouped GEMM, vLLM's fused MoE)
   * or one GEMM per expert spread over a few streams ('multi-stream': Transformer Engine's
   * GroupedLinear), each with its own last, partly filled wave of tiles and its own launch.
   */
  groupedGemm?: 'fused' | 'multi-stream';
}

export interface Gemm {
  name: string;
  m: number;
  n: number;
  k: number;
  /** Weight copies the GEMM reads (the experts a batch touches); 1 otherwise. */
  count: number;
  grouped: boolean;
  precision: GemmPrecision;
  /** Stored bytes per weight element, scales included. */
  weightBytes: number;
  /** Bytes per activation element read and written. */
  actBytes: number;
  /** Kernel launches this entry stands for; default 1. */
  launches?: number;
  /** The `count` GEMMs run one at a time (their tiles do not share waves). */
  separate?: boolean;
}

export type CommKind = 'tp_allgather' | 'tp_reducescatter' | 'tp_allreduce' | 'ep_alltoall' | 'cp_sendrecv';

export interface Comm {
  kind: CommKind;
  /** Full logical tensor for TP collectives; per-rank bytes sent for all-to-all and send/recv. */
  bytes: number;
  /** Launches (for all-to-all, per direction; for CP, ring steps). */
  count: number;
}

/** Core attention of one layer's forward pass on one device. */
export interface AttentionOp {
  flops: number;
  /** Bytes of K and V streamed from memory (the cache for decode; re-reads per query block for long queries). */
  kvBytesRead: number;
  /**
   * Unfused attention only: score elements (batch x heads x queries x keys, the whole square: the
   * causal mask is applied after Q.K^T) that are written to and read from memory; 0 for fused kernels.
   */
  scoreElements: number;
  /** Unfused attention only: FLOPs of Q.K^T and P.V over the whole square of scores. */
  scoreFlops: number;
  kernel: KernelTraits['attention'];
  /** Query/key head dimension (fused kernels run smaller heads less efficiently). */
  headDim: number;
}

/**
 * Activation bytes one layer keeps for its backward pass, by what produces them: the parts a
 * recomputation module (Megatron-Core --recompute-modules) drops and redoes.
 */
export interface ActivationParts {
  /** Inputs of the two norms (the residual stream): kept unless the whole layer is recomputed. */
  residual: number;
  /** Normalised inputs of the QKV and MLP GEMMs (module 'layernorm'). */
  normOut: number;
  /** Q, K, V as attention reads them (module 'mla_up_proj' recomputes them for MLA). */
  qkv: number;
  /** Attention output and its softmax statistics (module 'core_attn'). */
  attnOut: number;
  /** Unfused attention: the softmax output, dropout mask and output of the s x s scores (module 'core_attn'). */
  scores: number;
  /** MLP or expert inputs after routing and the expert outputs kept for the weighted combine (module 'mlp' / 'moe'). */
  mlpIn: number;
  /** Gate and up projections, the activation function's input (module 'mlp' / 'moe'). */
  mlpUp: number;
  /** Activation function output, the down projection's input (modules 'mlp_act' / 'moe_act'). */
  mlpAct: number;
  /** Anything else (Yuan 2.0 localized filtering). */
  other: number;
  /** What full recomputation keeps: the layer input. */
  full: number;
}

export interface LayerGraph {
  gemms: Gemm[];
  attention: AttentionOp;
  /** Bytes read and written by memory-bound ops (norms, activations, residuals, rotary, casts, MoE permutation, KV writes). */
  elementwiseBytes: number;
  elementwiseKernels: number;
  /**
   * Kernels one forward pass of the layer launches, by part: the attention block and the dense MLP
   * (or the MoE block's router, permutation and combine), and the per-expert GEMMs of a grouped
   * GEMM that loops over experts (Transformer Engine's multi-stream GroupedLinear); 0 per expert
   * when one kernel does every expert.
   */
  launches: { attention: number; mlp: number; perExpert: number; experts: number };
  /** Forward-pass communication; the backward pass mirrors it. */
  comms: Comm[];
  /** Activation bytes kept for the backward pass (training), by what produces them. */
  activations: ActivationParts;
  /** Element-wise bytes of the forward pass's norms and of its activation functions (what modules 'layernorm' and '*_act' redo). */
  normBytes: number;
  actFnBytes: number;
  /** Parameters held on this device. */
  params: { dense: number; expert: number };
  /** Bytes of weights this device stores for the layer (in the run's formats). */
  weightBytes: number;
  /** KV-cache bytes per token this layer keeps on this device. */
  kvBytesPerToken: number;
}

/** The output head (and embedding) on one device. */
export interface HeadGraph {
  gemms: Gemm[];
  elementwiseBytes: number;
  /** Logits and loss buffers kept for backward (training). */
  activationBytes: number;
  comms: Comm[];
  params: { embedding: number; head: number };
  /** Bytes of the embedding table and head on this device (16-bit: they are not quantized). */
  weightBytes: number;
}
