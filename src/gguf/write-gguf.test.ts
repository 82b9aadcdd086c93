/**
 * End to end: small Llama-3-, Qwen3- and Qwen3-MoE-style Hugging Face folders (real tensor names,
 * config.json, tokenizer.json, sharded safetensors) written as GGUF with a mix of types, then read
 * back by the real ggml library (gguf-check info / dequant / quant): names, shapes, types,
 * metadata, values within each type's bound, tensor bytes identical to ggml's quantization of the
 * same rows, and the llama Q/K rotary permutation undone to recover the checkpoint's rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBound } from '../../test/gguf-bounds.js';
import { ggmlDequantize, ggmlInfo, ggmlQuantize, ggufCheckMissing, readBytes, type GgmlInfo } from '../../test/gguf-check.js';
import { makeLlamaCheckpoint, makeQwen3Checkpoint, makeQwen3MoeCheckpoint, type Fixture } from '../../test/gguf-fixtures.js';
import { GGML_TYPE_INFO, type GgmlType } from './ggml-types.js';
import { GgufModelError, planGgufModel, type PlannedTensor } from './hf-model.js';
import { permuteWithinHeads, unpermuteWithinHeads } from './plan-rows.js';
import { convertHfFolderToGguf, ggufLayout, type GgufWriteReport } from './write-gguf.js';

const missing = ggufCheckMissing();
if (missing) console.warn(missing);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gguf-e2e-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The rows a GGUF tensor should hold, from the checkpoint's values (applying the plan's recipe). */
function expectedRows(t: PlannedTensor, fx: Fixture): Float32Array {
  const r = t.recipe;
  switch (r.kind) {
    case 'tensor':
      return fx.tensors.get(r.hf)!.data;
    case 'rope-permute': {
      const src = fx.tensors.get(r.hf)!;
      const rows = src.shape[0]!;
      return permuteWithinHeads(src.data, rows, r.heads, src.shape.length === 1 ? 1 : src.shape[1]!);
    }
    case 'stack': {
      const parts = r.hf.map((n) => fx.tensors.get(n)!.data);
      const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    }
    case 'values':
      return r.data;
  }
}

/** Checks every tensor of a written file against ggml; returns the worst error/bound ratio per type. */
function checkTensors(path: string, info: GgmlInfo, report: GgufWriteReport, plan: PlannedTensor[], fx: Fixture): Map<GgmlType, number> {
  const worst = new Map<GgmlType, number>();
  for (const t of plan) {
    const rep = report.tensors.find((r) => r.name === t.name)!;
    const gi = info.tensors.find((g) => g.name === t.name)!;
    expect(gi, t.name).toBeDefined();
    expect(gi.type, t.name).toBe(GGML_TYPE_INFO[rep.type].ggmlName);
    expect(gi.ne.slice(0, t.ne.length), t.name).toEqual(t.ne);
    expect(gi.bytes, t.name).toBe(rep.bytes);
    const want = expectedRows(t, fx);
    const got = ggmlDequantize(path, t.name);
    expect(got.length, t.name).toBe(want.length);
    const stored = readBytes(path, info.dataOffset + gi.offset, gi.bytes);
    const cols = t.ne[0]!;
    const rows = want.length / cols;
    // the stored bytes are what ggml's own quantizer makes of the same rows
    if (rep.type !== 'F32')
      expect(Buffer.from(ggmlQuantize(GGML_TYPE_INFO[rep.type].ggmlName, want, rows, cols)).equals(Buffer.from(stored)), `${t.name} bytes`).toBe(true);
    const rb = gi.bytes / rows;
    let ratio = 0;
    for (let r = 0; r < rows; r++) {
      const bound = errorBound(rep.type, want.subarray(r * cols, (r + 1) * cols), stored.subarray(r * rb, (r + 1) * rb));
      for (let i = 0; i < cols; i++) {
        const e = Math.abs(got[r * cols + i]! - want[r * cols + i]!);
        if (!(e <= bound[i]!)) throw new Error(`${t.name} row ${r} col ${i}: |${got[r * cols + i]} - ${want[r * cols + i]}| > ${bound[i]}`);
        if (bound[i]! > 0) ratio = Math.max(ratio, e / bound[i]!);
      }
    }
    worst.set(rep.type, Math.max(worst.get(rep.type) ?? 0, ratio));
  }
  return worst;
}

