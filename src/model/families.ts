/**
 * The model families Sinan imports from Hugging Face `config.json`, as one table of traits:
 * what each family's config class assumes when a key is absent, which names it uses for the
 * common quantities, how its layers are laid out, and which of its keys describe an
 * architecture Sinan does not model (an error naming the key, never a silent guess). The
 * parser (hf.ts) reads only this table; it has no family special cases of its own.
 * Sources: each family's transformers `configuration_*.py` / `modeling_*.py` (v4.4x-5.x) and
 * the configs in test/fixtures/hf-configs (SOURCES.md).
 */

/** Quantities the parser reads, each under the family's own key names (first found wins). */
export type Canon =
  | 'hidden'
  | 'layers'
  | 'heads'
  | 'kvHeads'
  | 'headDim'
  | 'intermediate'
  | 'vocab'
  | 'maxPositions'
  | 'experts'
  | 'topK'
  | 'expertIntermediate'
  | 'sharedIntermediate'
  | 'sharedExperts'
  | 'denseIntermediate';

export const DEFAULT_KEYS: Record<Canon, readonly string[]> = {
  hidden: ['hidden_size', 'n_embd', 'd_model'],
  layers: ['num_hidden_layers', 'n_layer', 'n_layers', 'num_layers'],
  heads: ['num_attention_heads', 'n_head', 'n_heads', 'num_heads'],
  kvHeads: ['num_key_value_heads', 'num_kv_heads', 'n_head_kv', 'attn_config.kv_n_heads'],
  headDim: ['head_dim', 'kv_channels'],
  intermediate: ['intermediate_size', 'n_inner', 'ffn_hidden_size'],
  vocab: ['vocab_size', 'padded_vocab_size'],
  maxPositions: ['max_position_embeddings', 'n_positions', 'max_seq_len', 'seq_length', 'model_max_length'],
  experts: ['num_local_experts', 'num_experts', 'n_routed_experts'],
  topK: ['num_experts_per_tok', 'experts_per_token', 'moe_topk'],
  expertIntermediate: ['moe_intermediate_size'],
  sharedIntermediate: ['shared_expert_intermediate_size', 'shared_intermediate_size'],
  sharedExperts: ['n_shared_experts', 'num_shared_experts'],
  denseIntermediate: [],
};

/** How the layers alternate between sliding-window and global attention. */
export type SlidingRule =
  /** Every layer, when sliding_window is set and use_sliding_window is not false (Mistral, Phi-3, StarCoder 2). */
  | 'all'
  /** Only the layers named in layer_types, or by max_window_layers (Qwen 2/3: layers at or beyond it). */
  | 'layer-types'
  /** Even layers slide, odd ones are global (Gemma 2). */
  | 'alternate-even'
  /** All but every n-th layer slide (Gemma 3: sliding_window_pattern 6), or as layer_types says. */
  | 'pattern'
  /** The family has no sliding windows. */
  | 'none';

export interface UnsupportedKey {
  key: string;
  /** The value means an unmodelled architecture (default: any value that is present and not null/false). */
  when?: (v: unknown) => boolean;
  reason: string;
}

export interface FamilyTraits {
  family: string;
  /** model_type values of this family. */
  modelTypes: readonly string[];
  /** Key names for quantities, where they differ from DEFAULT_KEYS (tried first). */
  keys?: Partial<Record<Canon, readonly string[]>>;
  /** Values the family's config class supplies when the key is absent (e.g. Gemma 3's vocab_size). */
  configDefaults?: Readonly<Record<string, unknown>>;
  tie: boolean;
  /** Activation when hidden_act is absent. */
  act: string;
  /** The MLP has gate, up and down matrices whatever hidden_act says (Gemma's GeGLU, GLU families). */
  gated?: boolean;
  norm: 'rms' | 'layer';
  normBias: boolean;
  normAffine: boolean;
  normsPerLayer: number;
  qkvBias: boolean;
  outBias: boolean;
  mlpBias: boolean;
  headBias: boolean;
  qkNorm: 'none' | 'per-head' | 'full';
  learnedPositions: boolean;
  /** MLP width when the config has none (GPT-2 style: 4 x hidden). */
  defaultIntermediate?: (hidden: number) => number;
  sliding: SlidingRule;
  /** Llama 4: attention within chunks of attention_chunk_size on every layer but the NoPE ones. */
  chunkedAttention?: boolean;
  /** Routers carry a bias (gpt-oss), or a score-correction bias when the config says topk_method noaux_tc (DeepSeek-V3). */
  routerBias?: boolean | ((config: Readonly<Record<string, unknown>>) => boolean);
  expertBias?: boolean;
  /** Learned per-head attention sinks. */
  sinks?: boolean;
  /** Falcon's parallel block: one norm per layer unless new_decoder_architecture. */
  parallelBlockNorm?: boolean;
  /** Keys that describe an architecture Sinan does not model. */
  unsupported?: readonly UnsupportedKey[];
  /** Not a decoder-only transformer: why. */
  notTransformer?: string;
}

