import { describe, expect, it } from 'vitest';
import { ctx } from '../../test/ctx.js';
import { chinchillaTokens, countParameters } from './params.js';
import { modelFromHfConfig } from './hf.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const builtinModel = (id: string) => ctx.models.get(id);
const builtinModelIds = () => [...ctx.models.ids];

function counts(id: string) {
  const m = builtinModel(id);
  if (!m) throw new Error(`no model ${id}`);
  return countParameters(m);
}

// Published totals (model cards / papers), each an outside fact the count must reproduce.
const published: [string, number, number][] = [
  // id, published total, relative tolerance
  ['llama-2-7b', 6.738e9, 0.001],
  ['llama-2-13b', 13.016e9, 0.001],
  ['llama-2-70b', 68.977e9, 0.001],
  ['llama-3.1-8b', 8.03e9, 0.001],
  ['llama-3.1-70b', 70.554e9, 0.001],
  ['llama-3.1-405b', 405.85e9, 0.0005],
  ['mixtral-8x7b', 46.703e9, 0.001],
  ['mixtral-8x22b', 140.621e9, 0.001],
  ['qwen3-30b-a3b', 30.532e9, 0.001],
  ['qwen3-235b-a22b', 235.094e9, 0.001],
  ['deepseek-v3', 671.026e9, 0.0005],
  ['gpt-oss-120b', 116.829e9, 0.001],
  ['mpt-7b', 6.649e9, 0.001],
  ['mpt-30b', 29.955e9, 0.002],
  ['gpt3-175b', 175e9, 0.01],
  ['yuan2-102b', 102.6e9, 0.01],
  ['mistral-7b', 7.242e9, 0.001],
  ['qwen2.5-72b', 72.706e9, 0.001],
  ['pythia-12b', 11.846e9, 0.001],
];

describe('parameter counts', () => {
  it.each(published)('%s matches its published total', (id, total, tol) => {
    const c = counts(id);
    expect(Math.abs(c.total - total) / total).toBeLessThan(tol);
  });

  it('counts Llama-3.1-405B exactly', () => {
    expect(counts('llama-3.1-405b').total).toBe(405_853_388_800);
  });

  it('counts DeepSeek-V3 exactly: 671.03B total, 37.5B active, MTP module separate', () => {
    const c = counts('deepseek-v3');
    expect(c.total).toBe(671_026_419_200);
    expect(c.active / 1e9).toBeCloseTo(37.55, 1);
    // the HF checkpoint's 685B includes the 14B MTP module
    expect((c.total + c.mtp) / 1e9).toBeGreaterThan(684);
    expect((c.total + c.mtp) / 1e9).toBeLessThan(686);
  });

  it('counts MoE active parameters (top-k experts)', () => {
    expect(counts('mixtral-8x7b').active / 1e9).toBeCloseTo(12.88, 1);
    expect(counts('qwen3-30b-a3b').active / 1e9).toBeCloseTo(3.35, 1);
    expect(counts('qwen3-235b-a22b').active / 1e9).toBeCloseTo(22.2, 0);
    // OpenAI's 5.13B active counts the unembedding but not the embedding table
    const g = counts('gpt-oss-120b');
    expect((g.active - g.embedding) / 1e9).toBeCloseTo(5.13, 1);
  });

  it('keeps every built-in model valid', () => {
    for (const id of builtinModelIds()) expect(counts(id).total).toBeGreaterThan(1e9);
  });

  it('sizes Chinchilla-optimal data as 20 tokens per parameter', () => {
    expect(chinchillaTokens(70e9)).toBe(1.4e12);
  });
});

