import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dequantize4bit, doubleDequantize, dynamicMap, NF4_CODE } from './bnb.js';
import { quantStateJson, quantizeCheckpoint } from './convert.js';
import { f32ToBf16, toFloat32 } from './dtypes.js';
import { inspectCheckpoint } from './inspect.js';
import { SafetensorsFile, writeSafetensors } from './safetensors.js';

function tinyModel(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sinan-model-'));
  let s = 3;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5) * 0.1;
  const bf16 = (n: number) => {
    const b = new Uint8Array(2 * n);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32ToBf16(rnd()), true);
    return b;
  };
  writeSafetensors(join(dir, 'model.safetensors'), [
    { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [64, 32], data: bf16(64 * 32) },
    { name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'BF16', shape: [32, 32], data: bf16(32 * 32) },
    { name: 'model.layers.0.mlp.up_proj.weight', dtype: 'BF16', shape: [64, 32], data: bf16(64 * 32) },
    { name: 'model.layers.0.input_layernorm.weight', dtype: 'BF16', shape: [32], data: bf16(32) },
    { name: 'lm_head.weight', dtype: 'BF16', shape: [64, 32], data: bf16(64 * 32) },
  ]);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 32 }));
  return dir;
}

describe('quantizing a checkpoint', () => {
  it('writes NF4 + double quant under the names and metadata bitsandbytes / transformers load', () => {
    const src = tinyModel();
    const out = mkdtempSync(join(tmpdir(), 'sinan-out-'));
    const r = quantizeCheckpoint(src, out, { format: 'nf4', doubleQuant: true });
    expect(
      r.tensors
        .filter((t) => t.quantized)
        .map((t) => t.name)
        .sort(),
    ).toEqual(['model.layers.0.mlp.up_proj.weight', 'model.layers.0.self_attn.q_proj.weight']);
    const f = new SafetensorsFile(join(out, 'model.safetensors'));
    const b = 'model.layers.0.mlp.up_proj.weight';
    expect(f.info(b)).toMatchObject({ dtype: 'U8', shape: [1024, 1] });
    expect(f.info(`${b}.absmax`)).toMatchObject({ dtype: 'U8', shape: [32] });
    expect(f.info(`${b}.nested_absmax`)).toMatchObject({ dtype: 'F32', shape: [1] });
    expect(f.info(`${b}.nested_quant_map`)).toMatchObject({ dtype: 'F32', shape: [256] });
    expect(f.info(`${b}.quant_map`)).toMatchObject({ dtype: 'F32', shape: [16] });
    const state = JSON.parse(Buffer.from(f.read(`${b}.quant_state.bitsandbytes__nf4`)).toString('utf8'));
    expect(state).toMatchObject({ quant_type: 'nf4', blocksize: 64, dtype: 'bfloat16', shape: [64, 32], nested_blocksize: 256, nested_dtype: 'float32' });
    // dequantize from the file alone and compare with the source
    const codes = f.read(`${b}.absmax`);
    const nested = toFloat32(f.read(`${b}.nested_absmax`), 'F32');
    const absmax = doubleDequantize({ codes, nestedAbsmax: nested, offset: state.nested_offset, nestedBlocksize: 256 });
    const y = dequantize4bit(f.read(b), absmax, 64 * 32);
    const srcFile = new SafetensorsFile(join(src, 'model.safetensors'));
    const x = toFloat32(srcFile.read(b), 'BF16');
    let e = 0;
    let s = 0;
    for (let i = 0; i < x.length; i++) {
      e += (x[i]! - y[i]!) ** 2;
      s += x[i]! ** 2;
    }
    expect(Math.sqrt(e / s)).toBeLessThan(0.12);
    expect(toFloat32(f.read(`${b}.quant_map`), 'F32')).toEqual(NF4_CODE);
    expect(toFloat32(f.read(`${b}.nested_quant_map`), 'F32')).toEqual(dynamicMap());
    // untouched tensors are copied byte for byte
    expect(Buffer.from(f.read('lm_head.weight')).equals(Buffer.from(srcFile.read('lm_head.weight')))).toBe(true);
    f.close();
    srcFile.close();
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg.quantization_config).toMatchObject({
      quant_method: 'bitsandbytes',
      load_in_4bit: true,
      bnb_4bit_quant_type: 'nf4',
      bnb_4bit_use_double_quant: true,
    });
    expect(r.bytesOut).toBeLessThan(r.bytesIn);
  });

  it('writes the quant_state JSON with Python separators and key order', () => {
    expect(quantStateJson('nf4', 64, 'bfloat16', [4096, 4096], 0.02)).toBe(
      '{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [4096, 4096], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.02}',
    );
    expect(quantStateJson('fp4', 64, 'float16', [8, 8], null)).toBe('{"quant_type": "fp4", "blocksize": 64, "dtype": "float16", "shape": [8, 8]}');
  });

  it('writes GPTQ INT4 and DeepSeek-style FP8 block tensors', () => {
    const src = tinyModel();
    const g = quantizeCheckpoint(src, join(mkdtempSync(join(tmpdir(), 'sinan-g-')), 'm.safetensors'), { format: 'int4', groupSize: 32 });
    const gf = new SafetensorsFile(g.output);
    expect(gf.info('model.layers.0.mlp.up_proj.qweight')).toMatchObject({ dtype: 'I32', shape: [4, 64] });
    expect(gf.info('model.layers.0.mlp.up_proj.scales')).toMatchObject({ dtype: 'F16', shape: [1, 64] });
    expect(gf.info('model.layers.0.mlp.up_proj.qzeros')).toMatchObject({ dtype: 'I32', shape: [1, 8] });
    gf.close();
    const fp = quantizeCheckpoint(src, join(mkdtempSync(join(tmpdir(), 'sinan-f-')), 'm.safetensors'), { format: 'fp8-block' });
    const ff = new SafetensorsFile(fp.output);
    expect(ff.info('model.layers.0.mlp.up_proj.weight')).toMatchObject({ dtype: 'F8_E4M3', shape: [64, 32] });
    expect(ff.info('model.layers.0.mlp.up_proj.weight_scale_inv')).toMatchObject({ dtype: 'F32', shape: [1, 1] });
    ff.close();
    for (const t of fp.tensors.filter((x) => x.quantized)) expect(t.rmse!).toBeLessThan(0.05);
  });

  it('inspects headers without reading data', () => {
    const r = inspectCheckpoint(tinyModel());
    expect(r.tensors).toHaveLength(5);
    expect(r.parameters).toBe(64 * 32 * 3 + 32 * 32 + 32);
    expect(r.byDtype[0]).toMatchObject({ dtype: 'BF16', tensors: 5 });
  });
});

