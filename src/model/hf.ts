import { mkIssue, typeName, type Issue, type Path } from '../core/issues.js';
import { closest } from '../core/suggest.js';
import { DEFAULT_KEYS, familyOf, GENERIC, supportedModelTypes, UNSUPPORTED_ANYWHERE, type Canon, type FamilyTraits } from './families.js';
import type { AttentionSpec, LayerSpec, MlaSpec, ModelSpec, MoeSpec } from './types.js';

/**
 * Reads a Hugging Face `config.json` (as a plain object) into a ModelSpec, exactly, for the
 * families of families.ts (their traits are the only family knowledge here). A missing required
 * key is an issue naming it; a key or model_type that means an architecture Sinan does not model
 * is an `unsupported_architecture` issue naming it; other unknown keys are warnings; harmless
 * metadata is silent. A multimodal config's `text_config` is the model read (its vision tower is
 * not modelled, and the report says so).
 */

type Raw = Record<string, unknown>;

/** Keys Sinan reads or knows to be irrelevant to cost; anything else is warned about. */
const KNOWN_KEYS: ReadonlySet<string> = new Set([
  'bias_dropout_fusion',
  'layernorm_epsilon',
  '_from_model_config',
  'gradient_checkpointing',
  'sliding_window_size',
  'original_max_position_embeddings',
  '_attn_implementation_autoset',
  '_name_or_path',
  'activation_function',
  'add_bias_linear',
  'add_qkv_bias',
  'alibi',
  'apply_query_key_layer_scaling',
  'apply_residual_connection_post_layernorm',
  'architectures',
  'attention_bias',
  'attention_bias_in',
  'attention_chunk_size',
  'attention_dropout',
  'attention_multiplier',
  'attention_probs_dropout_prob',
  'attention_softmax_in_fp32',
  'attn_config',
  'attn_implementation',
  'attn_logit_softcapping',
  'attn_pdrop',
  'attn_scale',
  'attn_temperature_tuning',
  'auto_map',
  'aux_loss_alpha',
  'aux_loss_coef',
  'bias',
  'boi_token_id',
  'boi_token_index',
  'bos_token_id',
  'cache_implementation',
  'classifier_dropout',
  'clip_qkv',
  'd_model',
  'decoder_sparse_step',
  'decoder_start_token_id',
  'dtype',
  'e_score_correction_bias',
  'emb_pdrop',
  'embd_pdrop',
  'embedding_multiplier',
  'eod_token_id',
  'eoi_token_id',
  'eoi_token_index',
  'eos_token_id',
  'ep_size',
  'expansion_ratio',
  'experts_per_token',
  'ffn_config',
  'ffn_hidden_size',
  'final_logit_softcapping',
  'first_k_dense_replace',
  'floor_scale',
  'for_llm_compressor',
  'fp32_residual_connection',
  'head_dim',
  'hidden_act',
  'hidden_activation',
  'hidden_dropout',
  'hidden_dropout_prob',
  'hidden_size',
  'image_seq_length',
  'image_token_id',
  'image_token_index',
  'init_device',
  'initializer_range',
  'input_jitter_noise',
  'interleave_moe_layer_step',
  'intermediate_size',
  'intermediate_size_mlp',
  'kv_channels',
  'kv_lora_rank',
  'layer_norm_eps',
  'layer_norm_epsilon',
  'layer_norm_type',
  'layer_types',
  'learned_pos_emb',
  'lf_conv2d_group',
  'lf_conv2d_num_pad',
  'lm_head_bias',
  'logit_scale',
  'logits_scaling',
  'mask_token_id',
  'max_position_embeddings',
  'max_seq_len',
  'max_window_layers',
  'mlp_bias',
  'mlp_only_layers',
  'mm_tokens_per_image',
  'model_max_length',
  'model_type',
  'moe_intermediate_size',
  'moe_layer_freq',
  'moe_layers',
  'moe_topk',
  'multi_query',
  'multi_query_attention',
  'multi_query_group_num',
  'n_embd',
  'n_group',
  'n_head',
  'n_head_kv',
  'n_heads',
  'n_inner',
  'n_layer',
  'n_layers',
  'n_positions',
  'n_routed_experts',
  'n_shared_experts',
  'name',
  'name_or_path',
  'new_decoder_architecture',
  'no_bias',
  'no_rope_layer_interval',
  'no_rope_layers',
  'norm_eps',
  'norm_epsilon',
  'norm_topk_prob',
  'norm_type',
  'num_attention_heads',
  'num_experts',
  'num_experts_per_tok',
  'num_heads',
  'num_hidden_layers',
  'num_key_value_heads',
  'num_kv_heads',
  'num_layers',
  'num_local_experts',
  'num_nextn_predict_layers',
  'num_shared_experts',
  'original_rope',
  'output_router_logits',
  'pad_token_id',
  'padded_vocab_size',
  'parallel_attn',
  'partial_rotary_factor',
  'position_embedding_type',
  'post_layer_norm',
  'pretraining_tp',
  'q_lora_rank',
  'qk_nope_head_dim',
  'qk_rope_head_dim',
  'qkv_bias',
  'quantization_config',
  'query_pre_attn_scalar',
  'reorder_and_upcast_attn',
  'resid_pdrop',
  'residual_multiplier',
  'rms_norm_eps',
  'rmsnorm',
  'rope_interleave',
  'rope_local_base_freq',
  'rope_parameters',
  'rope_ratio',
  'rope_scaling',
  'rope_theta',
  'rotary_dim',
  'rotary_emb_base',
  'rotary_emb_fraction',
  'rotary_pct',
  'routed_scaling_factor',
  'router_aux_loss_coef',
  'router_jitter_noise',
  'router_z_loss_coef',
  'scale_attn_by_inverse_layer_idx',
  'scale_attn_weights',
  'scoring_func',
  'sep_token_id',
  'seq_aux',
  'seq_length',
  'shared_expert_intermediate_size',
  'shared_intermediate_size',
  'sliding_window',
  'sliding_window_pattern',
  'summary_activation',
  'summary_first_dropout',
  'summary_proj_to_labels',
  'summary_type',
  'summary_use_proj',
  'swiglu_limit',
  'task_specific_params',
  'text_config',
  'tie_word_embeddings',
  'tokenizer_class',
  'topk_group',
  'topk_method',
  'torch_dtype',
  'transformers_version',
  'unk_token_id',
  'use_bias',
  'use_cache',
  'use_lf_gate',
  'use_parallel_residual',
  'use_qk_norm',
  'use_return_dict',
  'use_sliding_window',
  'v_head_dim',
  'verbose',
  'video_token_id',
  'vision_config',
  'vision_end_token_id',
  'vision_start_token_id',
  'vision_token_id',
  'vocab_size',
  'z_loss_coefficient',
]);

