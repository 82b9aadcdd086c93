import { mkIssue, typeName, type Issue, type Path } from '../core/issues.js';
import type { AttentionSpec, LayerSpec, MlaSpec, ModelSpec, MoeSpec } from './types.js';

/**
 * Reads a Hugging Face `config.json` (as a plain object) into a ModelSpec.
 * Families' own key names are honoured; a missing required key is an issue naming it,
 * unknown keys are reported as warnings.
 */

type Raw = Record<string, unknown>;

/** Keys Sinan reads or knows to be irrelevant to cost; anything else is warned about. */
const KNOWN_KEYS: ReadonlySet<string> = new Set([
  // identity
  'model_type',
  'architectures',
  '_name_or_path',
  'name',
  'torch_dtype',
  'dtype',
  'transformers_version',
  // sizes
  'hidden_size',
  'n_embd',
  'd_model',
  'num_hidden_layers',
  'n_layer',
  'n_layers',
  'num_layers',
  'num_attention_heads',
  'n_head',
  'n_heads',
  'num_heads',
  'num_key_value_heads',
  'num_kv_heads',
  'n_head_kv',
  'multi_query',
  'attn_config',
  'intermediate_size',
  'n_inner',
  'ffn_hidden_size',
  'expansion_ratio',
  'vocab_size',
  'padded_vocab_size',
  'head_dim',
  'kv_channels',
  'tie_word_embeddings',
  'max_position_embeddings',
  'n_positions',
  'max_seq_len',
  'seq_length',
  'model_max_length',
  'hidden_act',
  'activation_function',
  'ffn_config',
  'learned_pos_emb',
  'no_bias',
  'bias',
  'attention_bias',
  'mlp_bias',
  'qkv_bias',
  'use_bias',
  'parallel_attn',
  'new_decoder_architecture',
  'use_parallel_residual',
  'rotary_dim',
  'rotary_pct',
  'partial_rotary_factor',
  'position_embedding_type',
  'alibi',
  'rope_theta',
  'rope_scaling',
  'rotary_emb_base',
  'rms_norm_eps',
  'layer_norm_eps',
  'layer_norm_epsilon',
  'norm_epsilon',
  'norm_type',
  'use_lf_gate',
  'lf_conv2d_group',
  'lf_conv2d_num_pad',
  // moe
  'num_local_experts',
  'num_experts',
  'n_routed_experts',
  'n_shared_experts',
  'num_experts_per_tok',
  'experts_per_token',
  'moe_intermediate_size',
  'shared_expert_intermediate_size',
  'first_k_dense_replace',
  'decoder_sparse_step',
  'mlp_only_layers',
  'moe_layer_freq',
  'router_aux_loss_coef',
  'output_router_logits',
  'norm_topk_prob',
  'scoring_func',
  'topk_method',
  'n_group',
  'topk_group',
  'routed_scaling_factor',
  'aux_loss_alpha',
  'seq_aux',
  'ep_size',
  'swiglu_limit',
  'router_jitter_noise',
  // mla / mtp
  'q_lora_rank',
  'kv_lora_rank',
  'qk_nope_head_dim',
  'qk_rope_head_dim',
  'v_head_dim',
  'num_nextn_predict_layers',
  // attention variants
  'sliding_window',
  'use_sliding_window',
  'max_window_layers',
  'layer_types',
  'attention_chunk_size',
  // training-only / irrelevant to cost
  'initializer_range',
  'use_cache',
  'bos_token_id',
  'eos_token_id',
  'pad_token_id',
  'attention_dropout',
  'hidden_dropout',
  'resid_pdrop',
  'embd_pdrop',
  'attn_pdrop',
  'summary_type',
  'summary_use_proj',
  'summary_activation',
  'summary_proj_to_labels',
  'summary_first_dropout',
  'scale_attn_weights',
  'reorder_and_upcast_attn',
  'scale_attn_by_inverse_layer_idx',
  'pretraining_tp',
  'quantization_config',
  'task_specific_params',
  'emb_pdrop',
  'init_device',
  'logit_scale',
  'verbose',
  'use_return_dict',
  'hidden_dropout_prob',
  'attention_probs_dropout_prob',
  'classifier_dropout',
  'auto_map',
  'tokenizer_class',
  'rope_interleave',
  'mlp_bias',
  'layer_norm_type',
]);

