/** Exact architecture of a decoder-only transformer, as Sinan's cost model needs it. */

export interface MlaSpec {
  /** Rank of the low-rank query projection; null when queries are projected directly. */
  qLoraRank: number | null;
  kvLoraRank: number;
  qkNopeHeadDim: number;
  qkRopeHeadDim: number;
  vHeadDim: number;
}

export interface AttentionSpec {
  kind: 'mha' | 'gqa' | 'mqa' | 'mla';
  heads: number;
  kvHeads: number;
  /** Query/key head dimension (for MLA: nope + rope). */
  headDim: number;
  /** Value head dimension (equals headDim except for MLA). */
  vHeadDim: number;
  mla: MlaSpec | null;
  qkvBias: boolean;
  outBias: boolean;
  /** RMSNorm on queries and keys: per head (Qwen3, Gemma 3: headDim weights each), over the full projection width (OLMo 2), or none. */
  qkNorm: 'none' | 'per-head' | 'full';
  /** Learned per-head attention sinks (gpt-oss). */
  sinks: boolean;
  /** Sliding window in tokens of the layers marked 'sliding' in the pattern, or null. */
  slidingWindow: number | null;
  /** Chunk length of the layers marked 'chunked' (attention within fixed chunks, Llama 4), or null. */
  chunkSize: number | null;
}

/** What one layer is: a dense MLP or experts; attention over every earlier token, a sliding window, or a chunk. */
export interface LayerSpec {
  mlp: 'dense' | 'moe';
  attention: 'global' | 'sliding' | 'chunked';
}

export interface MlpSpec {
  /** SwiGLU-style gate (3 matrices) or a plain 2-matrix MLP. */
  gated: boolean;
  intermediate: number;
  bias: boolean;
}

export interface MoeSpec {
  experts: number;
  topK: number;
  expertIntermediate: number;
  /** Total intermediate width of always-on shared experts (0 when none). */
  sharedIntermediate: number;
  routerBias: boolean;
  expertBias: boolean;
}

export interface ModelSpec {
  id: string;
  name: string;
  family: string;
  hidden: number;
  layers: number;
  vocab: number;
  tiedEmbeddings: boolean;
  /** Rows of a learned absolute position table (0 for RoPE/ALiBi models). */
  learnedPositions: number;
  /** Context length the config declares (0 when it does not say). */
  maxPositions: number;
  norm: 'rms' | 'layer';
  normBias: boolean;
  /** Norms carry learned weights (false: OLMo's non-parametric layer norm). */
  normAffine: boolean;
  /** Norms per layer (2 for pre-norm blocks, 1 for Falcon's parallel block, 4 with post-norms as in Gemma 2). */
  normsPerLayer: number;
  /** The output head has a bias (Phi-3.5-MoE). */
  headBias: boolean;
  /** Every layer, in order (length = layers). */
  pattern: LayerSpec[];
  attention: AttentionSpec;
  /** The dense MLP (used by every layer of a dense model and by the dense layers of a MoE). */
  mlp: MlpSpec;
  moe: MoeSpec | null;
  /** Yuan 2.0 localized-filtering attention (two causal convolutions per layer). */
  localizedFiltering: boolean;
  /** DeepSeek-V3 multi-token-prediction modules (trained, not counted in the published total). */
  mtpLayers: number;
  /** Where the architecture came from. */
  source: string;
}

export interface ParameterCounts {
  /** All parameters (excluding MTP modules, matching published totals). */
  total: number;
  /** Parameters touched per token (top-k experts), embeddings included. */
  active: number;
  embedding: number;
  lmHead: number;
  positions: number;
  /** Per transformer layer, attention block incl. norms. */
  attentionPerLayer: number;
  denseMlpPerLayer: number;
  /** Expert parameters in one MoE layer (all experts). */
  expertsPerMoeLayer: number;
  /** Non-expert MoE-layer parameters: router and shared experts. */
  moeSharedPerLayer: number;
  /** Parameters of the non-expert part of the whole model. */
  nonExpert: number;
  /** Parameters of all routed experts together. */
  expert: number;
  mtp: number;
}