describe('Hugging Face config import', () => {
  it('reads GPT-2 style keys', () => {
    const r = modelFromHfConfig({ model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, vocab_size: 50257, n_positions: 1024 }, ['model']);
    expect(r.issues).toEqual([]);
    // GPT-2 small: 124.44M parameters
    expect(countParameters(r.model!).total).toBe(124_439_808);
  });

  it('names a missing required key', () => {
    const r = modelFromHfConfig({ hidden_size: 4096, num_attention_heads: 32, vocab_size: 32000, intermediate_size: 11008 }, ['model']);
    expect(r.model).toBeNull();
    expect(r.issues[0]).toMatchObject({ code: 'missing_key', path: ['model', 'num_hidden_layers'] });
  });

  it('rejects heads that do not divide into KV groups', () => {
    const r = modelFromHfConfig(
      { hidden_size: 4096, num_hidden_layers: 2, num_attention_heads: 32, num_key_value_heads: 5, vocab_size: 10, intermediate_size: 10 },
      ['model'],
    );
    expect(r.issues[0]).toMatchObject({ code: 'not_divisible', path: ['model', 'num_key_value_heads'] });
  });

  it('rejects zero and negative sizes', () => {
    const r = modelFromHfConfig({ hidden_size: 0, num_hidden_layers: -2, num_attention_heads: 32, vocab_size: 10, intermediate_size: 10 }, ['model']);
    expect(r.issues.map((i) => i.path.at(-1))).toEqual(expect.arrayContaining(['hidden_size', 'num_hidden_layers']));
  });

  it('warns about unknown keys instead of failing', () => {
    const r = modelFromHfConfig({ hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 10, intermediate_size: 10, frobnicate: 1 }, [
      'model',
    ]);
    expect(r.model).not.toBeNull();
    expect(r.warnings.join()).toContain('frobnicate');
  });

  it('reads MPT attn_config, falcon multi_query and Qwen3 head_dim', () => {
    const mpt = modelFromHfConfig(
      { model_type: 'mpt', d_model: 256, n_layers: 2, n_heads: 8, expansion_ratio: 4, vocab_size: 100, attn_config: { kv_n_heads: 2 } },
      ['model'],
    );
    expect(mpt.model!.attention.kvHeads).toBe(2);
    expect(mpt.model!.mlp.intermediate).toBe(1024);
    const falcon = modelFromHfConfig(
      { model_type: 'falcon', hidden_size: 4544, num_hidden_layers: 32, num_attention_heads: 71, multi_query: true, vocab_size: 65024 },
      ['model'],
    );
    expect(falcon.model!.attention.kind).toBe('mqa');
    // Falcon-7B: 6.92B parameters
    expect(countParameters(falcon.model!).total / 1e9).toBeCloseTo(6.92, 2);
    const q = builtinModel('qwen3-30b-a3b')!;
    expect(q.attention.headDim).toBe(128);
  });
});

describe('model resolution', () => {
  it('reads a config.json by path relative to the scenario folder', async () => {
    const { resolveModel } = await import('../scenario/model.js');
    const { nodeFiles } = await import('../context/node-files.js');
    const { fileURLToPath } = await import('node:url');
    const examples = fileURLToPath(new URL('../../examples', import.meta.url));
    const r = resolveModel('configs/qwen3-30b-a3b.json', ['model'], ctx, nodeFiles, examples);
    expect(r.issues).toEqual([]);
    expect(r.model!.id).toBe('qwen3-30b-a3b');
    expect(countParameters(r.model!).total).toBe(countParameters(builtinModel('qwen3-30b-a3b')!).total);
    const missing = resolveModel('configs/nope.json', ['model'], ctx, nodeFiles, examples);
    expect(missing.issues[0]).toMatchObject({ code: 'io_error', path: ['model'] });
  });
});