const GATED_ACTS: ReadonlySet<string> = new Set(['silu', 'swiglu', 'swish', 'geglu', 'silu_glu']);
const PLAIN_ACTS: ReadonlySet<string> = new Set([
  'gelu',
  'gelu_new',
  'gelu_fast',
  'gelu_pytorch_tanh',
  'relu',
  'relu2',
  'gelu_python',
  'quick_gelu',
  'gelu_10',
]);

export interface HfParseResult {
  model: ModelSpec | null;
  issues: Issue[];
  warnings: string[];
}

/** Picks the config a model is read from: the text tower of a multimodal config, or the config itself. */
function textTower(raw: Raw, path: Path, warnings: string[]): { c: Raw; path: Path; family: FamilyTraits | null; modelType: string | null } {
  const tc = raw.text_config;
  if (typeof tc === 'object' && tc !== null && !Array.isArray(tc)) {
    if (typeof raw.vision_config === 'object' && raw.vision_config !== null)
      warnings.push("the config's vision tower (vision_config) is not modelled: Sinan plans the text model (text_config) alone");
    const inner = tc as Raw;
    const mt = typeof inner.model_type === 'string' ? inner.model_type : typeof raw.model_type === 'string' ? raw.model_type : null;
    return { c: inner, path: [...path, 'text_config'], family: mt ? (familyOf(mt) ?? null) : GENERIC, modelType: mt };
  }
  if (typeof raw.vision_config === 'object' && raw.vision_config !== null)
    warnings.push("the config's vision tower (vision_config) is not modelled: Sinan plans the language model alone");
  const mt = typeof raw.model_type === 'string' ? raw.model_type : null;
  return { c: raw, path, family: mt ? (familyOf(mt) ?? null) : GENERIC, modelType: mt };
}