/** Per-family defaults where the HF config class has them (transformers' `*Config` defaults). */
interface FamilyDefaults {
  tie: boolean;
  act: string;
  norm: 'rms' | 'layer';
  normBias: boolean;
  qkvBias: boolean;
  outBias: boolean;
  mlpBias: boolean;
  learnedPositions: boolean;
}

const RMS_UNTIED: FamilyDefaults = {
  tie: false,
  act: 'silu',
  norm: 'rms',
  normBias: false,
  qkvBias: false,
  outBias: false,
  mlpBias: false,
  learnedPositions: false,
};

const FAMILY: Record<string, FamilyDefaults> = {
  llama: RMS_UNTIED,
  mistral: RMS_UNTIED,
  mixtral: RMS_UNTIED,
  qwen2: { ...RMS_UNTIED, qkvBias: true },
  qwen2_moe: { ...RMS_UNTIED, qkvBias: true },
  qwen3: RMS_UNTIED,
  qwen3_moe: RMS_UNTIED,
  deepseek_v2: RMS_UNTIED,
  deepseek_v3: RMS_UNTIED,
  gpt_oss: { ...RMS_UNTIED, qkvBias: true, outBias: true },
  yuan: { ...RMS_UNTIED, tie: true },
  gpt2: { tie: true, act: 'gelu_new', norm: 'layer', normBias: true, qkvBias: true, outBias: true, mlpBias: true, learnedPositions: true },
  gpt_neox: { tie: false, act: 'gelu', norm: 'layer', normBias: true, qkvBias: true, outBias: true, mlpBias: true, learnedPositions: false },
  mpt: { tie: true, act: 'gelu', norm: 'layer', normBias: false, qkvBias: false, outBias: false, mlpBias: false, learnedPositions: false },
  falcon: { tie: true, act: 'gelu', norm: 'layer', normBias: true, qkvBias: false, outBias: false, mlpBias: false, learnedPositions: false },
  nemotron: { tie: false, act: 'relu2', norm: 'layer', normBias: true, qkvBias: false, outBias: false, mlpBias: false, learnedPositions: false },
  bloom: { tie: true, act: 'gelu', norm: 'layer', normBias: true, qkvBias: true, outBias: true, mlpBias: true, learnedPositions: false },
  gptj: { tie: false, act: 'gelu_new', norm: 'layer', normBias: true, qkvBias: false, outBias: false, mlpBias: true, learnedPositions: false },
};

const GATED_ACTS: ReadonlySet<string> = new Set(['silu', 'swiglu', 'swish', 'geglu', 'silu_glu']);
const PLAIN_ACTS: ReadonlySet<string> = new Set(['gelu', 'gelu_new', 'gelu_fast', 'gelu_pytorch_tanh', 'relu', 'relu2', 'gelu_python', 'quick_gelu']);

export interface HfParseResult {
  model: ModelSpec | null;
  issues: Issue[];
  warnings: string[];
}