const RMS: Omit<FamilyTraits, 'family' | 'modelTypes'> = {
  tie: false,
  act: 'silu',
  norm: 'rms',
  normBias: false,
  normAffine: true,
  normsPerLayer: 2,
  qkvBias: false,
  outBias: false,
  mlpBias: false,
  headBias: false,
  qkNorm: 'none',
  learnedPositions: false,
  sliding: 'none',
};

const NOT_TRANSFORMER = (what: string): Omit<FamilyTraits, 'family' | 'modelTypes'> => ({ ...RMS, notTransformer: what });

/** GPT-style blocks: LayerNorm with bias, GELU, biases on every projection, a 4h MLP (GPT-NeoX, BLOOM, GPT-2 with its own GELU). */
const GPT_BLOCK: Omit<FamilyTraits, 'family' | 'modelTypes'> = {
  ...RMS,
  act: 'gelu',
  norm: 'layer',
  normBias: true,
  qkvBias: true,
  outBias: true,
  mlpBias: true,
  defaultIntermediate: (h) => 4 * h,
};

/** Keys no decoder-only family uses: their presence means an architecture outside the cost model. */
export const UNSUPPORTED_ANYWHERE: readonly UnsupportedKey[] = [
  { key: 'is_encoder_decoder', when: (v) => v === true, reason: 'encoder-decoder models are not modelled; Sinan plans decoder-only transformers' },
  { key: 'cross_attention_layers', reason: 'cross-attention layers (vision-language models such as Llama 3.2 Vision) are not modelled' },
  {
    key: 'attn_type_list',
    when: (v) => Array.isArray(v) && v.some((x) => x === 0),
    reason: 'linear ("lightning") attention layers are not modelled; only softmax attention',
  },
  { key: 'hybrid_override_pattern', reason: 'hybrid attention/state-space layer patterns are not modelled' },
  { key: 'ssm_cfg', reason: 'state-space (Mamba) layers are not modelled' },
  {
    key: 'layers_block_type',
    when: (v) => Array.isArray(v) && v.some((x) => x !== 'attention'),
    reason: 'non-attention layers (state-space or recurrent blocks) are not modelled',
  },
  {
    key: 'layer_types',
    when: (v) => Array.isArray(v) && v.some((x) => !['full_attention', 'sliding_attention', 'chunked_attention', 'attention'].includes(String(x))),
    reason: 'layer types other than full, sliding or chunked attention are not modelled',
  },
  {
    key: 'moe_layer_freq',
    when: (v) => Array.isArray(v),
    reason: 'a per-layer list of MoE layers in moe_layer_freq is not supported; give an integer frequency',
  },
  { key: 'num_experts_per_tok', when: (v) => Array.isArray(v), reason: 'a different top-k per layer is not modelled' },
];