// Real config.json files (test/fixtures/hf-configs, sources and grades in SOURCES.md), each against
// the model's published exact parameter total (the text tower where the config is multimodal).
describe('Hugging Face families, exact from real configs', () => {
  const dir = fileURLToPath(new URL('../../test/fixtures/hf-configs/', import.meta.url));
  const cases: [string, number][] = [
    ['THUDM__chatglm2-6b', 6_243_584_000],
    ['THUDM__chatglm3-6b', 6_243_584_000],
    ['baichuan-inc__Baichuan2-13B-Chat', 13_896_668_160],
    ['baichuan-inc__Baichuan2-7B', 7_505_973_248],
    ['google__gemma-2b-it', 2_506_172_416],
    ['google__gemma-2-9b-it', 9_241_705_984],
    ['google__gemma-3-1b-it', 999_885_952],
    ['google__gemma-3-4b-it', 3_880_263_168],
    ['ibm-granite__granite-3.1-1b-a400m-instruct', 1_334_628_352],
    ['microsoft__Phi-3-mini-4k-instruct', 3_821_079_552],
    ['microsoft__Phi-3.5-mini-instruct', 3_821_079_552],
    ['internlm__internlm3-8b-instruct', 8_804_241_408],
    ['deepseek-ai__DeepSeek-V2-Lite', 15_706_484_224],
    ['01-ai__Yi-34B', 34_388_917_248],
    ['moonshotai__Kimi-K2-Instruct', 1_026_408_232_448],
    ['RedHatAI__Llama-4-Scout-17B-16E-Instruct-FP8-dynamic', 107_769_861_120],
    ['Qwen__Qwen2.5-VL-7B-Instruct', 7_615_616_512],
    ['THUDM__glm-4-9b-chat', 9_399_951_360],
    ['internlm__internlm2_5-7b-chat', 7_737_708_544],
    ['unsloth__codegemma-7b-it', 8_537_680_896],
    ['bigcode__starcoder2-15b', 15_957_889_024],
    ['allenai__OLMo-2-1124-7B-Instruct', 7_298_617_344],
    ['ibm-granite__granite-3.3-8b-instruct', 8_170_864_640],
  ];
  const load = (name: string) => JSON.parse(readFileSync(`${dir}${name}.config.json`, 'utf8')) as Record<string, unknown>;
  it.each(cases)('%s counts %i parameters', (name, total) => {
    const r = modelFromHfConfig(load(name), ['model'], name);
    expect(r.issues).toEqual([]);
    expect(countParameters(r.model!).total).toBe(total);
  });

  it('reads the structure the totals depend on', () => {
    const g2 = modelFromHfConfig(load('google__gemma-2-9b-it'), ['model']).model!;
    expect(g2.mlp.gated).toBe(true); // GeGLU: three matrices
    expect(g2.tiedEmbeddings).toBe(true);
    expect(g2.normsPerLayer).toBe(4);
    expect(g2.pattern.filter((l) => l.attention === 'sliding')).toHaveLength(21); // even layers of 42
    const glm = modelFromHfConfig(load('THUDM__chatglm2-6b'), ['model']).model!;
    expect(glm.attention.kvHeads).toBe(2); // multi_query_group_num: the KV cache is 16x smaller than MHA's
    expect(glm.layers).toBe(28);
    const glm4 = modelFromHfConfig(load('THUDM__glm-4-9b-chat'), ['model']).model!;
    expect([glm4.layers, glm4.attention.kvHeads, glm4.vocab]).toEqual([40, 2, 151552]); // num_layers, multi_query_group_num, padded_vocab_size
    const g7 = modelFromHfConfig(load('unsloth__codegemma-7b-it'), ['model']).model!;
    expect(g7.attention.heads * g7.attention.headDim).toBe(4096); // q_proj [4096, 3072]: head_dim 256 x 16 heads, not hidden
    expect(g7.hidden).toBe(3072);
    const sc2 = modelFromHfConfig(load('bigcode__starcoder2-15b'), ['model']).model!;
    expect(sc2.tiedEmbeddings).toBe(false); // the config says false; Starcoder2Config's default is true
    expect(sc2.mlp.gated).toBe(false); // c_fc, c_proj: two matrices with biases
    const olmo2 = modelFromHfConfig(load('allenai__OLMo-2-1124-7B-Instruct'), ['model']).model!;
    expect(olmo2.attention.qkNorm).toBe('full'); // q_norm, k_norm [4096]: over the projection width, not per head
    const granite = modelFromHfConfig(load('ibm-granite__granite-3.3-8b-instruct'), ['model']).model!;
    expect([granite.tiedEmbeddings, granite.attention.kvHeads]).toEqual([true, 8]); // the muP multipliers are scalars, no tensors
    const il2 = modelFromHfConfig(load('internlm__internlm2_5-7b-chat'), ['model']).model!;
    expect([il2.attention.kvHeads, il2.tiedEmbeddings]).toEqual([8, false]);
    const g3 = modelFromHfConfig(load('google__gemma-3-4b-it'), ['model']);
    expect(g3.model!.vocab).toBe(262208); // Gemma3TextConfig's default: the nested text_config leaves it out
    expect(g3.model!.attention.qkNorm).toBe('per-head');
    expect(g3.warnings.join(' ')).toMatch(/vision tower .* not modelled/);
    const scout = modelFromHfConfig(load('RedHatAI__Llama-4-Scout-17B-16E-Instruct-FP8-dynamic'), ['model']).model!;
    expect(scout.pattern.filter((l) => l.attention === 'chunked')).toHaveLength(36); // the NoPE layers (every 4th) attend globally
    expect(scout.moe!.sharedIntermediate).toBe(8192);
  });

  it('refuses architectures it does not model, naming the key', () => {
    const mamba = modelFromHfConfig(load('state-spaces__mamba-2.8b-hf'), ['model']);
    expect(mamba.issues).toEqual([
      expect.objectContaining({ code: 'unsupported_architecture', path: ['model', 'model_type'], key: 'model_type', value: 'mamba' }),
    ]);
    expect(mamba.issues[0]!.message).toMatch(/not a transformer/);
    const mm = modelFromHfConfig(load('MiniMaxAI__MiniMax-M1'), ['model']);
    expect(mm.issues).toEqual([expect.objectContaining({ code: 'unsupported_architecture', path: ['model', 'attn_type_list'] })]);
    const unknown = modelFromHfConfig(
      { model_type: 'llamma', hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128, vocab_size: 100 },
      ['model'],
    );
    expect(unknown.issues[0]).toMatchObject({ code: 'unsupported_architecture', key: 'model_type' });
    expect(unknown.issues[0]!.message).toMatch(/did you mean 'llama'/);
    const jamba = modelFromHfConfig({ model_type: 'jamba', hidden_size: 64 }, ['model']);
    expect(jamba.issues[0]!.message).toMatch(/state-space/);
    const hybrid = modelFromHfConfig(
      {
        model_type: 'qwen3',
        hidden_size: 64,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        intermediate_size: 128,
        vocab_size: 100,
        layer_types: ['full_attention', 'linear_attention'],
      },
      ['model'],
    );
    expect(hybrid.issues[0]).toMatchObject({ code: 'unsupported_architecture', path: ['model', 'layer_types'] });
    const bert = modelFromHfConfig(
      { model_type: 'bert', hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, vocab_size: 30522 },
      ['model'],
    );
    expect(bert.issues[0]!.message).toMatch(/encoder/);
  });
});