export function modelFromHfConfig(raw: unknown, path: Path, id = 'custom', source = 'inline config'): HfParseResult {
  const issues: Issue[] = [];
  const warnings: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      model: null,
      issues: [
        mkIssue({
          code: 'invalid_type',
          path,
          expected: 'a built-in model id, a path to a config.json, or a mapping of Hugging Face config keys',
          received: typeName(raw),
        }),
      ],
      warnings,
    };
  }
  const c = raw as Raw;
  for (const k of Object.keys(c)) if (!KNOWN_KEYS.has(k)) warnings.push(`model key '${k}' is not used by Sinan and was ignored`);

  const attnCfg = (typeof c.attn_config === 'object' && c.attn_config !== null ? c.attn_config : {}) as Raw;
  const family = typeof c.model_type === 'string' ? c.model_type : 'unknown';
  const fam = FAMILY[family] ?? RMS_UNTIED;

  const num = (keys: string[], required: boolean, opts: { min?: number; integer?: boolean } = {}): number | undefined => {
    for (const k of keys) {
      const v = k.startsWith('attn_config.') ? attnCfg[k.slice(12)] : c[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        issues.push(mkIssue({ code: 'invalid_type', path: [...path, k], expected: 'a number', received: typeName(v) }));
        return undefined;
      }
      const min = opts.min ?? 1;
      if (v < min) {
        issues.push(mkIssue({ code: 'too_small', path: [...path, k], minimum: min, inclusive: true, value: v, what: k }));
        return undefined;
      }
      if ((opts.integer ?? true) && !Number.isInteger(v)) {
        issues.push(mkIssue({ code: 'invalid_type', path: [...path, k], expected: 'an integer', received: typeName(v) }));
        return undefined;
      }
      return v;
    }
    if (required) issues.push(mkIssue({ code: 'missing_key', path: [...path, keys[0]!], key: keys[0]!, alternatives: keys.slice(1) }));
    return undefined;
  };
  const bool = (key: string): boolean | undefined => {
    const v = c[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      issues.push(mkIssue({ code: 'invalid_type', path: [...path, key], expected: 'true or false', received: typeName(v) }));
      return undefined;
    }
    return v;
  };

  const hidden = num(['hidden_size', 'n_embd', 'd_model'], true);
  const layers = num(['num_hidden_layers', 'n_layer', 'n_layers', 'num_layers'], true);
  const heads = num(['num_attention_heads', 'n_head', 'n_heads', 'num_heads'], true);
  const vocab = num(['vocab_size', 'padded_vocab_size'], true);
  if (hidden === undefined || layers === undefined || heads === undefined || vocab === undefined) {
    return { model: null, issues, warnings };
  }

  let kvHeads = num(['num_key_value_heads', 'num_kv_heads', 'n_head_kv', 'attn_config.kv_n_heads'], false) ?? heads;
  if (c.multi_query === true && c.num_kv_heads === undefined && c.n_head_kv === undefined) kvHeads = 1;
  if (kvHeads > heads || heads % kvHeads !== 0) {
    issues.push(
      mkIssue({
        code: 'not_divisible',
        path: [...path, 'num_key_value_heads'],
        divisor: kvHeads,
        dividend: heads,
        divisorName: 'num_key_value_heads',
        dividendName: 'num_attention_heads',
      }),
    );
  }
  const headDim = num(['head_dim', 'kv_channels'], false) ?? hidden / heads;
  if (!Number.isInteger(headDim)) {
    issues.push(
      mkIssue({
        code: 'not_divisible',
        path: [...path, 'hidden_size'],
        divisor: heads,
        dividend: hidden,
        divisorName: 'num_attention_heads',
        dividendName: 'hidden_size',
        why: 'or give head_dim',
      }),
    );
  }

  // activation and MLP
  const actRaw = (typeof c.hidden_act === 'string' ? c.hidden_act : typeof c.activation_function === 'string' ? c.activation_function : fam.act).toLowerCase();
  let gated: boolean;
  if (GATED_ACTS.has(actRaw)) gated = true;
  else if (PLAIN_ACTS.has(actRaw)) gated = false;
  else {
    warnings.push(`hidden_act '${actRaw}' is not known; assuming a plain 2-matrix MLP`);
    gated = false;
  }
  const expansion = num(['expansion_ratio'], false, { integer: false });
  let intermediate = num(['intermediate_size', 'n_inner', 'ffn_hidden_size'], false);
  if (intermediate === undefined) {
    if (expansion !== undefined) intermediate = Math.round(expansion * hidden);
    else if (['gpt2', 'gpt_neox', 'falcon', 'bloom', 'gptj', 'mpt'].includes(family)) intermediate = 4 * hidden;
  }

  // MoE
  const experts = num(['num_local_experts', 'num_experts', 'n_routed_experts'], false);
  let moe: MoeSpec | null = null;
  const moeLayerSet = new Set<number>();
  if (experts !== undefined && experts > 1) {
    const topK = num(['num_experts_per_tok', 'experts_per_token'], true);
    let expertIntermediate = num(['moe_intermediate_size'], false);
    if (expertIntermediate === undefined) expertIntermediate = intermediate;
    if (expertIntermediate === undefined) {
      issues.push(
        mkIssue({
          code: 'missing_key',
          path: [...path, 'moe_intermediate_size'],
          key: 'moe_intermediate_size',
          alternatives: ['intermediate_size'],
          hint: 'a mixture-of-experts model needs its expert width',
        }),
      );
    }
    const nShared = num(['n_shared_experts'], false, { min: 0 }) ?? 0;
    const sharedExplicit = num(['shared_expert_intermediate_size'], false, { min: 0 });
    const sharedIntermediate = sharedExplicit ?? nShared * (expertIntermediate ?? 0);
    const firstDense = num(['first_k_dense_replace'], false, { min: 0 }) ?? 0;
    const step = num(['decoder_sparse_step', 'moe_layer_freq'], false) ?? 1;
    const mlpOnly = Array.isArray(c.mlp_only_layers) ? ((c.mlp_only_layers as unknown[]).filter((x) => typeof x === 'number') as number[]) : [];
    let moeLayers = 0;
    for (let i = 0; i < layers; i++) {
      if (i < firstDense) continue;
      if (mlpOnly.includes(i)) continue;
      if ((i + 1) % step !== 0) continue;
      moeLayerSet.add(i);
      moeLayers++;
    }
    if (moeLayers < layers && intermediate === undefined) {
      issues.push(
        mkIssue({
          code: 'missing_key',
          path: [...path, 'intermediate_size'],
          key: 'intermediate_size',
          hint: 'the dense layers of this mixture-of-experts model need their width',
        }),
      );
    }
    if (topK !== undefined && topK > experts) {
      issues.push(
        mkIssue({
          code: 'too_big',
          path: [...path, 'num_experts_per_tok'],
          maximum: experts,
          inclusive: true,
          value: topK,
          what: 'num_experts_per_tok (at most the number of experts)',
        }),
      );
    }
    moe = {
      experts,
      topK: topK ?? 1,
      expertIntermediate: expertIntermediate ?? 0,
      sharedIntermediate,
      routerBias: family === 'gpt_oss' || family === 'deepseek_v3',
      expertBias: family === 'gpt_oss',
    };
  } else if (intermediate === undefined) {
    issues.push(
      mkIssue({
        code: 'missing_key',
        path: [...path, 'intermediate_size'],
        key: 'intermediate_size',
        alternatives: ['n_inner', 'ffn_hidden_size', 'expansion_ratio'],
      }),
    );
  }

  // MLA
  let mla: MlaSpec | null = null;
  if (c.kv_lora_rank !== undefined && c.kv_lora_rank !== null) {
    const kvLoraRank = num(['kv_lora_rank'], true);
    const qLoraRank = c.q_lora_rank === null ? null : (num(['q_lora_rank'], false) ?? null);
    const nope = num(['qk_nope_head_dim'], true);
    const rope = num(['qk_rope_head_dim'], true);
    const v = num(['v_head_dim'], true);
    if (kvLoraRank !== undefined && nope !== undefined && rope !== undefined && v !== undefined) {
      mla = { qLoraRank, kvLoraRank, qkNopeHeadDim: nope, qkRopeHeadDim: rope, vHeadDim: v };
    }
  }

  // sliding window
  let slidingWindow: number | null = null;
  const slidingSet = new Set<number>();
  const sw = typeof c.sliding_window === 'number' && c.sliding_window > 0 ? c.sliding_window : null;
  if (sw !== null && c.use_sliding_window !== false) {
    if (Array.isArray(c.layer_types)) {
      (c.layer_types as unknown[]).forEach((t, i) => {
        if (t === 'sliding_attention') slidingSet.add(i);
      });
    } else if (family === 'mistral' || family === 'mixtral') {
      for (let i = 0; i < layers; i++) slidingSet.add(i);
    }
    if (slidingSet.size > 0) slidingWindow = sw;
  }
  const pattern: LayerSpec[] = Array.from({ length: layers }, (_, i) => ({
    mlp: moeLayerSet.has(i) ? 'moe' : 'dense',
    attention: slidingSet.has(i) ? 'sliding' : 'global',
  }));

  const noBias = c.no_bias === true || c.bias === false || c.use_bias === false;
  const anyBias = c.bias === true || c.use_bias === true;
  const attentionBias = bool('attention_bias');
  const qkvBiasKey = bool('qkv_bias');
  const mlpBiasKey = bool('mlp_bias');
  const qkvBias = noBias ? false : (qkvBiasKey ?? attentionBias ?? (anyBias || fam.qkvBias));
  const outBias = noBias ? false : (attentionBias ?? (anyBias || fam.outBias));
  const mlpBias = noBias ? false : (mlpBiasKey ?? (anyBias || fam.mlpBias));

  const learned = c.learned_pos_emb === true || (family === 'gpt2' && c.position_embedding_type !== 'rope') || c.position_embedding_type === 'learned_absolute';
  const maxPositionsGiven = num(['max_position_embeddings', 'n_positions', 'max_seq_len', 'seq_length', 'model_max_length'], false);
  const maxPositions = maxPositionsGiven ?? (family === 'gpt2' ? 1024 : 0);
  const tie = bool('tie_word_embeddings') ?? fam.tie;
  const parallelSingleNorm = family === 'falcon' && c.parallel_attn !== false && c.new_decoder_architecture !== true;
  const normBias = noBias && family === 'mpt' ? false : fam.normBias;

  const attnKind: AttentionSpec['kind'] = mla ? 'mla' : kvHeads === heads ? 'mha' : kvHeads === 1 ? 'mqa' : 'gqa';
  const attention: AttentionSpec = {
    kind: attnKind,
    heads,
    kvHeads: mla ? heads : kvHeads,
    headDim: mla ? mla.qkNopeHeadDim + mla.qkRopeHeadDim : headDim,
    vHeadDim: mla ? mla.vHeadDim : headDim,
    mla,
    qkvBias,
    outBias,
    qkNorm: family === 'qwen3' || family === 'qwen3_moe' ? 'per-head' : 'none',
    sinks: family === 'gpt_oss',
    slidingWindow,
    chunkSize: null,
  };

  const model: ModelSpec = {
    id,
    name: typeof c._name_or_path === 'string' ? c._name_or_path : id,
    family,
    hidden,
    layers,
    vocab,
    tiedEmbeddings: tie,
    learnedPositions: learned ? maxPositions : 0,
    maxPositions,
    norm: fam.norm,
    normBias,
    normAffine: true,
    normsPerLayer: parallelSingleNorm ? 1 : 2,
    headBias: false,
    pattern,
    attention,
    mlp: { gated, intermediate: intermediate ?? 0, bias: mlpBias },
    moe,
    localizedFiltering: c.use_lf_gate === true,
    mtpLayers: num(['num_nextn_predict_layers'], false, { min: 0 }) ?? 0,
    source,
  };
  return { model: issues.length ? null : model, issues, warnings };
}