function meta(info: GgmlInfo, key: string): unknown {
  return info.metadata[key];
}

describe('GGUF from a Llama-3-style checkpoint', () => {
  let fx: Fixture;
  let report: GgufWriteReport;
  const out = () => join(dir, 'llama.gguf');
  const byRole: Record<string, GgmlType> = {
    token_embd: 'Q8_0',
    attn_q: 'Q4_K',
    attn_k: 'Q5_K',
    attn_v: 'Q6_K',
    attn_output: 'Q4_0',
    ffn_gate: 'Q4_K',
    ffn_up: 'Q5_K',
    ffn_down: 'F16',
    output: 'Q6_K',
    attn_norm: 'Q4_K', // llama.cpp keeps norms F32 whatever is asked
  };
  beforeAll(() => {
    fx = makeLlamaCheckpoint(join(dir, 'Llama-Tiny'));
    report = convertHfFolderToGguf(fx.folder, out(), { types: (t) => byRole[t.role] ?? 'F16' });
  });

  it('plans llama.cpp names, dimensions (ne[0] fastest) and types, with the F32 rule', () => {
    const names = report.tensors.map((t) => t.name);
    expect(names.slice(0, 2)).toEqual(['rope_freqs.weight', 'token_embd.weight']);
    expect(names.slice(-2)).toEqual(['output_norm.weight', 'output.weight']);
    expect(names.filter((n) => n.startsWith('blk.0.'))).toEqual(
      ['attn_norm', 'attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_norm', 'ffn_gate', 'ffn_up', 'ffn_down'].map((r) => `blk.0.${r}.weight`),
    );
    const t = (n: string) => report.tensors.find((x) => x.name === n)!;
    expect(t('token_embd.weight').ne).toEqual([256, 272]);
    expect(t('blk.1.attn_k.weight').ne).toEqual([256, 128]);
    expect(t('blk.1.ffn_down.weight').ne).toEqual([512, 256]);
    expect(t('blk.0.attn_norm.weight')).toMatchObject({ type: 'F32', requested: 'Q4_K' });
    expect(t('blk.0.attn_norm.weight').note).toMatch(/kept F32/);
    expect(t('blk.0.ffn_norm.weight').type).toBe('F32');
    expect(t('rope_freqs.weight')).toMatchObject({ type: 'F32', ne: [32] });
    expect(t('blk.0.attn_q.weight').recipe).toBe('rope-permute');
    expect(t('blk.0.attn_v.weight').recipe).toBe('tensor');
    const sum = report.tensors.reduce((a, x) => a + Math.ceil(x.bytes / 32) * 32, 0);
    expect(report.fileBytes).toBe(report.dataOffset + sum);
  });

  it.skipIf(missing !== null)('is read by ggml with the metadata llama.cpp needs', () => {
    const info = ggmlInfo(out());
    expect(info.version).toBe(3);
    const want: Record<string, unknown> = {
      'general.architecture': 'llama',
      'general.type': 'model',
      'general.name': 'Llama-Tiny',
      'llama.block_count': 2,
      'llama.context_length': 8192,
      'llama.embedding_length': 256,
      'llama.feed_forward_length': 512,
      'llama.attention.head_count': 4,
      'llama.attention.head_count_kv': 2,
      'llama.rope.freq_base': 500000,
      'llama.vocab_size': 272,
      'llama.rope.dimension_count': 64,
      'general.quantization_version': 2,
      'general.file_type': 15, // most tensors are Q4_K -> MOSTLY_Q4_K_M, llama.cpp's own guess
      'tokenizer.ggml.model': 'gpt2',
      'tokenizer.ggml.pre': 'llama-bpe',
      'tokenizer.ggml.bos_token_id': 264,
      'tokenizer.ggml.eos_token_id': 265,
      'tokenizer.ggml.add_bos_token': true,
    };
    for (const [k, v] of Object.entries(want)) expect(meta(info, k), k).toEqual(v);
    expect(meta(info, 'llama.attention.layer_norm_rms_epsilon')).toBeCloseTo(1e-5, 10);
    expect(meta(info, 'tokenizer.ggml.tokens')).toMatchObject({ of: 'str', n: 272, head: ['Ā', 'ā', 'Ă', 'ă', 'Ą', 'ą', 'Ć', 'ć'] });
    expect(meta(info, 'tokenizer.ggml.token_type')).toMatchObject({ of: 'i32', n: 272 });
    expect(meta(info, 'tokenizer.ggml.merges')).toEqual({ type: 'array', of: 'str', n: 5, head: ['Ġ t', 'h e', 'Ġt he', 'i n', 'Ġ a'] });
    expect(String(meta(info, 'tokenizer.chat_template'))).toContain('bos_token');
    expect(info.tensors.length).toBe(report.tensors.length);
  });

  it.skipIf(missing !== null)('holds every tensor as ggml quantizes it, within each type bound, Q/K permuted as llama.cpp expects', () => {
    const info = ggmlInfo(out());
    const plan = planGgufModel(
      fx.config,
      [...fx.tensors].map(([name, t]) => ({ name, dtype: 'BF16', shape: t.shape })),
    );
    const worst = checkTensors(out(), info, report, plan.tensors, fx);
    expect([...worst.keys()].sort()).toEqual(['F16', 'F32', 'Q4_0', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_0']);
    // un-permute what ggml dequantizes and recover the checkpoint rows (within the bound, mapped through the
    // same permutation); read without un-permuting, most values miss
    for (const [name, heads, hf] of [
      ['blk.0.attn_q.weight', 4, 'model.layers.0.self_attn.q_proj.weight'],
      ['blk.1.attn_k.weight', 2, 'model.layers.1.self_attn.k_proj.weight'],
    ] as const) {
      const gi = info.tensors.find((g) => g.name === name)!;
      const type = report.tensors.find((r) => r.name === name)!.type;
      const orig = fx.tensors.get(hf)!;
      const rows = orig.shape[0]!;
      const stored = readBytes(out(), info.dataOffset + gi.offset, gi.bytes);
      const permuted = permuteWithinHeads(orig.data, rows, heads, 256);
      const bound = new Float32Array(permuted.length);
      for (let r = 0; r < rows; r++)
        bound.set(errorBound(type, permuted.subarray(r * 256, (r + 1) * 256), stored.subarray((r * gi.bytes) / rows, ((r + 1) * gi.bytes) / rows)), r * 256);
      const boundBack = unpermuteWithinHeads(bound, rows, heads, 256);
      const got = ggmlDequantize(out(), name);
      const back = unpermuteWithinHeads(got, rows, heads, 256);
      let misses = 0;
      for (let i = 0; i < back.length; i++) {
        expect(Math.abs(back[i]! - orig.data[i]!) <= boundBack[i]!, `${name} value ${i}`).toBe(true);
        if (Math.abs(got[i]! - orig.data[i]!) > boundBack[i]!) misses++;
      }
      expect(misses / back.length, name).toBeGreaterThan(0.5);
    }
    // rope_freqs.weight: Llama 3.1 factors (1 for short wavelengths, factor 8 for long ones)
    const rf = ggmlDequantize(out(), 'rope_freqs.weight');
    expect(rf[0]).toBe(1);
    expect(rf[31]).toBe(8);
    for (let i = 0; i < 32; i++) {
      const freq = 1 / 500000 ** ((2 * i) / 64);
      const wl = (2 * Math.PI) / freq;
      const f = wl < 8192 / 4 ? 1 : wl > 8192 ? 8 : 1 / ((1 - (8192 / wl - 1) / 3) / 8 + (8192 / wl - 1) / 3);
      expect(rf[i]).toBeCloseTo(f, 4);
    }
  });
});

describe('GGUF from a Qwen3-style checkpoint', () => {
  let fx: Fixture;
  let report: GgufWriteReport;
  const out = () => join(dir, 'qwen3.gguf');
  beforeAll(() => {
    fx = makeQwen3Checkpoint(join(dir, 'Qwen3-Tiny'));
    const types = new Map<string, GgmlType>([['token_embd.weight', 'Q6_K']]);
    for (let l = 0; l < 2; l++) types.set(`blk.${l}.attn_v.weight`, 'Q8_0');
    report = convertHfFolderToGguf(fx.folder, out(), { types, defaultType: 'Q4_K', name: 'Qwen3 Tiny' });
  });

  it('keeps Q/K unpermuted, adds q/k norms in F32, writes no output.weight for tied embeddings, and falls back where rows do not fit', () => {
    const t = (n: string) => report.tensors.find((x) => x.name === n);
    expect(t('blk.0.attn_q.weight')).toMatchObject({ recipe: 'tensor', ne: [256, 512], type: 'Q4_K' });
    expect(t('blk.0.attn_q_norm.weight')).toMatchObject({ type: 'F32', ne: [64] });
    expect(t('blk.0.attn_output.weight')).toMatchObject({ ne: [512, 256] });
    expect(t('output.weight')).toBeUndefined();
    expect(t('rope_freqs.weight')).toBeUndefined();
    // 320-value rows: Q4_K -> Q5_0 (llama-quant.cpp's fallback)
    expect(t('blk.1.ffn_down.weight')).toMatchObject({ ne: [320, 256], requested: 'Q4_K', type: 'Q5_0' });
    expect(report.warnings.some((w) => w.includes('blk.1.ffn_down.weight') && w.includes('Q5_0'))).toBe(true);
  });

  it.skipIf(missing !== null)('is read by ggml with the qwen3 metadata and the values within bound', () => {
    const info = ggmlInfo(out());
    const want: Record<string, unknown> = {
      'general.architecture': 'qwen3',
      'general.name': 'Qwen3 Tiny',
      'qwen3.block_count': 2,
      'qwen3.context_length': 40960,
      'qwen3.embedding_length': 256,
      'qwen3.feed_forward_length': 320,
      'qwen3.attention.head_count': 8,
      'qwen3.attention.head_count_kv': 2,
      'qwen3.attention.key_length': 64,
      'qwen3.attention.value_length': 64,
      'qwen3.rope.freq_base': 1000000,
      'tokenizer.ggml.pre': 'qwen2',
      'tokenizer.ggml.eos_token_id': 263,
      'tokenizer.ggml.bos_token_id': 261,
      'tokenizer.ggml.padding_token_id': 261,
    };
    for (const [k, v] of Object.entries(want)) expect(meta(info, k), k).toEqual(v);
    expect(meta(info, 'qwen3.attention.layer_norm_rms_epsilon')).toBeCloseTo(1e-6, 12);
    expect(meta(info, 'qwen3.rope.dimension_count')).toBeUndefined();
    expect(meta(info, 'tokenizer.ggml.merges')).toMatchObject({ n: 5, head: ['Ġ t', 'h e', 'Ġt he', 'i n', 'Ġ a'] });
    const plan = planGgufModel(
      fx.config,
      [...fx.tensors].map(([name, t]) => ({ name, dtype: 'F16', shape: t.shape })),
    );
    const worst = checkTensors(out(), info, report, plan.tensors, fx);
    expect([...worst.keys()].sort()).toEqual(['F32', 'Q4_K', 'Q5_0', 'Q6_K', 'Q8_0']);
  });
});

describe('GGUF from a Qwen3-MoE-style checkpoint', () => {
  it('stacks the experts into blk.N.ffn_*_exps with the expert count slowest', () => {
    const fx = makeQwen3MoeCheckpoint(join(dir, 'Qwen3-MoE-Tiny'));
    const path = join(dir, 'moe.gguf');
    const report = convertHfFolderToGguf(fx.folder, path, { types: 'Q4_K' });
    const t = (n: string) => report.tensors.find((x) => x.name === n)!;
    expect(t('blk.0.ffn_gate_exps.weight')).toMatchObject({ ne: [256, 256, 4], type: 'Q4_K', recipe: 'stack' });
    expect(t('blk.0.ffn_down_exps.weight')).toMatchObject({ ne: [256, 256, 4] });
    expect(t('blk.0.ffn_gate_inp.weight')).toMatchObject({ ne: [256, 4], type: 'F32' });
    if (missing) return;
    const info = ggmlInfo(path);
    expect(meta(info, 'qwen3moe.expert_count')).toBe(4);
    expect(meta(info, 'qwen3moe.expert_used_count')).toBe(2);
    expect(meta(info, 'qwen3moe.expert_feed_forward_length')).toBe(256);
    const plan = planGgufModel(
      fx.config,
      [...fx.tensors].map(([name, s]) => ({ name, dtype: 'BF16', shape: s.shape })),
    );
    checkTensors(path, info, report, plan.tensors, fx);
    // expert 2's up projection is the third slab of the stacked tensor (checkTensors compared the whole
    // stack to the experts in order; this pins the slab to the expert's own rows)
    const up = ggmlDequantize(path, 'blk.0.ffn_up_exps.weight');
    const gi = info.tensors.find((g) => g.name === 'blk.0.ffn_up_exps.weight')!;
    const e2 = fx.tensors.get('model.layers.0.mlp.experts.2.up_proj.weight')!.data;
    const slab = readBytes(path, info.dataOffset + gi.offset + (2 * gi.bytes) / 4, gi.bytes / 4);
    for (let r = 0; r < 256; r++) {
      const bound = errorBound('Q4_K', e2.subarray(r * 256, (r + 1) * 256), slab.subarray(r * 144, (r + 1) * 144));
      for (let i = 0; i < 256; i++) expect(Math.abs(up[2 * e2.length + r * 256 + i]! - e2[r * 256 + i]!) <= bound[i]!).toBe(true);
    }
  });
});

describe('model planning errors name the field or tensor', () => {
  const cfg = { architectures: ['LlamaForCausalLM'], hidden_size: 256, num_hidden_layers: 1, num_attention_heads: 4, vocab_size: 16, rms_norm_eps: 1e-5 };
  const names = (extra: string[] = []) =>
    [
      'model.embed_tokens.weight',
      'model.norm.weight',
      ...['input_layernorm', 'post_attention_layernorm'].map((n) => `model.layers.0.${n}.weight`),
      ...['q_proj', 'k_proj', 'v_proj', 'o_proj'].map((n) => `model.layers.0.self_attn.${n}.weight`),
      ...['gate_proj', 'up_proj', 'down_proj'].map((n) => `model.layers.0.mlp.${n}.weight`),
      ...extra,
    ].map((name) => ({
      name,
      dtype: 'F32',
      shape: name.includes('norm') ? [256] : name.includes('embed') ? [16, 256] : [256, 256],
    }));
  const err = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e as GgufModelError;
    }
    throw new Error('no error');
  };
  it('unsupported architecture', () => {
    const e = err(() => planGgufModel({ ...cfg, architectures: ['GPT2LMHeadModel'] }, names()));
    expect(e).toMatchObject({ code: 'unsupported_architecture', field: 'architectures' });
    expect(e.message).toMatch(/GPT2LMHeadModel is not supported.*LlamaForCausalLM/);
  });
  it('bad or missing config field', () => {
    expect(err(() => planGgufModel({ ...cfg, hidden_size: 'big' }, names()))).toMatchObject({ code: 'bad_config_field', field: 'hidden_size' });
    expect(err(() => planGgufModel({ ...cfg, rms_norm_eps: undefined }, names()))).toMatchObject({ code: 'bad_config_field', field: 'rms_norm_eps' });
    expect(err(() => planGgufModel({ ...cfg, rope_scaling: { rope_type: 'longrope', factor: 2 } }, names()))).toMatchObject({
      code: 'unsupported_feature',
      field: 'rope_scaling',
    });
  });
  it('unknown, missing and mis-shaped tensors', () => {
    expect(err(() => planGgufModel(cfg, names(['model.layers.0.self_attn.q_norm.weight'])))).toMatchObject({
      code: 'unknown_tensor',
      field: 'model.layers.0.self_attn.q_norm.weight',
    });
    expect(
      err(() =>
        planGgufModel(
          cfg,
          names().filter((t) => !t.name.includes('down_proj')),
        ),
      ),
    ).toMatchObject({ code: 'missing_tensor', field: 'blk.0.ffn_down.weight' });
    const bad = names().map((t) => (t.name.includes('k_proj') ? { ...t, shape: [100, 256] } : t));
    expect(err(() => planGgufModel(cfg, bad))).toMatchObject({ code: 'bad_tensor_shape', field: 'model.layers.0.self_attn.k_proj.weight' });
  });
  it('reports exact sizes before writing, and a tokenizer that does not match the embedding rows', () => {
    const plan = planGgufModel(cfg, names());
    const layout = ggufLayout({ plan, types: 'Q4_K', name: 'x', tokenizer: null });
    expect(layout.tensors.find((t) => t.name === 'blk.0.attn_q.weight')!.bytes).toBe(256 * 144);
    expect(layout.tensors.find((t) => t.name === 'token_embd.weight')!.bytes).toBe(16 * 144);
    expect(() => ggufLayout({ plan, types: 'Q4_K', name: 'x', tokenizer: { metadata: [], vocabSize: 17, warnings: [] } })).toThrow(
      /17 tokens but token_embd.weight has 16 rows/,
    );
  });
});

