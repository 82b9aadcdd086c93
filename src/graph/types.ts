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

/** The numeric formats of a run. */
export interface Numerics {
  /** Tensor-core precision of the linear layers. */
  gemm: GemmPrecision;
  /** Stored bytes per element of a linear weight of shape [out, in], scales included. */
  weightBytes: (out: number, inFeatures: number) => number;
  /** Bytes per element of the KV cache (inference). */
  kvBytes: number;
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
}

export interface LayerGraph {
  gemms: Gemm[];
  attention: AttentionOp;
  /** Bytes read and written by memory-bound ops (norms, activations, residuals, rotary, casts, MoE permutation, KV writes). */
  elementwiseBytes: number;
  elementwiseKernels: number;
  /** Forward-pass communication; the backward pass mirrors it. */
  comms: Comm[];
  /** Activation bytes kept for the backward pass, by recomputation mode (training). */
  activations: { none: number; selective: number; full: number };
  /** Element-wise bytes that selective recomputation redoes (norms and activation functions). */
  selectiveRecomputeBytes: number;
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