/** The issue for a model_type outside the cost model, named at its path. */
function unsupportedModelType(path: Path, modelType: string | null, reason: string): Issue {
  return mkIssue({ code: 'unsupported_architecture', path: [...path, 'model_type'], key: 'model_type', value: modelType, reason });
}

export function modelFromHfConfig(input: unknown, path0: Path, id = 'custom', source = 'inline config'): HfParseResult {
  const issues: Issue[] = [];
  const warnings: string[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      model: null,
      issues: [
        mkIssue({
          code: 'invalid_type',
          path: path0,
          expected: 'a built-in model id, a path to a config.json, or a mapping of Hugging Face config keys',
          received: typeName(input),
        }),
      ],
      warnings,
    };
  }
  const top = input as Raw;
  const { c: raw, path, family, modelType } = textTower(top, path0, warnings);
  if (!family) {
    const types = supportedModelTypes();
    const sug = closest(modelType!, types);
    issues.push(
      unsupportedModelType(path, modelType, `Sinan cannot count this family exactly${sug ? ` (did you mean '${sug}'?)` : ''}; supported: ${types.join(', ')}`),
    );
    return { model: null, issues, warnings };
  }
  // keys that describe an architecture outside the cost model, then families that are not decoder-only transformers
  const scopes: [Path, Raw][] =
    raw === top
      ? [[path, raw]]
      : [
          [path, raw],
          [path0, top],
        ];
  for (const u of [...UNSUPPORTED_ANYWHERE, ...(family.unsupported ?? [])]) {
    for (const [where, cfg] of scopes) {
      const v = cfg[u.key];
      if (v === undefined || v === null || v === false) continue;
      if (u.when && !u.when(v)) continue;
      issues.push(mkIssue({ code: 'unsupported_architecture', path: [...where, u.key], key: u.key, value: v, reason: u.reason }));
    }
  }
  if (family.notTransformer && issues.length === 0) issues.push(unsupportedModelType(path, modelType, `${modelType} is ${family.notTransformer}`));
  if (issues.length) return { model: null, issues, warnings };

  for (const k of Object.keys(raw)) if (!KNOWN_KEYS.has(k)) warnings.push(`model key '${k}' is not used by Sinan and was ignored`);
  const c: Raw = { ...(family.configDefaults ?? {}), ...raw };
  const attnCfg = (typeof c.attn_config === 'object' && c.attn_config !== null ? c.attn_config : {}) as Raw;

  const keysOf = (q: Canon): string[] => [...(family.keys?.[q] ?? []), ...DEFAULT_KEYS[q].filter((k) => !(family.keys?.[q] ?? []).includes(k))];
  const num = (keys: readonly string[], required: boolean, opts: { min?: number; integer?: boolean } = {}): number | undefined => {
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
  const q = (k: Canon, required = false, opts: { min?: number; integer?: boolean } = {}) => num(keysOf(k), required, opts);
  const bool = (key: string): boolean | undefined => {
    const v = c[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      issues.push(mkIssue({ code: 'invalid_type', path: [...path, key], expected: 'true or false', received: typeName(v) }));
      return undefined;
    }
    return v;
  };

  const hidden = q('hidden', true);
  const layers = q('layers', true);
  const heads = q('heads', true);
  const vocab = q('vocab', true);
  if (hidden === undefined || layers === undefined || heads === undefined || vocab === undefined) return { model: null, issues, warnings };

  // ChatGLM: multi_query_group_num is the KV-head count only with multi-query attention
  const mqa = family.family === 'chatglm' ? c.multi_query_attention !== false : true;
  let kvHeads = (mqa ? q('kvHeads') : undefined) ?? heads;
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
  const headDim = q('headDim') ?? hidden / heads;
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
  const actKey = ['hidden_act', 'hidden_activation', 'activation_function'].find((k) => typeof c[k] === 'string');
  const actRaw = (actKey ? (c[actKey] as string) : family.act).toLowerCase();
  let gated: boolean;
  if (family.gated) gated = true;
  else if (GATED_ACTS.has(actRaw)) gated = true;
  else if (PLAIN_ACTS.has(actRaw)) gated = false;
  else {
    warnings.push(`hidden_act '${actRaw}' is not known; assuming a plain 2-matrix MLP`);
    gated = false;
  }
  const expansion = num(['expansion_ratio'], false, { integer: false });
  let intermediate = q('intermediate');
  if (intermediate === undefined) {
    if (expansion !== undefined) intermediate = Math.round(expansion * hidden);
    else if (family.defaultIntermediate) intermediate = family.defaultIntermediate(hidden);
  }

  // MoE: which layers hold experts
  const experts = q('experts');
  let moe: MoeSpec | null = null;
  const moeLayerSet = new Set<number>();
  if (experts !== undefined && experts > 1) {
    const topK = q('topK', true);
    const expertIntermediate = q('expertIntermediate') ?? intermediate;
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
    const nShared = q('sharedExperts', false, { min: 0 }) ?? 0;
    // Llama 4: every MoE layer has one shared expert as wide as a routed one
    const sharedIntermediate =
      family.family === 'llama4' ? (expertIntermediate ?? 0) : (q('sharedIntermediate', false, { min: 0 }) ?? nShared * (expertIntermediate ?? 0));
    const firstDense = num(['first_k_dense_replace'], false, { min: 0 }) ?? 0;
    const step = num(['decoder_sparse_step', 'moe_layer_freq', 'interleave_moe_layer_step'], false) ?? 1;
    const mlpOnly = Array.isArray(c.mlp_only_layers) ? ((c.mlp_only_layers as unknown[]).filter((x) => typeof x === 'number') as number[]) : [];
    const explicit = Array.isArray(c.moe_layers) ? ((c.moe_layers as unknown[]).filter((x) => typeof x === 'number') as number[]) : null;
    for (let i = 0; i < layers; i++) {
      if (explicit) {
        if (explicit.includes(i)) moeLayerSet.add(i);
        continue;
      }
      if (i < firstDense || mlpOnly.includes(i) || (i + 1) % step !== 0) continue;
      moeLayerSet.add(i);
    }
    if (moeLayerSet.size < layers && intermediate === undefined) {
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
    const rb = family.routerBias;
    moe = {
      experts,
      topK: topK ?? 1,
      expertIntermediate: expertIntermediate ?? 0,
      sharedIntermediate,
      routerBias: typeof rb === 'function' ? rb(c) : (rb ?? false),
      expertBias: family.expertBias ?? false,
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
    const qLoraRank = c.q_lora_rank === null || c.q_lora_rank === undefined ? null : (num(['q_lora_rank'], false) ?? null);
    const nope = num(['qk_nope_head_dim'], true);
    const rope = num(['qk_rope_head_dim'], true);
    const v = num(['v_head_dim'], true);
    if (kvLoraRank !== undefined && nope !== undefined && rope !== undefined && v !== undefined)
      mla = { qLoraRank, kvLoraRank, qkNopeHeadDim: nope, qkRopeHeadDim: rope, vHeadDim: v };
  }

  // attention spans: sliding windows and chunks, per layer
  const slidingSet = new Set<number>();
  const chunkedSet = new Set<number>();
  const sw = typeof c.sliding_window === 'number' && c.sliding_window > 0 ? c.sliding_window : null;
  const types = Array.isArray(c.layer_types) ? (c.layer_types as unknown[]) : null;
  if (types) {
    types.forEach((t, i) => {
      if (t === 'sliding_attention') slidingSet.add(i);
      if (t === 'chunked_attention') chunkedSet.add(i);
    });
  } else if (sw !== null && c.use_sliding_window !== false) {
    const every = num(['sliding_window_pattern'], false) ?? 0;
    for (let i = 0; i < layers; i++) {
      const slides =
        family.sliding === 'all'
          ? true
          : family.sliding === 'alternate-even'
            ? i % 2 === 0
            : family.sliding === 'pattern'
              ? every > 0 && (i + 1) % every !== 0
              : family.sliding === 'layer-types' && c.use_sliding_window === true
                ? i >= (num(['max_window_layers'], false, { min: 0 }) ?? 0)
                : false;
      if (slides) slidingSet.add(i);
    }
  }
  const chunk = family.chunkedAttention ? (num(['attention_chunk_size'], false) ?? null) : null;
  if (chunk !== null && !types) {
    // Llama 4: chunked attention on the RoPE layers; the NoPE layers (no_rope_layers 0, by default every 4th) attend globally
    const nr = Array.isArray(c.no_rope_layers) && (c.no_rope_layers as unknown[]).length === layers ? (c.no_rope_layers as unknown[]) : null;
    const interval = num(['no_rope_layer_interval'], false) ?? 4;
    for (let i = 0; i < layers; i++) if (nr ? nr[i] === 1 : (i + 1) % interval !== 0) chunkedSet.add(i);
  }
  const pattern: LayerSpec[] = Array.from({ length: layers }, (_, i) => ({
    mlp: moeLayerSet.has(i) ? 'moe' : 'dense',
    attention: chunkedSet.has(i) && chunk !== null ? 'chunked' : slidingSet.has(i) && sw !== null ? 'sliding' : 'global',
  }));

  // biases, as each family names them
  const noBias = c.no_bias === true || c.bias === false || c.use_bias === false;
  const anyBias = c.bias === true || c.use_bias === true;
  const attentionBias = bool('attention_bias');
  const qkvBiasKey = bool('qkv_bias') ?? bool('add_qkv_bias');
  const linearBias = bool('add_bias_linear');
  const mlpBiasKey = bool('mlp_bias') ?? linearBias;
  const qkvBias = qkvBiasKey ?? (noBias ? false : (attentionBias ?? (anyBias || family.qkvBias)));
  const outBias =
    linearBias ?? (noBias ? false : family.family === 'glm' || family.family === 'glm4' ? family.outBias : (attentionBias ?? (anyBias || family.outBias)));
  const mlpBias = mlpBiasKey ?? (noBias ? false : anyBias || family.mlpBias);
  const headBias = bool('lm_head_bias') ?? family.headBias;

  const learned =
    c.learned_pos_emb === true || (family.learnedPositions && c.position_embedding_type !== 'rope') || c.position_embedding_type === 'learned_absolute';
  const maxPositionsGiven = q('maxPositions');
  const maxPositions = maxPositionsGiven ?? (family.family === 'gpt2' ? 1024 : 0);
  const tie = bool('tie_word_embeddings') ?? family.tie;
  const parallelSingleNorm = !!family.parallelBlockNorm && c.parallel_attn !== false && c.new_decoder_architecture !== true;
  const normBias = noBias && family.family === 'mpt' ? false : family.normBias;
  // Command R+: per-head LayerNorm weights on queries and keys ([heads, head_dim] and [kv_heads, head_dim]); Llama 4's qk norm has no weights
  const qkNorm = family.family === 'cohere' && c.use_qk_norm === true ? 'full' : family.qkNorm;

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
    qkNorm,
    sinks: family.sinks ?? false,
    slidingWindow: slidingSet.size > 0 ? sw : null,
    chunkSize: chunkedSet.size > 0 ? chunk : null,
  };

  const model: ModelSpec = {
    id,
    name: typeof top._name_or_path === 'string' ? top._name_or_path : id,
    family: modelType ?? 'generic',
    hidden,
    layers,
    vocab,
    tiedEmbeddings: tie,
    learnedPositions: learned ? maxPositions : 0,
    maxPositions,
    norm: family.norm,
    normBias,
    normAffine: family.normAffine,
    normsPerLayer: parallelSingleNorm ? 1 : family.normsPerLayer,
    headBias,
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
