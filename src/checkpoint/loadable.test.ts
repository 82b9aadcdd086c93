import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { f32ToBf16 } from '../quant/dtypes.js';
import { moeLayers, quantizeCheckpoint, tensorRole, type QuantizeOptions } from './convert.js';
import { mixedPrecision } from './mixed.js';
import { writeSafetensors, type TensorToWrite } from './safetensors.js';

/**
 * What a loader needs beyond the weights' bytes, for the model families a new-user trial found
 * broken: config.json kept as written, mixture-of-experts routers and experts, tied heads, and
 * scales that fit the dtype they are stored in.
 */

const tmp = (p: string) => mkdtempSync(join(tmpdir(), `sinan-${p}-`));
let seed = 11;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5) * 0.1;
const bf16 = (n: number, scale = 1) => {
  const b = new Uint8Array(2 * n);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32ToBf16(rnd() * scale), true);
  return b;
};
const w = (name: string, out: number, inF: number, scale = 1): TensorToWrite => ({ name, dtype: 'BF16', shape: [out, inF], data: bf16(out * inF, scale) });
const q = (input: string, output: string, o: Partial<QuantizeOptions>) => quantizeCheckpoint(input, output, { format: 'nf4', workers: 1, ...o });
const config = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));

/** A two-expert Mixtral-style layer (router block_sparse_moe.gate, experts w1/w2/w3), optionally without a head. */
function mixtral(head = true): string {
  const dir = tmp('moe');
  const p = 'model.layers.0';
  writeSafetensors(join(dir, 'model.safetensors'), [
    w('model.embed_tokens.weight', 64, 128),
    w(`${p}.self_attn.q_proj.weight`, 128, 128),
    w(`${p}.self_attn.k_proj.weight`, 64, 128),
    w(`${p}.self_attn.v_proj.weight`, 64, 128),
    w(`${p}.self_attn.o_proj.weight`, 128, 128),
    w(`${p}.block_sparse_moe.gate.weight`, 2, 128),
    ...[0, 1].flatMap((e) => [
      w(`${p}.block_sparse_moe.experts.${e}.w1.weight`, 256, 128),
      w(`${p}.block_sparse_moe.experts.${e}.w2.weight`, 128, 256),
      w(`${p}.block_sparse_moe.experts.${e}.w3.weight`, 256, 128),
    ]),
    ...(head ? [w('lm_head.weight', 64, 128)] : []),
  ]);
  // as transformers writes it: floats such as 0.0 and 1000000.0 that strict config classes require to stay floats
  writeFileSync(
    join(dir, 'config.json'),
    `{\n  "model_type": "mixtral",\n  "router_jitter_noise": 0.0,\n  "rope_theta": 1000000.0,\n  "rms_norm_eps": 1e-05,\n  "tie_word_embeddings": ${!head}\n}\n`,
  );
  return dir;
}