// Families whose config.json was not found in a verbatim copy: their published dimensions (model
// cards, technical reports) inline, against the published totals (HF safetensors metadata via the
// research note of 2026-12-01). Weaker evidence than the fixtures above, stated as such.
describe('Hugging Face families, from published dimensions', () => {
  const cases: [string, Record<string, unknown>, number][] = [
    [
      'OLMo-1B (non-parametric layer norm)',
      {
        model_type: 'olmo',
        hidden_size: 2048,
        num_hidden_layers: 16,
        num_attention_heads: 16,
        intermediate_size: 8192,
        vocab_size: 50304,
        tie_word_embeddings: true,
      },
      1_176_764_416,
    ],
    [
      'OLMo-7B',
      {
        model_type: 'olmo',
        hidden_size: 4096,
        num_hidden_layers: 32,
        num_attention_heads: 32,
        intermediate_size: 11008,
        vocab_size: 50304,
        tie_word_embeddings: false,
      },
      6_888_095_744,
    ],
    [
      'OLMo-2-1124-7B (full-width q/k norms)',
      {
        model_type: 'olmo2',
        hidden_size: 4096,
        num_hidden_layers: 32,
        num_attention_heads: 32,
        intermediate_size: 11008,
        vocab_size: 100352,
        tie_word_embeddings: false,
      },
      7_298_617_344,
    ],
    [
      'OLMo-2-1124-13B',
      {
        model_type: 'olmo2',
        hidden_size: 5120,
        num_hidden_layers: 40,
        num_attention_heads: 40,
        intermediate_size: 13824,
        vocab_size: 100352,
        tie_word_embeddings: false,
      },
      13_716_198_400,
    ],
    [
      'gemma-7b (head_dim 256 x 16 heads != hidden)',
      {
        model_type: 'gemma',
        hidden_size: 3072,
        num_hidden_layers: 28,
        num_attention_heads: 16,
        num_key_value_heads: 16,
        head_dim: 256,
        intermediate_size: 24576,
        vocab_size: 256000,
      },
      8_537_680_896,
    ],
    [
      'gemma-2-2b',
      {
        model_type: 'gemma2',
        hidden_size: 2304,
        num_hidden_layers: 26,
        num_attention_heads: 8,
        num_key_value_heads: 4,
        head_dim: 256,
        intermediate_size: 9216,
        vocab_size: 256000,
        sliding_window: 4096,
      },
      2_614_341_888,
    ],
  ];
  it.each(cases)('%s', (_name, cfg, total) => {
    const r = modelFromHfConfig(cfg, ['model']);
    expect(r.issues).toEqual([]);
    expect(countParameters(r.model!).total).toBe(total);
  });
});