describe('Mixtral-style checkpoints plan as llama with stacked experts', () => {
  it('maps block_sparse_moe.experts.E.w1/w2/w3 to ffn_gate/down/up_exps and the router to ffn_gate_inp (F32)', () => {
    const cfg = {
      architectures: ['MixtralForCausalLM'],
      hidden_size: 256,
      intermediate_size: 512,
      num_hidden_layers: 1,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      vocab_size: 32,
      rms_norm_eps: 1e-5,
      num_local_experts: 2,
      num_experts_per_tok: 2,
    };
    const t = (name: string, shape: number[]) => ({ name, dtype: 'BF16', shape });
    const tensors = [
      t('model.embed_tokens.weight', [32, 256]),
      t('model.norm.weight', [256]),
      t('lm_head.weight', [32, 256]),
      t('model.layers.0.input_layernorm.weight', [256]),
      t('model.layers.0.post_attention_layernorm.weight', [256]),
      t('model.layers.0.self_attn.q_proj.weight', [256, 256]),
      t('model.layers.0.self_attn.k_proj.weight', [128, 256]),
      t('model.layers.0.self_attn.v_proj.weight', [128, 256]),
      t('model.layers.0.self_attn.o_proj.weight', [256, 256]),
      t('model.layers.0.block_sparse_moe.gate.weight', [2, 256]),
      ...[0, 1].flatMap((e) => [
        t(`model.layers.0.block_sparse_moe.experts.${e}.w1.weight`, [512, 256]),
        t(`model.layers.0.block_sparse_moe.experts.${e}.w2.weight`, [256, 512]),
        t(`model.layers.0.block_sparse_moe.experts.${e}.w3.weight`, [512, 256]),
      ]),
    ];
    const plan = planGgufModel(cfg, tensors);
    const p = (n: string) => plan.tensors.find((x) => x.name === n)!;
    expect(plan.arch).toBe('llama');
    expect(p('blk.0.ffn_gate_exps.weight')).toMatchObject({
      ne: [256, 512, 2],
      recipe: { kind: 'stack', hf: ['model.layers.0.block_sparse_moe.experts.0.w1.weight', 'model.layers.0.block_sparse_moe.experts.1.w1.weight'] },
    });
    expect(p('blk.0.ffn_down_exps.weight').ne).toEqual([512, 256, 2]);
    expect(p('blk.0.ffn_up_exps.weight').recipe).toMatchObject({
      hf: ['model.layers.0.block_sparse_moe.experts.0.w3.weight', 'model.layers.0.block_sparse_moe.experts.1.w3.weight'],
    });
    expect(p('blk.0.ffn_gate_inp.weight').keepF32).toBe('the MoE router');
    expect(p('blk.0.attn_k.weight').recipe).toMatchObject({ kind: 'rope-permute', heads: 2 });
    const md = Object.fromEntries(plan.metadata.map((m) => [m.key, (m.value as { value: unknown }).value]));
    expect(md).toMatchObject({ 'llama.expert_count': 2, 'llama.expert_used_count': 2, 'llama.vocab_size': 32, 'llama.rope.dimension_count': 64 });
  });
});
