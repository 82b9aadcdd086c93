/**
 * Small Hugging Face checkpoints with real tensor names, config.json and a byte-level BPE
 * tokenizer.json, for the GGUF end-to-end and interop tests: a Llama-3-style model (GQA, llama3
 * rope scaling, BF16 weights, untied lm_head), a Qwen3-style model (head_dim != hidden/heads,
 * q/k norms, tied embeddings, F16 weights, an FFN width that is not a multiple of 256) and a
 * Qwen3-MoE-style model (stacked experts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f32ToBf16, f32ToF16, bf16ToF32, f16ToF32 } from '../src/quant/dtypes.js';
import { writeSafetensors, type TensorToWrite } from '../src/checkpoint/safetensors.js';
import { gaussian } from './quant-data.js';

export interface Fixture {
  folder: string;
  config: Record<string, unknown>;
  /** The stored values, as float32, PyTorch layout. */
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

/** GPT-2's byte-to-unicode table (the alphabet of byte-level BPE vocabularies). */
function byteChars(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++)
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  const out: string[] = new Array(256);
  bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i]!)));
  return out;
}

const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function tokenizerJson(split: string, specials: string[], firstSpecialId: number, pairMerges: boolean, bosTemplate: string | null): Record<string, unknown> {
  const chars = byteChars();
  const vocab: Record<string, number> = {};
  chars.forEach((c, i) => (vocab[c] = i));
  const merges: [string, string][] = [
    ['Ġ', 't'],
    ['h', 'e'],
    ['Ġt', 'he'],
    ['i', 'n'],
    ['Ġ', 'a'],
  ];
  let id = 256;
  for (const [a, b] of merges) vocab[a + b] = id++;
  return {
    version: '1.0',
    added_tokens: specials.map((content, i) => ({
      id: firstSpecialId + i,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: split }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: bosTemplate
      ? {
          type: 'Sequence',
          processors: [
            { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
            {
              type: 'TemplateProcessing',
              single: [{ SpecialToken: { id: bosTemplate, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
              pair: [],
              special_tokens: {},
            },
          ],
        }
      : { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: !pairMerges,
      vocab,
      merges: pairMerges ? merges : merges.map((m) => m.join(' ')),
    },
  };
}

type Dtype = 'BF16' | 'F16' | 'F32';

function store(dtype: Dtype, x: Float32Array): { bytes: Uint8Array; values: Float32Array } {
  if (dtype === 'F32') return { bytes: new Uint8Array(x.slice().buffer), values: x.slice() };
  const bytes = new Uint8Array(2 * x.length);
  const values = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const h = dtype === 'BF16' ? f32ToBf16(x[i]!) : f32ToF16(x[i]!);
    bytes[2 * i] = h & 0xff;
    bytes[2 * i + 1] = h >> 8;
    values[i] = dtype === 'BF16' ? bf16ToF32(h) : f16ToF32(h);
  }
  return { bytes, values };
}

function build(
  folder: string,
  config: Record<string, unknown>,
  shapes: [string, number[]][],
  dtype: Dtype,
  tokenizer: Record<string, unknown>,
  tokenizerConfig: Record<string, unknown>,
): Fixture {
  mkdirSync(folder, { recursive: true });
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const toWrite: TensorToWrite[] = [];
  shapes.forEach(([name, shape], i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const g = gaussian(n, i + 11);
    const isNorm = name.endsWith('norm.weight');
    const x = Float32Array.from(g, (v, j) => (isNorm ? 1 + 0.1 * v : name.endsWith('.bias') ? 0.5 * v : v * 0.05 * (1 + ((j * 7) % 13 === 0 ? 4 : 0))));
    const { bytes, values } = store(dtype, x);
    tensors.set(name, { shape, data: values });
    toWrite.push({ name, dtype, shape, data: bytes });
  });
  // two shards and an index, as large checkpoints come
  const half = Math.ceil(toWrite.length / 2);
  const parts = [toWrite.slice(0, half), toWrite.slice(half)];
  const weightMap: Record<string, string> = {};
  parts.forEach((p, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    writeSafetensors(join(folder, file), p, { format: 'pt' });
    for (const t of p) weightMap[t.name] = file;
  });
  writeFileSync(join(folder, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  writeFileSync(join(folder, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(folder, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(join(folder, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
  return { folder, config, tensors };
}

function layerShapes(
  l: number,
  hidden: number,
  heads: number,
  kvHeads: number,
  hd: number,
  ff: number,
  opts: { qkNorm?: boolean; bias?: boolean; experts?: number; moeFf?: number },
): [string, number[]][] {
  const p = `model.layers.${l}`;
  const s: [string, number[]][] = [
    [`${p}.input_layernorm.weight`, [hidden]],
    [`${p}.self_attn.q_proj.weight`, [heads * hd, hidden]],
    [`${p}.self_attn.k_proj.weight`, [kvHeads * hd, hidden]],
    [`${p}.self_attn.v_proj.weight`, [kvHeads * hd, hidden]],
    [`${p}.self_attn.o_proj.weight`, [hidden, heads * hd]],
    [`${p}.post_attention_layernorm.weight`, [hidden]],
  ];
  if (opts.bias)
    s.push([`${p}.self_attn.q_proj.bias`, [heads * hd]], [`${p}.self_attn.k_proj.bias`, [kvHeads * hd]], [`${p}.self_attn.v_proj.bias`, [kvHeads * hd]]);
  if (opts.qkNorm) s.push([`${p}.self_attn.q_norm.weight`, [hd]], [`${p}.self_attn.k_norm.weight`, [hd]]);
  if (opts.experts) {
    s.push([`${p}.mlp.gate.weight`, [opts.experts, hidden]]);
    for (let e = 0; e < opts.experts; e++)
      s.push(
        [`${p}.mlp.experts.${e}.gate_proj.weight`, [opts.moeFf!, hidden]],
        [`${p}.mlp.experts.${e}.up_proj.weight`, [opts.moeFf!, hidden]],
        [`${p}.mlp.experts.${e}.down_proj.weight`, [hidden, opts.moeFf!]],
      );
  } else s.push([`${p}.mlp.gate_proj.weight`, [ff, hidden]], [`${p}.mlp.up_proj.weight`, [ff, hidden]], [`${p}.mlp.down_proj.weight`, [hidden, ff]]);
  return s;
}

export function makeLlamaCheckpoint(folder: string): Fixture {
  const hidden = 256;
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: hidden,
    intermediate_size: 512,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 8192,
    rms_norm_eps: 1e-5,
    rope_theta: 500000,
    rope_scaling: { factor: 8.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
    vocab_size: 272,
    bos_token_id: 264,
    eos_token_id: 265,
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
  };
  const shapes: [string, number[]][] = [['model.embed_tokens.weight', [272, hidden]]];
  for (let l = 0; l < 2; l++) shapes.push(...layerShapes(l, hidden, 4, 2, 64, 512, {}));
  shapes.push(['model.norm.weight', [hidden]], ['lm_head.weight', [272, hidden]]);
  const tok = tokenizerJson(LLAMA3_SPLIT, ['<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>'], 264, false, '<|begin_of_text|>');
  return build(folder, config, shapes, 'BF16', tok, {
    bos_token: '<|begin_of_text|>',
    eos_token: '<|end_of_text|>',
    chat_template: '{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}',
  });
}

export function makeQwen3Checkpoint(folder: string): Fixture {
  const hidden = 256;
  const config = {
    architectures: ['Qwen3ForCausalLM'],
    model_type: 'qwen3',
    hidden_size: hidden,
    intermediate_size: 320,
    num_hidden_layers: 2,
    num_attention_heads: 8,
    num_key_value_heads: 2,
    head_dim: 64,
    max_position_embeddings: 40960,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000,
    vocab_size: 264,
    bos_token_id: 261,
    eos_token_id: 262,
    tie_word_embeddings: true,
    torch_dtype: 'float16',
  };
  const shapes: [string, number[]][] = [['model.embed_tokens.weight', [264, hidden]]];
  for (let l = 0; l < 2; l++) shapes.push(...layerShapes(l, hidden, 8, 2, 64, 320, { qkNorm: true }));
  shapes.push(['model.norm.weight', [hidden]]);
  const tok = tokenizerJson(QWEN2_SPLIT, ['<|endoftext|>', '<|im_start|>', '<|im_end|>'], 261, true, null);
  return build(folder, config, shapes, 'F16', tok, {
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    bos_token: null,
    chat_template: '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}',
  });
}

export function makeQwen3MoeCheckpoint(folder: string): Fixture {
  const hidden = 256;
  const config = {
    architectures: ['Qwen3MoeForCausalLM'],
    model_type: 'qwen3_moe',
    hidden_size: hidden,
    intermediate_size: 512,
    moe_intermediate_size: 256,
    num_experts: 4,
    num_experts_per_tok: 2,
    decoder_sparse_step: 1,
    mlp_only_layers: [],
    num_hidden_layers: 1,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 64,
    max_position_embeddings: 32768,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000,
    vocab_size: 264,
    tie_word_embeddings: false,
  };
  const shapes: [string, number[]][] = [['model.embed_tokens.weight', [264, hidden]]];
  shapes.push(...layerShapes(0, hidden, 4, 2, 64, 0, { qkNorm: true, experts: 4, moeFf: 256 }));
  shapes.push(['model.norm.weight', [hidden]], ['lm_head.weight', [264, hidden]]);
  const tok = tokenizerJson(QWEN2_SPLIT, ['<|endoftext|>', '<|im_start|>', '<|im_end|>'], 261, true, null);
  return build(folder, config, shapes, 'BF16', tok, { eos_token: '<|im_end|>' });
}