describe('checkpoints loaders can run', () => {
  it('rewrites only quantization_config in config.json: 0.0 stays 0.0 (transformers refuses an int for a float field)', async () => {
    const out = join(tmp('cfg'), 'q');
    await q(mixtral(), out, { format: 'fp8' });
    const text = readFileSync(join(out, 'config.json'), 'utf8');
    expect(text).toContain('"router_jitter_noise": 0.0');
    expect(text).toContain('"rope_theta": 1000000.0');
    expect(text).toContain('"rms_norm_eps": 1e-05');
    expect(JSON.parse(text).quantization_config.quant_method).toBe('compressed-tensors');
  });

  it('keeps mixture-of-experts routers in every format, and experts for bitsandbytes (transformers fuses them)', async () => {
    const src = mixtral();
    for (const format of ['nf4', 'fp8', 'fp8-block', 'int8'] as const) {
      const out = join(tmp(format), 'q');
      const r = await q(src, out, { format, ...(format === 'int8' ? { layout: 'compressed-tensors' as const } : {}) });
      const gate = r.tensors.find((t) => t.name.endsWith('block_sparse_moe.gate.weight'))!;
      expect(gate.quantized, format).toBe(false);
      expect(gate.note).toMatch(/router/);
      const qc = config(out).quantization_config;
      const skip: string[] = qc.llm_int8_skip_modules ?? qc.ignore ?? qc.modules_to_not_convert;
      expect(skip, format).toContain('model.layers.0.block_sparse_moe.gate');
      const experts = r.tensors.filter((t) => t.name.includes('.experts.'));
      expect(experts).toHaveLength(6);
      for (const e of experts) expect(e.quantized, `${format} ${e.name}`).toBe(format !== 'nf4');
      // attention projections are quantized in every format
      expect(r.tensors.find((t) => t.name.endsWith('q_proj.weight'))!.quantized).toBe(true);
    }
  });

  it('names lm_head in the skip lists of a tied-head checkpoint, and says --include-embeddings found no head', async () => {
    const src = mixtral(false);
    const out = join(tmp('tied'), 'q');
    const r = await q(src, out, { format: 'nf4', includeEmbeddings: true });
    expect(config(out).quantization_config.llm_int8_skip_modules).toContain('lm_head');
    expect(r.notes.some((n) => /--include-embeddings quantized nothing: the checkpoint has no output head tensor/.test(n))).toBe(true);
    const fp8 = join(tmp('tied8'), 'q');
    await q(src, fp8, { format: 'fp8' });
    expect(config(fp8).quantization_config.ignore).toContain('lm_head');
  });

  it('marks a quantized head in GPTQ configs (vLLM reads lm_head, default false)', async () => {
    const src = mixtral();
    const out = join(tmp('gh'), 'q');
    await q(src, out, { format: 'int4', includeEmbeddings: true });
    expect(config(out).quantization_config.lm_head).toBe(true);
    const plain = join(tmp('gh2'), 'q');
    await q(src, plain, { format: 'int4' });
    expect(config(plain).quantization_config.lm_head).toBeUndefined();
  });

  it('keeps a weight whose FP16 scales would underflow or overflow, where the layout stores scales in FP16', async () => {
    const dir = tmp('scales');
    const f32 = (out: number, inF: number, f: (i: number) => number) => {
      const b = new Uint8Array(4 * out * inF);
      const dv = new DataView(b.buffer);
      for (let i = 0; i < out * inF; i++) dv.setFloat32(4 * i, f(i), true);
      return b;
    };
    writeSafetensors(join(dir, 'model.safetensors'), [
      w('model.layers.0.mlp.down_proj.weight', 128, 256, 1e-5), // |x| <= 5e-7: FP16 scales round to nothing
      w('model.layers.0.mlp.up_proj.weight', 256, 128), // ordinary
      { name: 'model.layers.0.self_attn.o_proj.weight', dtype: 'F32', shape: [128, 128], data: f32(128, 128, (i) => (i === 7 ? 3e38 : rnd())) },
    ]);
    writeFileSync(join(dir, 'config.json'), '{"model_type": "llama"}');
    const r = await q(dir, join(tmp('s8'), 'q'), { format: 'int8' });
    const note = (n: string) => r.tensors.find((t) => t.name.includes(n))!;
    expect(note('down_proj').quantized).toBe(false);
    expect(note('down_proj').note).toMatch(/so small .* FP16 scales would round away/);
    expect(note('o_proj').quantized).toBe(false);
    expect(note('o_proj').note).toMatch(/beyond FP16's largest value 65504/);
    expect(note('up_proj').quantized).toBe(true);
    // compressed-tensors keeps a BF16 weight's scales in BF16: the small weight quantizes, with a small error
    const ct = await q(dir, join(tmp('sct'), 'q'), { format: 'int8', layout: 'compressed-tensors' });
    const small = ct.tensors.find((t) => t.name.includes('down_proj'))!;
    expect(small.quantized).toBe(true);
    expect(small.rmse!).toBeLessThan(0.01); // relative RMSE
    expect(r.tensors.find((t) => t.name.includes('up_proj'))!.rmse!).toBeLessThan(0.01);
  });
});

describe('what is a router', () => {
  const t = (name: string, shape: number[]) => ({ name, shape, dtype: 'BF16' as const, begin: 0, end: 0 });
  it('a gate or router beside experts of the same layer, and nothing in a dense model', () => {
    const moe = [
      t('model.layers.0.block_sparse_moe.gate.weight', [8, 64]),
      t('model.layers.0.block_sparse_moe.experts.0.w1.weight', [128, 64]),
      t('model.layers.1.mlp.gate.wg.weight', [16, 64]), // HunYuan
      t('model.layers.1.mlp.experts.3.up_proj.weight', [128, 64]),
      t('encoder.block.1.layer.1.mlp.router.classifier.weight', [8, 64]), // Switch
      t('encoder.block.1.layer.1.mlp.experts.expert_0.wi.weight', [128, 64]),
    ];
    const layers = moeLayers(moe);
    expect(moe.map((x) => tensorRole(x, layers))).toEqual(['router', 'expert', 'router', 'expert', 'router', 'expert']);
    // RWKV's attention gate and a dense model's mlp.gate are linear layers: no experts beside them
    const dense = [t('rwkv.blocks.0.attention.gate.weight', [768, 768]), t('model.layers.0.mlp.gate.weight', [64, 4096])];
    expect(dense.map((x) => tensorRole(x, moeLayers(dense)))).toEqual(['linear', 'linear']);
  });

  it('GPTQ names a kept layer of experts by the prefix vLLM asks about (get_moe_quant_method)', async () => {
    const dir = tmp('moegptq');
    const p = 'model.layers.0.block_sparse_moe';
    writeSafetensors(join(dir, 'model.safetensors'), [
      w('model.layers.0.self_attn.o_proj.weight', 128, 128),
      w(`${p}.gate.weight`, 2, 128),
      ...[0, 1].flatMap((e) => [
        w(`${p}.experts.${e}.w1.weight`, 96, 128),
        w(`${p}.experts.${e}.w2.weight`, 128, 96),
        w(`${p}.experts.${e}.w3.weight`, 96, 128),
      ]),
    ]);
    writeFileSync(join(dir, 'config.json'), '{"model_type": "mixtral"}');
    const out = join(tmp('mg'), 'q');
    const r = await q(dir, out, { format: 'int4' });
    // w2's input dimension 96 is not a multiple of the group size: every expert of the layer is kept with it
    expect(r.tensors.filter((x) => x.name.includes('.experts.')).every((x) => !x.quantized)).toBe(true);
    const rules = Object.keys(config(out).quantization_config.dynamic);
    const matches = (m: string) => rules.some((rule) => new RegExp(`^(?:${rule.slice(2)})`).test(m));
    expect(matches(`${p}.experts`)).toBe(true);
    expect(matches(`${p}.experts.0.w1`)).toBe(true);
    expect(matches('model.layers.0.self_attn.o_proj')).toBe(false);
    expect(rules.some((rule) => rule.includes('gate_up_proj'))).toBe(false);
  });
});

describe('mixed precision on a mixture of experts', () => {
  it('gives all experts of a layer one format (vLLM fuses them) and never quantizes the router', async () => {
    const src = mixtral();
    for (const budget of [0.45, 0.6, 0.75]) {
      const out = join(tmp('mm'), 'q');
      const full = 2 * (64 * 128 * 2 + 128 * 128 * 2 + 64 * 128 * 2 + 2 * 128 + 6 * 256 * 128);
      const r = await mixedPrecision(src, out, Math.round(full * budget), { workers: 1 });
      const formats = new Set(r.tensors.filter((t) => t.name.includes('.experts.')).map((t) => t.format));
      expect(formats.size, `budget ${budget}: ${[...formats].join(', ')}`).toBe(1);
      // the router is no candidate: it is written as it was, and the config tells loaders so
      expect(r.tensors.find((t) => t.name.endsWith('block_sparse_moe.gate.weight'))?.format ?? 'keep').toBe('keep');
      expect(config(out).quantization_config.ignore).toContain('model.layers.0.block_sparse_moe.gate');
    }
  });

  it('a budget below the smallest file says how small it can be, headers computed as for any plan', async () => {
    const src = mixtral();
    const err = await mixedPrecision(src, join(tmp('mb'), 'q'), 1000, { workers: 1 }).catch((e: Error) => e.message);
    const m = /can be with these formats: (\d+) bytes, (\d+) of tensors .* and (\d+) of file headers/.exec(String(err));
    expect(m, String(err)).not.toBeNull();
    const [total, tensors, headers] = [Number(m![1]), Number(m![2]), Number(m![3])];
    expect(headers).toBeGreaterThan(100);
    expect(total).toBe(tensors + headers);
    // that smallest size is a budget it meets
    const ok = await mixedPrecision(src, join(tmp('mb2'), 'q'), total, { workers: 1 });
    expect(ok.bytesOut).toBeLessThanOrEqual(total);
  });
});