describe('mixed precision end to end', () => {
  it('fits the budget, keeps embeddings and head, and prefers precision where it is affordable', async () => {
    const { mixedPrecision } = await import('./mixed.js');
    const src = tinyModel();
    const out = mkdtempSync(join(tmpdir(), 'sinan-mix-'));
    const full = mixedPrecision(src, out, 1e9);
    expect(full.tensors.every((t) => t.format === 'keep')).toBe(true);
    const tight = mixedPrecision(src, out, full.bytesIn * 0.8);
    expect(tight.bytesOut).toBeLessThanOrEqual(full.bytesIn * 0.8);
    expect(tight.tensors.some((t) => t.format !== 'keep')).toBe(true);
    expect(tight.exact).toBe(true);
    const f = new SafetensorsFile(tight.output);
    expect(f.info('lm_head.weight')!.dtype).toBe('BF16');
    expect(JSON.parse(f.header.metadata.sinan_mixed_plan!)).toMatchObject(Object.fromEntries(tight.tensors.map((t) => [t.name, t.format])));
    f.close();
    expect(() => mixedPrecision(src, out, 1000)).toThrow(/below the smallest/);
  });
});

describe('parallel quantization (worker threads, built CLI)', () => {
  it('shards the output over workers with a Hugging Face index that loads as one checkpoint', async () => {
    const { existsSync } = await import('node:fs');
    const { execFileSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const root = fileURLToPath(new URL('../..', import.meta.url));
    expect(existsSync(join(root, 'dist/quant/worker.js'))).toBe(true); // npm ci / npm run build produce it
    const src = tinyModel();
    const out = join(mkdtempSync(join(tmpdir(), 'sinan-par-')), 'q');
    const json = execFileSync(process.execPath, [join(root, 'bin/sinan.js'), 'quantize', src, out, '--format', 'nf4', '--workers', '2', '--json'], {
      encoding: 'utf8',
    });
    const r = JSON.parse(json);
    expect(r.output).toMatch(/model\.safetensors\.index\.json$/);
    expect(r.quantizedParameters).toBe(64 * 32 + 32 * 32);
    const index = JSON.parse(readFileSync(join(out, 'model.safetensors.index.json'), 'utf8'));
    expect(new Set(Object.values(index.weight_map)).size).toBe(2);
    const serial = quantizeCheckpoint(src, join(mkdtempSync(join(tmpdir(), 'sinan-ser-')), 'm.safetensors'), { format: 'nf4' });
    const { Checkpoint } = await import('./safetensors.js');
    const par = new Checkpoint(out);
    const ser = new SafetensorsFile(serial.output);
    for (const t of ser.tensors) expect(Buffer.from(par.read(t.name)).equals(Buffer.from(ser.read(t.name)))).toBe(true);
    par.close();
    ser.close();
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).quantization_config.quant_method).toBe('bitsandbytes');
  });
});