export const FAMILIES: readonly FamilyTraits[] = [
  { family: 'llama', modelTypes: ['llama', 'granite', 'internlm3', 'yi'], ...RMS },
  { family: 'mistral', modelTypes: ['mistral', 'mixtral'], ...RMS, sliding: 'all' },
  { family: 'qwen2', modelTypes: ['qwen2', 'qwen2_moe', 'qwen2_vl', 'qwen2_5_vl'], ...RMS, qkvBias: true, sliding: 'layer-types' },
  { family: 'qwen3', modelTypes: ['qwen3', 'qwen3_moe'], ...RMS, qkNorm: 'per-head', sliding: 'layer-types' },
  // DeepSeek MoE with MLA: V3 (and Kimi K2) route with a score-correction bias per expert (topk_method noaux_tc, the V3 default)
  { family: 'deepseek_v2', modelTypes: ['deepseek_v2'], ...RMS, configDefaults: { topk_method: 'greedy' }, routerBias: (c) => c.topk_method === 'noaux_tc' },
  {
    family: 'deepseek_v3',
    modelTypes: ['deepseek_v3', 'kimi_k2'],
    ...RMS,
    configDefaults: { topk_method: 'noaux_tc' },
    routerBias: (c) => c.topk_method === 'noaux_tc',
  },
  { family: 'gpt-oss', modelTypes: ['gpt_oss'], ...RMS, qkvBias: true, outBias: true, routerBias: true, expertBias: true, sinks: true, sliding: 'layer-types' },
  { family: 'yuan', modelTypes: ['yuan'], ...RMS, tie: true },
  // Gemma: GeGLU (gate, up, down), tied embeddings, explicit head_dim
  { family: 'gemma', modelTypes: ['gemma'], ...RMS, tie: true, act: 'gelu_pytorch_tanh', gated: true },
  { family: 'gemma2', modelTypes: ['gemma2'], ...RMS, tie: true, act: 'gelu_pytorch_tanh', gated: true, normsPerLayer: 4, sliding: 'alternate-even' },
  {
    family: 'gemma3',
    modelTypes: ['gemma3_text', 'gemma3'],
    ...RMS,
    tie: true,
    act: 'gelu_pytorch_tanh',
    gated: true,
    normsPerLayer: 4,
    qkNorm: 'per-head',
    sliding: 'pattern',
    // Gemma3TextConfig defaults (transformers models/gemma3/configuration_gemma3.py): the 4B-27B configs
    // nest a text_config that leaves these out
    configDefaults: {
      vocab_size: 262208,
      hidden_size: 2304,
      intermediate_size: 9216,
      num_hidden_layers: 26,
      num_attention_heads: 8,
      num_key_value_heads: 4,
      head_dim: 256,
      max_position_embeddings: 131072,
      sliding_window: 4096,
      sliding_window_pattern: 6,
    },
  },
  { family: 'phi3', modelTypes: ['phi3'], ...RMS, sliding: 'all' },
  // Phi-3.5-MoE: LayerNorm with biases, attention biases, a biased output head
  { family: 'phimoe', modelTypes: ['phimoe'], ...RMS, norm: 'layer', normBias: true, qkvBias: true, outBias: true, headBias: true, sliding: 'all' },
  // ChatGLM 2/3 and GLM-4 in the THUDM remote-code format: a fused query_key_value with bias
  {
    family: 'chatglm',
    modelTypes: ['chatglm'],
    ...RMS,
    keys: { layers: ['num_layers'], kvHeads: ['multi_query_group_num'], vocab: ['padded_vocab_size', 'vocab_size'], intermediate: ['ffn_hidden_size'] },
    qkvBias: true,
  },
  // GLM-4 in transformers' format (glm): biased q/k/v; glm4 adds post-norms after attention and MLP
  { family: 'glm', modelTypes: ['glm'], ...RMS, qkvBias: true },
  { family: 'glm4', modelTypes: ['glm4'], ...RMS, qkvBias: true, normsPerLayer: 4 },
  { family: 'internlm2', modelTypes: ['internlm2'], ...RMS },
  { family: 'baichuan', modelTypes: ['baichuan'], ...RMS },
  // OLMo: non-parametric LayerNorm (no weights); OLMo 2: RMSNorm after each sub-layer and q/k norms over the full width
  { family: 'olmo', modelTypes: ['olmo'], ...RMS, norm: 'layer', normAffine: false },
  { family: 'olmo2', modelTypes: ['olmo2'], ...RMS, qkNorm: 'full' },
  // Command-R: parallel attention and MLP after one LayerNorm without bias, tied embeddings
  { family: 'cohere', modelTypes: ['cohere'], ...RMS, norm: 'layer', tie: true, normsPerLayer: 1 },
  {
    family: 'cohere2',
    modelTypes: ['cohere2'],
    ...RMS,
    norm: 'layer',
    tie: true,
    normsPerLayer: 1,
    sliding: 'pattern',
    configDefaults: { sliding_window_pattern: 4 },
  },
  // StarCoder 2: LayerNorm with bias, biased linear layers, a plain 2-matrix MLP
  {
    family: 'starcoder2',
    modelTypes: ['starcoder2'],
    ...RMS,
    norm: 'layer',
    normBias: true,
    act: 'gelu_pytorch_tanh',
    qkvBias: true,
    outBias: true,
    mlpBias: true,
    tie: true,
    sliding: 'all',
  },
  { family: 'granitemoe', modelTypes: ['granitemoe', 'granitemoeshared'], ...RMS, tie: true },
  {
    family: 'llama4',
    modelTypes: ['llama4_text', 'llama4'],
    ...RMS,
    keys: {
      expertIntermediate: ['intermediate_size'],
      denseIntermediate: ['intermediate_size_mlp'],
      intermediate: ['intermediate_size_mlp', 'intermediate_size'],
    },
    chunkedAttention: true,
  },
  { family: 'gpt2', modelTypes: ['gpt2'], ...GPT_BLOCK, tie: true, act: 'gelu_new', learnedPositions: true },
  { family: 'gpt_neox', modelTypes: ['gpt_neox'], ...GPT_BLOCK },
  { family: 'mpt', modelTypes: ['mpt'], ...RMS, tie: true, act: 'gelu', norm: 'layer', defaultIntermediate: (h) => 4 * h },
  {
    family: 'falcon',
    modelTypes: ['falcon'],
    ...RMS,
    tie: true,
    act: 'gelu',
    norm: 'layer',
    normBias: true,
    parallelBlockNorm: true,
    defaultIntermediate: (h) => 4 * h,
  },
  { family: 'nemotron', modelTypes: ['nemotron'], ...RMS, act: 'relu2', norm: 'layer', normBias: true },
  { family: 'bloom', modelTypes: ['bloom'], ...GPT_BLOCK, tie: true },
  { family: 'gptj', modelTypes: ['gptj'], ...RMS, act: 'gelu_new', norm: 'layer', normBias: true, mlpBias: true, defaultIntermediate: (h) => 4 * h },
  // architectures that are not decoder-only transformers: named, refused
  { family: 'mamba', modelTypes: ['mamba', 'mamba2', 'falcon_mamba'], ...NOT_TRANSFORMER('a state-space (Mamba) model, not a transformer') },
  { family: 'rwkv', modelTypes: ['rwkv', 'rwkv5', 'rwkv6', 'rwkv7'], ...NOT_TRANSFORMER('a recurrent (RWKV) model, not a transformer') },
  {
    family: 'hybrid',
    modelTypes: ['jamba', 'zamba', 'zamba2', 'nemotron_h', 'falcon_h1', 'bamba', 'granitemoehybrid', 'lfm2'],
    ...NOT_TRANSFORMER('a hybrid of attention and state-space layers; Sinan models attention layers only'),
  },
  {
    family: 'minimax',
    modelTypes: ['minimax', 'minimax_m1', 'minimax_text_01'],
    ...NOT_TRANSFORMER('a hybrid of linear ("lightning") and softmax attention; Sinan models softmax attention only'),
  },
  {
    family: 'encoder',
    modelTypes: [
      'bert',
      'roberta',
      'deberta',
      'deberta-v2',
      'distilbert',
      'electra',
      'xlm-roberta',
      'modernbert',
      't5',
      'mt5',
      'bart',
      'mbart',
      'whisper',
      'vit',
      'clip',
    ],
    ...NOT_TRANSFORMER('an encoder or encoder-decoder model; Sinan plans decoder-only language models'),
  },
];

/** The traits of a model_type, or undefined. */
export function familyOf(modelType: string): FamilyTraits | undefined {
  return FAMILIES.find((f) => f.modelTypes.includes(modelType));
}

/** Traits for a config without model_type (inline keys): a Llama-style decoder. */
export const GENERIC: FamilyTraits = { family: 'generic', modelTypes: [], ...RMS };

/** Every model_type Sinan can count exactly. */
export function supportedModelTypes(): string[] {
  return FAMILIES.filter((f) => !f.notTransformer).flatMap((f) => [...f.modelTypes]);
}
