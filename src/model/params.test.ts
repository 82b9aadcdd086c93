import { describe, expect, it } from 'vitest';
import { ctx } from '../../test/ctx.js';
import { chinchillaTokens, countParameters } from './params.js';
import { modelFromHfConfig } from './hf.js';

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
