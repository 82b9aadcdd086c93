import { kv, type GgufKv } from './gguf-metadata.js';
import type { SourceTensor } from './tensor-source.js';

/**
 * Hugging Face checkpoint -> GGUF model plan, following llama.cpp's converter
 * (convert_hf_to_gguf.py: TextModel.set_gguf_parameters, LlamaModel, Qwen2Model, Qwen3Model,
 * Qwen2MoeModel/Qwen3MoeModel; gguf-py constants.py and tensor_mapping.py for the names):
 * GGUF tensor names and dimensions, the rows each tensor is made of, which tensors llama.cpp keeps
 * in F32, and the architecture's metadata keys.
 *
 * Rotary embeddings: llama.cpp's `llama` architecture uses the "normal" RoPE on pairs of adjacent
 * head values (LLAMA_ROPE_TYPE_NORM in llama_model_rope_type), while Hugging Face's Llama code
 * rotates the two halves of each head (rotate_half). The converter therefore permutes the rows of
 * q_proj and k_proj (and their biases) within each head, interleaving the halves
 * (LlamaModel.permute: reshape(n_head, 2, rows/n_head/2, ...).swapaxes(1, 2)). qwen2, qwen3 and
 * qwen3moe use LLAMA_ROPE_TYPE_NEOX (pairs offset by n_rot/2), the Hugging Face layout, and are
 * not permuted.
 */

export type GgufArch = 'llama' | 'qwen2' | 'qwen3' | 'qwen3moe';

/** `architectures[0]` of config.json -> GGUF architecture (the converter's @ModelBase.register). */
export const HF_ARCHITECTURES: Readonly<Record<string, GgufArch>> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'llama',
  MixtralForCausalLM: 'llama',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
  Qwen3MoeForCausalLM: 'qwen3moe',
};

/** How a GGUF tensor's rows are made from checkpoint tensors. */
export type RowRecipe =
  | { kind: 'tensor'; hf: string }
  /** Rows (or, for a 1-D bias, values) reordered within each of `heads` heads: out[h][a][b] = in[h][b][a]. */
  | { kind: 'rope-permute'; hf: string; heads: number }
  /** Expert tensors stacked along a new slowest dimension, expert 0 first. */
  | { kind: 'stack'; hf: readonly string[] }
  /** Values computed by the converter (rope_freqs.weight). */
  | { kind: 'values'; data: Float32Array };

export interface PlannedTensor {
  /** GGUF name. */
  name: string;
  /** ggml dimensions, ne[0] fastest: the checkpoint shape reversed. */
  ne: number[];
  /** Block index, or null for token_embd / output / output_norm / rope_freqs. */
  layer: number | null;
  /** The name without `blk.N.` and the `.weight`/`.bias` suffix, e.g. `attn_q`, `ffn_down_exps`. */
  role: string;
  /** Why llama.cpp stores it as F32 (1-D, a norm, the MoE router, a bias), or null when it may be quantized. */
  keepF32: string | null;
  recipe: RowRecipe;
}

export interface GgufModelPlan {
  arch: GgufArch;
  hfArchitecture: string;
  /** `<arch>.*` keys (block count, lengths, heads, rope, epsilon, experts, vocab size). */
  metadata: GgufKv[];
  tensors: PlannedTensor[];
  /** Checkpoint tensors not carried over, with the reason. */
  skipped: { name: string; reason: string }[];
  warnings: string[];
  /** config.json fields the tokenizer and the writer use. */
  vocabSize: number | null;
}

export type GgufModelIssueCode =
  'unsupported_architecture' | 'bad_config_field' | 'unknown_tensor' | 'missing_tensor' | 'bad_tensor_shape' | 'unsupported_feature';

export class GgufModelError extends Error {
  constructor(
    readonly code: GgufModelIssueCode,
    message: string,
    /** The config.json field or checkpoint tensor the error is about. */
    readonly field: string,
  ) {
    super(message);
    this.name = 'GgufModelError';
  }
}

