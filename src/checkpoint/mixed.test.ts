import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { f32ToBf16 } from '../quant/dtypes.js';
import { allocate, familyOf, mixedPrecision, parseBytes, type Option } from './mixed.js';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from './safetensors.js';

const opt = (format: Option['format'], bytes: number, distortion: number): Option => ({ format, bytes, distortion });

describe('bit allocation under a budget', () => {
  it('spends the budget where it saves the most error (exact)', () => {
    const options = [
      [opt('keep', 100, 0), opt('nf4', 30, 50)],
      [opt('keep', 100, 0), opt('nf4', 30, 5)],
    ];
    const a = allocate(options, 140)!;
    expect(a.exact).toBe(true);
    expect(a.choice).toEqual([0, 1]); // keep the sensitive tensor, quantize the tolerant one
    expect(allocate(options, 50)).toBeNull();
  });

  it('the Lagrangian solution on large problems is feasible and close to exact (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 10, max: 100 }), fc.double({ min: 0, max: 10, noNaN: true })), { minLength: 9, maxLength: 9 }),
        fc.double({ min: 0.3, max: 0.9, noNaN: true }),
        (items, frac) => {
          const options = items.map(([b, s]) => [
            opt('keep', 4 * b, 0),
            opt('int8', 2 * b, s * 0.01 * b),
            opt('nf4', b, s * b),
            opt('int4', b * 0.9, s * 1.4 * b),
          ]);
          const full = options.reduce((t, o) => t + o[0]!.bytes, 0);
          const budget = full * frac;
          const exact = allocate(options, budget); // 4^9 = 262144 > 200000: heuristic path
          if (!exact) return true;
          const small = allocate(options.slice(0, 8), budget); // exact path on 8 items
          return exact.bytes <= budget + 1e-9 && (small === null || small.bytes <= budget + 1e-9);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('parses byte budgets', () => {
    expect(parseBytes('40GB')).toBe(40e9);
    expect(parseBytes('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes('500 MB')).toBe(500e6);
    expect(parseBytes('123')).toBe(123);
    expect(parseBytes('lots')).toBeNull();
  });
});

describe('mixed precision end to end', () => {
  const bf16 = (n: number, scale: number, seed: number) => {
    let s = seed;
    const b = new Uint8Array(2 * n);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32ToBf16(((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5) * scale), true);
    return b;
  };
  function model(): string {
    const dir = mkdtempSync(join(tmpdir(), 'sinan-mixsrc-'));
    const t = (name: string, out: number, inF: number, k: number): TensorToWrite => ({
      name,
      dtype: 'BF16',
      shape: [out, inF],
      data: bf16(out * inF, 0.05 * k, k),
    });
    writeSafetensors(join(dir, 'model.safetensors'), [
      t('model.embed_tokens.weight', 64, 128, 1),
      t('model.layers.0.self_attn.q_proj.weight', 128, 128, 2),
      t('model.layers.0.self_attn.k_proj.weight', 64, 128, 3),
      t('model.layers.0.self_attn.v_proj.weight', 64, 128, 4),
      t('model.layers.0.mlp.gate_proj.weight', 256, 128, 5),
      t('model.layers.0.mlp.up_proj.weight', 256, 128, 6),
      t('model.layers.0.mlp.down_proj.weight', 128, 256, 7),
      { name: 'model.layers.0.input_layernorm.weight', dtype: 'BF16', shape: [128], data: bf16(128, 1, 9) },
      t('lm_head.weight', 64, 128, 8),
    ]);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama' }));
    return dir;
  }

  it('fits the budget, gives fused projections one format, and writes a compressed-tensors config describing every group', async () => {
    const src = model();
    const out = join(mkdtempSync(join(tmpdir(), 'sinan-mix-')), 'q');
    const full = await mixedPrecision(src, join(mkdtempSync(join(tmpdir(), 'sinan-mix0-')), 'q'), 1e9, { workers: 1 });
    expect(full.tensors.every((t) => t.format === 'keep')).toBe(true);
    const budget = full.bytesIn * 0.6;
    const r = await mixedPrecision(src, out, budget, { workers: 1, candidates: ['keep', 'fp8-channel', 'int8', 'int4'] });
    expect(r.bytesOut).toBeLessThanOrEqual(budget);
    // the budget is the weight file itself, header included
    expect(statSync(join(out, 'model.safetensors')).size).toBe(r.bytesOut);
    expect(r.loader).toMatch(/compressed-tensors/);
    const fmt = (n: string) => r.tensors.find((t) => t.name === `model.layers.0.${n}.weight`)!.format;
    expect(new Set([fmt('self_attn.q_proj'), fmt('self_attn.k_proj'), fmt('self_attn.v_proj')]).size).toBe(1);
    expect(fmt('mlp.gate_proj')).toBe(fmt('mlp.up_proj'));
    const qc = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).quantization_config;
    expect(qc.quant_method).toBe('compressed-tensors');
    const groups = Object.values(qc.config_groups) as { targets: string[]; format: string; weights: { num_bits: number; type: string } }[];
    for (const t of r.tensors) {
      const module = t.name.slice(0, -'.weight'.length);
      const g = groups.filter((x) => x.targets.includes(module));
      if (t.format === 'keep') {
        expect(g).toHaveLength(0);
        expect(qc.ignore).toContain(module);
      } else {
        expect(g).toHaveLength(1);
        expect(g[0]!.format).toBe(t.format.startsWith('fp8') ? 'float-quantized' : 'pack-quantized');
      }
    }
    expect(qc.ignore).toContain('lm_head');
    expect(qc.format).toBe(new Set(groups.map((x) => x.format)).size > 1 ? 'mixed-precision' : groups[0]!.format);
    // the file holds what the plan says, under compressed-tensors names
    const f = new SafetensorsFile(join(out, 'model.safetensors'));
    for (const t of r.tensors) {
      const m = t.name.slice(0, -'.weight'.length);
      if (t.format === 'int4' || t.format === 'int8') expect(f.info(`${m}.weight_packed`)).toBeDefined();
      if (t.format === 'fp8-channel') expect(f.info(`${m}.weight`)!.dtype).toBe('F8_E4M3');
      if (t.format === 'keep') expect(f.info(`${m}.weight`)!.dtype).toBe('BF16');
    }
    f.close();
  });

  it("a budget of exactly the tensors' bytes: the file, header and all, still fits (something is quantized to make room)", async () => {
    const src = model();
    const full = await mixedPrecision(src, join(mkdtempSync(join(tmpdir(), 'sinan-mix1-')), 'q'), 1e9, { workers: 1 });
    const out = join(mkdtempSync(join(tmpdir(), 'sinan-mix2-')), 'q');
    const r = await mixedPrecision(src, out, full.bytesIn, { workers: 1, candidates: ['keep', 'fp8-channel', 'int8', 'int4'] });
    const onDisk = statSync(join(out, 'model.safetensors')).size;
    expect(onDisk).toBe(r.bytesOut);
    expect(onDisk).toBeLessThanOrEqual(full.bytesIn);
    expect(r.tensors.some((t) => t.format !== 'keep')).toBe(true);
  });

  it('refuses combinations no loader reads, naming the ones that load', async () => {
    await expect(mixedPrecision(model(), join(tmpdir(), 'never'), 1e6, { candidates: ['keep', 'nf4', 'int4'] })).rejects.toThrow(
      /no loader reads nf4 \+ int4 tensors in one checkpoint. Loadable choices: keep,fp8,fp8-channel,int8,int4/,
    );
    expect(() => familyOf(['keep', 'nf4', 'nf4-dq'])).toThrow(/no loader reads/);
    expect(familyOf(['keep', 'nf4'])).toBe('bitsandbytes');
    expect(familyOf(['keep', 'fp8', 'int4'])).toBe('compressed-tensors');
  });

  it('writes bitsandbytes NF4 with exactly the kept modules in llm_int8_skip_modules', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sinan-mixbnb-')), 'q');
    const src = model();
    const full = await mixedPrecision(src, join(mkdtempSync(join(tmpdir(), 'sinan-mixbnb0-')), 'q'), 1e9, { workers: 1, candidates: ['keep', 'nf4'] });
    const r = await mixedPrecision(src, out, full.bytesIn * 0.7, { workers: 1, candidates: ['keep', 'nf4'] });
    const qc = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).quantization_config;
    const kept = r.tensors.filter((t) => t.format === 'keep').map((t) => t.name.slice(0, -'.weight'.length));
    expect(qc.llm_int8_skip_modules.sort()).toEqual([...kept, 'lm_head'].sort());
    expect(r.tensors.some((t) => t.format === 'nf4')).toBe(true);
  });

  it('keeps a tensor with NaN or infinity, with a note', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinan-mixnan-'));
    const data = bf16(64 * 128, 0.1, 3);
    data.set([0xc0, 0x7f], 10); // NaN
    writeSafetensors(join(dir, 'model.safetensors'), [
      { name: 'layers.0.mlp.up_proj.weight', dtype: 'BF16', shape: [64, 128], data },
      { name: 'layers.0.mlp.down_proj.weight', dtype: 'BF16', shape: [128, 64], data: bf16(64 * 128, 0.1, 4) },
    ]);
    const r = await mixedPrecision(dir, join(mkdtempSync(join(tmpdir(), 'sinan-mixnan2-')), 'q'), 26_000, { workers: 1, candidates: ['keep', 'fp8'] });
    expect(r.tensors.find((t) => t.name === 'layers.0.mlp.up_proj.weight')!.format).toBe('keep');
    expect(r.notes.join()).toMatch(/layers.0.mlp.up_proj.weight: kept in BF16: it holds a NaN or infinity/);
    expect(r.tensors.find((t) => t.name === 'layers.0.mlp.down_proj.weight')!.format).toBe('fp8');
  });
});