type Config = Record<string, unknown>;

function posInt(cfg: Config, key: string, required: true): number;
function posInt(cfg: Config, key: string, required: false): number | undefined;
function posInt(cfg: Config, key: string, required: boolean): number | undefined {
  const v = cfg[key];
  if (v === undefined || v === null) {
    if (required) throw new GgufModelError('bad_config_field', `config.json: ${key} is required`, key);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
    throw new GgufModelError('bad_config_field', `config.json: ${key} must be a positive integer, got ${JSON.stringify(v)}`, key);
  return v;
}

function num(cfg: Config, key: string): number | undefined {
  const v = cfg[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new GgufModelError('bad_config_field', `config.json: ${key} must be a number, got ${JSON.stringify(v)}`, key);
  return v;
}

/** The architecture a config.json describes, or a GgufModelError naming `architectures`. */
export function ggufArchOf(config: Config): { arch: GgufArch; hfArchitecture: string } {
  const archs = config.architectures;
  const name = Array.isArray(archs) && typeof archs[0] === 'string' ? archs[0] : undefined;
  if (!name) throw new GgufModelError('bad_config_field', 'config.json: architectures must list the model class (e.g. ["LlamaForCausalLM"])', 'architectures');
  const arch = HF_ARCHITECTURES[name];
  if (!arch)
    throw new GgufModelError(
      'unsupported_architecture',
      `config.json: architecture ${name} is not supported for GGUF output (supported: ${Object.keys(HF_ARCHITECTURES).join(', ')})`,
      'architectures',
    );
  return { arch, hfArchitecture: name };
}

const LAYER_SUFFIXES: Record<string, string> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.q_proj.bias': 'attn_q.bias',
  'self_attn.k_proj.weight': 'attn_k.weight',
  'self_attn.k_proj.bias': 'attn_k.bias',
  'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.v_proj.bias': 'attn_v.bias',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'self_attn.o_proj.bias': 'attn_output.bias',
  'self_attn.q_norm.weight': 'attn_q_norm.weight',
  'self_attn.k_norm.weight': 'attn_k_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.down_proj.weight': 'ffn_down.weight',
  'mlp.gate.weight': 'ffn_gate_inp.weight',
  'block_sparse_moe.gate.weight': 'ffn_gate_inp.weight',
};

const GLOBAL_NAMES: Record<string, string> = {
  'model.embed_tokens.weight': 'token_embd.weight',
  'model.norm.weight': 'output_norm.weight',
  'lm_head.weight': 'output.weight',
};

/** Per-layer tensors each architecture needs (llama.cpp fails to load a model without them). */
function requiredRoles(arch: GgufArch, moe: boolean): string[] {
  const r = ['attn_norm.weight', 'attn_q.weight', 'attn_k.weight', 'attn_v.weight', 'attn_output.weight', 'ffn_norm.weight'];
  if (moe) r.push('ffn_gate_inp.weight', 'ffn_gate_exps.weight', 'ffn_up_exps.weight', 'ffn_down_exps.weight');
  else r.push('ffn_gate.weight', 'ffn_up.weight', 'ffn_down.weight');
  if (arch === 'qwen3' || arch === 'qwen3moe') r.push('attn_q_norm.weight', 'attn_k_norm.weight');
  return r;
}

const EXPERT_RE = /^model\.layers\.(\d+)\.(?:mlp\.experts\.(\d+)\.(gate|up|down)_proj|block_sparse_moe\.experts\.(\d+)\.w([123]))\.weight$/;
const MIXTRAL_W: Record<string, string> = { '1': 'gate', '2': 'down', '3': 'up' };

function keepF32(name: string, ne: number[]): string | null {
  if (ne.length <= 1) return 'one-dimensional';
  if (name.endsWith('_norm.weight')) return 'a norm';
  if (name.endsWith('ffn_gate_inp.weight')) return 'the MoE router';
  if (!name.endsWith('.weight')) return 'not a .weight tensor';
  return null;
}

function ropeParams(cfg: Config): Config {
  const r = cfg.rope_parameters ?? cfg.rope_scaling;
  if (r === undefined || r === null) return {};
  if (typeof r !== 'object' || Array.isArray(r)) throw new GgufModelError('bad_config_field', 'config.json: rope_scaling must be an object', 'rope_scaling');
  return r as Config;
}

/**
 * The rope_freqs.weight factors of Llama 3.1-style `llama3` rope scaling, as the converter
 * computes them (LlamaModel.generate_extra_tensors) with torch in float32. A Python number divided
 * by a tensor is torch's `__rtruediv__`, a reciprocal times the number, so `2*pi/freq` and
 * `old/wavelen` are computed that way here. torch's float32 pow can differ from the correctly
 * rounded Math.pow by an ulp, which moves a frequency by that ulp (and a factor only inside the
 * smooth band or exactly at a band edge).
 */
export function llama3RopeFactors(
  base: number,
  dim: number,
  factor: number,
  lowFreqFactor: number,
  highFreqFactor: number,
  oldContextLen: number,
): Float32Array {
  const fr = Math.fround;
  const out = new Float32Array(dim / 2);
  const lowWavelen = oldContextLen / lowFreqFactor;
  const highWavelen = oldContextLen / highFreqFactor;
  for (let i = 0; i < dim / 2; i++) {
    const freq = fr(1 / fr(Math.pow(base, fr((2 * i) / dim))));
    const wavelen = fr(fr(1 / freq) * fr(2 * Math.PI));
    if (wavelen < fr(highWavelen)) out[i] = 1;
    else if (wavelen > fr(lowWavelen)) out[i] = factor;
    else {
      const smooth = fr(fr(fr(fr(1 / wavelen) * oldContextLen) - lowFreqFactor) / fr(highFreqFactor - lowFreqFactor));
      out[i] = fr(1 / fr(fr(fr(1 - smooth) / factor) + smooth));
    }
  }
  return out;
}

/**
 * Plans the GGUF model for a Hugging Face config.json and the checkpoint's tensor list. Errors
 * (GgufModelError) name the config field or tensor: an unsupported architecture, a missing or
 * malformed field, an unknown, missing or mis-shaped tensor.
 */
export function planGgufModel(config: Config, tensors: readonly SourceTensor[]): GgufModelPlan {
  const { arch, hfArchitecture } = ggufArchOf(config);
  const cfg: Config = config.text_config && typeof config.text_config === 'object' ? { ...config, ...(config.text_config as Config) } : config;
  const warnings: string[] = [];
  const nLayer = posInt(cfg, 'num_hidden_layers', true);
  const nEmbd = posInt(cfg, 'hidden_size', true);
  const nHead = posInt(cfg, 'num_attention_heads', true);
  const nHeadKv = posInt(cfg, 'num_key_value_heads', false);
  const headDim = posInt(cfg, 'head_dim', false);
  const nFf = posInt(cfg, 'intermediate_size', false);
  const nCtx = posInt(cfg, 'max_position_embeddings', false);
  const vocab = arch === 'llama' ? posInt(cfg, 'vocab_size', true) : posInt(cfg, 'vocab_size', false);
  const eps = num(cfg, 'rms_norm_eps');
  if (eps === undefined)
    throw new GgufModelError(
      'bad_config_field',
      'config.json: rms_norm_eps is required (llama.cpp reads <arch>.attention.layer_norm_rms_epsilon)',
      'rms_norm_eps',
    );
  const rope = ropeParams(cfg);
  const ropeTheta = num(cfg, 'rope_theta') ?? num(rope, 'rope_theta');
  const nExpert = posInt(cfg, arch === 'qwen3moe' ? 'num_experts' : 'num_local_experts', false);
  const nExpertUsed = posInt(cfg, 'num_experts_per_tok', false);
  const moe = nExpert !== undefined;
  if (arch === 'qwen3moe') {
    if (!moe) throw new GgufModelError('bad_config_field', 'config.json: num_experts is required for Qwen3MoeForCausalLM', 'num_experts');
    const dense = cfg.mlp_only_layers;
    if (Array.isArray(dense) && dense.length)
      throw new GgufModelError('unsupported_feature', 'config.json: mlp_only_layers (dense layers in a Qwen3-MoE model) is not supported', 'mlp_only_layers');
    const step = posInt(cfg, 'decoder_sparse_step', false);
    if (step !== undefined && step !== 1)
      throw new GgufModelError(
        'unsupported_feature',
        `config.json: decoder_sparse_step ${step} (dense layers in a Qwen3-MoE model) is not supported`,
        'decoder_sparse_step',
      );
  }
  const hd = headDim ?? nEmbd / nHead;
  if (!Number.isInteger(hd))
    throw new GgufModelError(
      'bad_config_field',
      `config.json: hidden_size ${nEmbd} is not a multiple of num_attention_heads ${nHead}; give head_dim`,
      'head_dim',
    );

  // metadata, in the converter's order
  const md: GgufKv[] = [];
  md.push(kv.u32(`${arch}.block_count`, nLayer));
  if (nCtx !== undefined) md.push(kv.u32(`${arch}.context_length`, nCtx));
  md.push(kv.u32(`${arch}.embedding_length`, nEmbd));
  if (nFf !== undefined) md.push(kv.u32(`${arch}.feed_forward_length`, nFf));
  md.push(kv.u32(`${arch}.attention.head_count`, nHead));
  if (nHeadKv !== undefined) md.push(kv.u32(`${arch}.attention.head_count_kv`, nHeadKv));
  const ropeType = typeof rope.rope_type === 'string' ? rope.rope_type : typeof rope.type === 'string' ? rope.type : undefined;
  let ropeFreqs: Float32Array | null = null;
  if (ropeType !== undefined && ropeType !== 'default') {
    const factor = num(rope, 'factor');
    if (ropeType === 'linear' && factor !== undefined) {
      md.push(kv.str(`${arch}.rope.scaling.type`, 'linear'), kv.f32(`${arch}.rope.scaling.factor`, factor));
    } else if (ropeType === 'yarn' && factor !== undefined) {
      const orig = posInt(rope, 'original_max_position_embeddings', false);
      if (orig === undefined)
        throw new GgufModelError(
          'bad_config_field',
          'config.json: rope_scaling.original_max_position_embeddings is required for yarn',
          'rope_scaling.original_max_position_embeddings',
        );
      md.push(
        kv.str(`${arch}.rope.scaling.type`, 'yarn'),
        kv.f32(`${arch}.rope.scaling.factor`, factor),
        kv.u32(`${arch}.rope.scaling.original_context_length`, orig),
      );
      const opt: [string, number | undefined][] = [
        ['yarn_ext_factor', num(rope, 'extrapolation_factor')],
        ['yarn_attn_factor', num(rope, 'attention_factor') ?? num(rope, 'attn_factor')],
        ['yarn_beta_fast', num(rope, 'beta_fast')],
        ['yarn_beta_slow', num(rope, 'beta_slow')],
      ];
      for (const [k, v] of opt) if (v !== undefined) md.push(kv.f32(`${arch}.rope.scaling.${k}`, v));
    } else if (ropeType.toLowerCase() === 'llama3' && arch === 'llama') {
      const old = posInt(cfg, 'original_max_position_embeddings', false) ?? 8192;
      const inRope = posInt(rope, 'original_max_position_embeddings', false);
      if (inRope !== undefined && inRope !== old)
        warnings.push(
          `rope_scaling.original_max_position_embeddings is ${inRope}, but llama.cpp's converter reads the top-level field (default 8192) and uses ${old}; rope_freqs.weight follows the converter`,
        );
      ropeFreqs = llama3RopeFactors(ropeTheta ?? 10000, hd, factor ?? 8, num(rope, 'low_freq_factor') ?? 1, num(rope, 'high_freq_factor') ?? 4, old);
    } else {
      throw new GgufModelError(
        'unsupported_feature',
        `config.json: rope scaling type ${JSON.stringify(ropeType)} is not supported for ${arch}`,
        'rope_scaling',
      );
    }
  }
  if (ropeTheta !== undefined) md.push(kv.f32(`${arch}.rope.freq_base`, ropeTheta));
  md.push(kv.f32(`${arch}.attention.layer_norm_rms_epsilon`, eps));
  if (nExpert !== undefined) md.push(kv.u32(`${arch}.expert_count`, nExpert));
  if (nExpertUsed !== undefined) md.push(kv.u32(`${arch}.expert_used_count`, nExpertUsed));
  if (headDim !== undefined) md.push(kv.u32(`${arch}.attention.key_length`, headDim), kv.u32(`${arch}.attention.value_length`, headDim));
  if (arch === 'qwen3moe') {
    const moeFf = posInt(cfg, 'moe_intermediate_size', false);
    if (moeFf !== undefined) md.push(kv.u32(`${arch}.expert_feed_forward_length`, moeFf));
  }
  if (arch === 'llama') {
    md.push(kv.u32(`${arch}.vocab_size`, vocab!));
    md.push(kv.u32(`${arch}.rope.dimension_count`, hd));
  }

  // tensors
  const shapes = new Map(tensors.map((t) => [t.name, t.shape]));
  const planned: PlannedTensor[] = [];
  const skipped: { name: string; reason: string }[] = [];
  const unknown: string[] = [];
  const experts = new Map<string, Map<number, string>>(); // "layer.kind" -> expert -> hf name
  const add = (name: string, hf: string, layer: number | null, role: string, recipe?: RowRecipe) => {
    const ne = [...shapes.get(hf)!].reverse();
    planned.push({ name, ne, layer, role, keepF32: keepF32(name, ne), recipe: recipe ?? { kind: 'tensor', hf } });
  };
  for (const t of tensors) {
    const g = GLOBAL_NAMES[t.name];
    if (g) {
      add(g, t.name, null, g.replace(/\.(weight|bias)$/, ''));
      continue;
    }
    const ex = EXPERT_RE.exec(t.name);
    if (ex) {
      const layer = Number(ex[1]);
      const kind = ex[3] ?? MIXTRAL_W[ex[5]!]!;
      const e = Number(ex[2] ?? ex[4]);
      const key = `${layer}.${kind}`;
      if (!experts.has(key)) experts.set(key, new Map());
      experts.get(key)!.set(e, t.name);
      continue;
    }
    const m = /^model\.layers\.(\d+)\.(.+)$/.exec(t.name);
    if (m) {
      const layer = Number(m[1]);
      const suffix = m[2]!;
      if (suffix.endsWith('rotary_emb.inv_freq')) {
        skipped.push({ name: t.name, reason: 'rotary inverse frequencies are recomputed by llama.cpp' });
        continue;
      }
      const g2 = LAYER_SUFFIXES[suffix];
      if (g2 && layer < nLayer && !((g2 === 'attn_q_norm.weight' || g2 === 'attn_k_norm.weight') && (arch === 'llama' || arch === 'qwen2'))) {
        const name = `blk.${layer}.${g2}`;
        const isQ = g2.startsWith('attn_q.');
        const isK = g2.startsWith('attn_k.');
        if (arch === 'llama' && (isQ || isK)) {
          const heads = isQ ? nHead : (nHeadKv ?? nHead);
          const shape = shapes.get(t.name)!;
          if (shape[0] !== heads * hd)
            throw new GgufModelError('bad_tensor_shape', `${t.name} has ${shape[0]} rows, expected ${heads} heads x ${hd} = ${heads * hd}`, t.name);
          add(name, t.name, layer, g2.replace(/\.(weight|bias)$/, ''), { kind: 'rope-permute', hf: t.name, heads });
        } else add(name, t.name, layer, g2.replace(/\.(weight|bias)$/, ''));
        continue;
      }
    }
    unknown.push(t.name);
  }
  if (unknown.length)
    throw new GgufModelError(
      'unknown_tensor',
      `${unknown.length} checkpoint tensor(s) have no GGUF name for ${hfArchitecture}: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`,
      unknown[0]!,
    );
  for (const [key, byExpert] of experts) {
    const [layerS, kind] = key.split('.') as [string, string];
    const layer = Number(layerS);
    if (!moe) throw new GgufModelError('unknown_tensor', `expert tensors found but config.json has no expert count`, byExpert.values().next().value!);
    const hf: string[] = [];
    for (let e = 0; e < nExpert; e++) {
      const n = byExpert.get(e);
      if (!n) throw new GgufModelError('missing_tensor', `layer ${layer} has no ${kind} weight for expert ${e} of ${nExpert}`, `model.layers.${layer}`);
      hf.push(n);
    }
    if (byExpert.size !== nExpert)
      throw new GgufModelError('unknown_tensor', `layer ${layer} has ${byExpert.size} ${kind} experts, config.json says ${nExpert}`, hf[0]!);
    const shape0 = shapes.get(hf[0]!)!;
    for (const n of hf)
      if (shapes.get(n)!.join() !== shape0.join())
        throw new GgufModelError('bad_tensor_shape', `${n} has shape [${shapes.get(n)!.join(', ')}], expert 0 has [${shape0.join(', ')}]`, n);
    const name = `blk.${layer}.ffn_${kind}_exps.weight`;
    const ne = [...shape0].reverse().concat(nExpert);
    planned.push({ name, ne, layer, role: `ffn_${kind}_exps`, keepF32: null, recipe: { kind: 'stack', hf } });
  }
  if (ropeFreqs)
    planned.push({
      name: 'rope_freqs.weight',
      ne: [ropeFreqs.length],
      layer: null,
      role: 'rope_freqs',
      keepF32: 'one-dimensional',
      recipe: { kind: 'values', data: ropeFreqs },
    });

  // completeness
  const have = new Set(planned.map((p) => p.name));
  for (const g of ['token_embd.weight', 'output_norm.weight'])
    if (!have.has(g))
      throw new GgufModelError('missing_tensor', `the checkpoint has no ${g === 'token_embd.weight' ? 'model.embed_tokens.weight' : 'model.norm.weight'}`, g);
  for (let l = 0; l < nLayer; l++)
    for (const r of requiredRoles(arch, moe))
      if (!have.has(`blk.${l}.${r}`)) throw new GgufModelError('missing_tensor', `layer ${l} has no tensor for ${r} (GGUF blk.${l}.${r})`, `blk.${l}.${r}`);
  if (!have.has('output.weight') && cfg.tie_word_embeddings === false)
    warnings.push('config.json says tie_word_embeddings is false but the checkpoint has no lm_head.weight; llama.cpp will use token_embd.weight as the output');

  planned.sort((a, b) => order(a) - order(b) || (a.layer ?? 0) - (b.layer ?? 0) || roleOrder(a.role) - roleOrder(b.role) || a.name.localeCompare(b.name));
  return { arch, hfArchitecture, metadata: md, tensors: planned, skipped, warnings, vocabSize: vocab ?? null };
}

function order(p: PlannedTensor): number {
  if (p.name === 'rope_freqs.weight') return 0;
  if (p.name === 'token_embd.weight') return 1;
  if (p.layer !== null) return 2;
  return p.name === 'output_norm.weight' ? 3 : 4;
}

const ROLE_ORDER = [
  'attn_norm',
  'attn_q',
  'attn_k',
  'attn_v',
  'attn_q_norm',
  'attn_k_norm',
  'attn_output',
  'ffn_norm',
  'ffn_gate_inp',
  'ffn_gate',
  'ffn_up',
  'ffn_down',
  'ffn_gate_exps',
  'ffn_up_exps',
  'ffn_down_exps',
];
function roleOrder(role: string): number {
  const i = ROLE_ORDER.indexOf(role);
  return i < 0 ? ROLE_ORDER.length : i;
}
