import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { weightFormat } from '../formats/weights.js';
import { dequantize4bit, doubleDequantize, dynamicMap, NF4_CODE } from '../quant/bnb.js';
import { f32ToBf16, toFloat32 } from '../quant/dtypes.js';
import { quantizeCheckpoint, type QuantizeOptions } from './convert.js';
import { CheckpointError } from './errors.js';
import { inspectCheckpoint } from './inspect.js';
import { Checkpoint, SafetensorsFile, writeSafetensors, type TensorToWrite } from './safetensors.js';

let seed = 3;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5) * 0.1;
const bf16 = (n: number, f: () => number = rnd) => {
  const b = new Uint8Array(2 * n);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32ToBf16(f()), true);
  return b;
};
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `sinan-${p}-`));

function model(extra: TensorToWrite[] = []): string {
  const dir = tmp('model');
  writeSafetensors(join(dir, 'model.safetensors'), [
    { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [64, 128], data: bf16(64 * 128) },
    { name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'BF16', shape: [128, 128], data: bf16(128 * 128) },
    { name: 'model.layers.0.mlp.up_proj.weight', dtype: 'BF16', shape: [256, 128], data: bf16(256 * 128) },
    { name: 'model.layers.0.mlp.down_proj.weight', dtype: 'BF16', shape: [128, 256], data: bf16(256 * 128) },
    { name: 'model.layers.0.input_layernorm.weight', dtype: 'BF16', shape: [128], data: bf16(128) },
    { name: 'lm_head.weight', dtype: 'BF16', shape: [64, 128], data: bf16(64 * 128) },
    ...extra,
  ]);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 128 }));
  writeFileSync(join(dir, 'tokenizer.json'), '{"version":"1.0"}');
  return dir;
}

const q = (input: string, output: string, o: Partial<QuantizeOptions> = {}) => quantizeCheckpoint(input, output, { format: 'nf4', workers: 1, ...o });
const config = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).quantization_config;

describe('quantizing a checkpoint', () => {
  it('writes NF4 + double quant under the names bitsandbytes / transformers load, dequantizable from the file alone', async () => {
    const src = model();
    const out = join(tmp('out'), 'q');
    const r = await q(src, out, { doubleQuant: true });
    expect(r.tensors.filter((t) => t.quantized).map((t) => t.name)).toEqual([
      'model.layers.0.self_attn.q_proj.weight',
      'model.layers.0.mlp.up_proj.weight',
      'model.layers.0.mlp.down_proj.weight',
    ]);
    const f = new SafetensorsFile(join(out, 'model.safetensors'));
    const b = 'model.layers.0.mlp.up_proj.weight';
    expect(f.info(b)).toMatchObject({ dtype: 'U8', shape: [16384, 1] });
    expect(f.info(`${b}.absmax`)).toMatchObject({ dtype: 'U8', shape: [512] });
    expect(f.info(`${b}.nested_absmax`)).toMatchObject({ dtype: 'F32', shape: [2] });
    const state = JSON.parse(Buffer.from(f.read(`${b}.quant_state.bitsandbytes__nf4`)).toString('utf8'));
    expect(state).toMatchObject({ quant_type: 'nf4', blocksize: 64, dtype: 'bfloat16', shape: [256, 128], nested_blocksize: 256, nested_dtype: 'float32' });
    const absmax = doubleDequantize({
      codes: f.read(`${b}.absmax`),
      nestedAbsmax: toFloat32(f.read(`${b}.nested_absmax`), 'F32'),
      offset: state.nested_offset,
      nestedBlocksize: 256,
    });
    const y = dequantize4bit(f.read(b), absmax, 256 * 128);
    const ck = new SafetensorsFile(join(src, 'model.safetensors'));
    const x = toFloat32(ck.read(b), 'BF16');
    let e = 0;
    let s = 0;
    for (let i = 0; i < x.length; i++) {
      e += (x[i]! - y[i]!) ** 2;
      s += x[i]! ** 2;
    }
    expect(Math.sqrt(e / s)).toBeLessThan(0.12);
    expect(toFloat32(f.read(`${b}.quant_map`), 'F32')).toEqual(NF4_CODE);
    expect(toFloat32(f.read(`${b}.nested_quant_map`), 'F32')).toEqual(dynamicMap());
    expect(Buffer.from(f.read('lm_head.weight')).equals(Buffer.from(ck.read('lm_head.weight')))).toBe(true);
    f.close();
    ck.close();
    expect(config(out)).toMatchObject({
      quant_method: 'bitsandbytes',
      load_in_4bit: true,
      bnb_4bit_quant_type: 'nf4',
      bnb_4bit_use_double_quant: true,
      llm_int8_skip_modules: ['lm_head'],
    });
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
  });

  it.each<[string, Partial<QuantizeOptions>]>([
    ['nf4', {}],
    ['nf4 + double quant', { doubleQuant: true }],
    ['fp4 block 128', { format: 'fp4', blocksize: 128 }],
    ['int4 (GPTQ)', { format: 'int4' }],
    ['int8 (GPTQ) asym', { format: 'int8', sym: false }],
    ['int4 (compressed-tensors) asym', { format: 'int4', layout: 'compressed-tensors', sym: false }],
    ['fp8', { format: 'fp8' }],
    ['fp8-channel', { format: 'fp8-channel' }],
    ['fp8-block', { format: 'fp8-block' }],
  ])('%s: every tensor in the file has the size the format registry gives', async (_name, o) => {
    const out = join(tmp('reg'), 'q');
    const r = await q(model(), out, o);
    const f = new SafetensorsFile(join(out, 'model.safetensors'));
    for (const t of r.tensors.filter((x) => x.quantized)) {
      const module = t.name.slice(0, -'.weight'.length);
      const state = f.info(`${module}.weight.quant_state.bitsandbytes__${o.format ?? 'nf4'}`);
      const nestedOffset = state ? JSON.parse(Buffer.from(f.read(state.name)).toString()).nested_offset : undefined;
      const reg = weightFormat(t.format!)!.tensors(t.shape[0]!, t.shape[1]!, {
        blocksize: o.blocksize ?? 64,
        groupSize: 128,
        sym: o.sym ?? true,
        layout: o.layout ?? 'gptq',
        sourceDtype: 'BF16',
        nestedOffset,
      });
      for (const s of reg) {
        const info = f.info(`${module}.${s.suffix}`)!;
        expect(info, `${module}.${s.suffix}`).toBeDefined();
        expect({ dtype: info.dtype, shape: info.shape, bytes: info.end - info.begin }).toEqual({ dtype: s.dtype, shape: s.shape, bytes: s.bytes });
      }
      expect(t.bytesOut).toBe(reg.reduce((a, b) => a + b.bytes, 0));
    }
    f.close();
  });

  it('writes FP8 per tensor and per channel as compressed-tensors (weight + weight_scale in the weight dtype), DeepSeek blocks as weight_scale_inv', async () => {
    const src = model();
    const t = join(tmp('fp8'), 'q');
    await q(src, t, { format: 'fp8' });
    const f = new SafetensorsFile(join(t, 'model.safetensors'));
    expect(f.info('model.layers.0.mlp.up_proj.weight')).toMatchObject({ dtype: 'F8_E4M3', shape: [256, 128] });
    expect(f.info('model.layers.0.mlp.up_proj.weight_scale')).toMatchObject({ dtype: 'BF16', shape: [1] });
    f.close();
    expect(config(t)).toMatchObject({
      quant_method: 'compressed-tensors',
      format: 'float-quantized',
      ignore: ['lm_head'],
      config_groups: {
        group_0: {
          targets: ['Linear'],
          weights: { num_bits: 8, type: 'float', strategy: 'tensor', symmetric: true, dynamic: false },
          input_activations: { num_bits: 8, type: 'float', strategy: 'token', dynamic: true },
          format: 'float-quantized',
        },
      },
    });
    const c = join(tmp('fp8c'), 'q');
    await q(src, c, { format: 'fp8-channel' });
    const g = new SafetensorsFile(join(c, 'model.safetensors'));
    expect(g.info('model.layers.0.mlp.up_proj.weight_scale')).toMatchObject({ dtype: 'BF16', shape: [256, 1] });
    g.close();
    expect(config(c).config_groups.group_0.weights.strategy).toBe('channel');
    const b = join(tmp('fp8b'), 'q');
    await q(src, b, { format: 'fp8-block' });
    expect(config(b)).toEqual({
      quant_method: 'fp8',
      fmt: 'e4m3',
      activation_scheme: 'dynamic',
      weight_block_size: [128, 128],
      modules_to_not_convert: ['lm_head'],
    });
  });

  it('refuses E5M2 weights: no loader reads them correctly', async () => {
    await expect(q(model(), join(tmp('e5'), 'q'), { format: 'fp8-e5m2' })).rejects.toThrow(/E5M2 weights are not written: no loader reads them/);
  });

  it('keeps a weight GPTQ cannot pack in its source precision with a note, instead of failing the run', async () => {
    const src = model([{ name: 'model.layers.0.self_attn.k_proj.weight', dtype: 'BF16', shape: [100, 128], data: bf16(100 * 128) }]);
    const out = join(tmp('gptq'), 'q');
    const r = await q(src, out, { format: 'int4' });
    const k = r.tensors.find((t) => t.name === 'model.layers.0.self_attn.k_proj.weight')!;
    expect(k.quantized).toBe(false);
    expect(k.note).toMatch(/output dimension 100 is not a multiple of 8/);
    // q_proj could be packed, but vLLM loads q/k/v as one layer in one format: it is kept with k_proj
    const qp = r.tensors.find((t) => t.name === 'model.layers.0.self_attn.q_proj.weight')!;
    expect(qp.quantized).toBe(false);
    expect(qp.note).toMatch(/fused layer qkv_proj with model\.layers\.0\.self_attn\.k_proj\.weight/);
    expect(r.tensors.find((t) => t.name === 'model.layers.0.mlp.down_proj.weight')!.quantized).toBe(true);
    // the kept layers, under their own and their fused names, are GPTQ "dynamic" skip rules (vLLM's get_dynamic_override)
    const rules = Object.keys(config(out).dynamic);
    for (const m of ['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.k_proj', 'model.layers.0.self_attn.qkv_proj'])
      expect(rules.some((rule) => rule.startsWith('-:') && new RegExp(`^(?:${rule.slice(2)})`).test(m))).toBe(true);
    for (const m of ['model.layers.0.mlp.down_proj', 'model.layers.0.self_attn.o_proj', 'model.layers.10.self_attn.k_proj'])
      expect(rules.some((rule) => new RegExp(`^(?:${rule.slice(2)})`).test(m))).toBe(false);
    expect(r.notes.some((n) => /quantization_config\.dynamic/.test(n))).toBe(true);
    // compressed-tensors packs along the input dimension only: it quantizes the weight
    const ct = await q(src, join(tmp('ct'), 'q'), { format: 'int4', layout: 'compressed-tensors' });
    expect(ct.tensors.find((t) => t.name === 'model.layers.0.self_attn.k_proj.weight')!.quantized).toBe(true);
  });

  it('keeps weights a default group size does not divide, and refuses an explicit group size that does not divide', async () => {
    const src = model([{ name: 'model.layers.0.self_attn.o_proj.weight', dtype: 'BF16', shape: [128, 96], data: bf16(128 * 96) }]);
    const r = await q(src, join(tmp('g'), 'q'), { format: 'int8' });
    expect(r.tensors.find((t) => t.name.includes('o_proj'))!.note).toMatch(/group size 128 does not divide the input dimension 96/);
    await expect(q(src, join(tmp('g2'), 'q'), { format: 'int8', groupSize: 64, groupSizeExplicit: true })).rejects.toThrow(
      /--group-size 64 does not divide the input dimension of 1 weight/,
    );
    const ok = await q(src, join(tmp('g3'), 'q'), { format: 'int8', groupSize: 32, groupSizeExplicit: true });
    expect(ok.tensors.find((t) => t.name.includes('o_proj'))!.quantized).toBe(true);
  });

  it('describes the files in the config: --include-embeddings quantizes the head, and the skip list then leaves it out', async () => {
    const out = join(tmp('emb'), 'q');
    const r = await q(model(), out, { includeEmbeddings: true });
    expect(r.tensors.find((t) => t.name === 'lm_head.weight')!.quantized).toBe(true);
    expect(r.tensors.find((t) => t.name === 'model.embed_tokens.weight')!.quantized).toBe(false);
    expect(config(out).llm_int8_skip_modules).toEqual([]);
  });

  it('shards by size, independent of the worker count', async () => {
    const src = model();
    const a = join(tmp('s1'), 'q');
    const r = await q(src, a, { format: 'int8', shardBytes: 40_000 });
    expect(r.files.length).toBeGreaterThan(2);
    const index = JSON.parse(readFileSync(join(a, 'model.safetensors.index.json'), 'utf8'));
    expect(new Set(Object.values(index.weight_map)).size).toBe(r.files.length);
    for (const f of r.files) {
      const sf = new SafetensorsFile(join(a, f));
      const data = sf.header.fileSize - sf.header.dataStart;
      // every shard holds at most the shard size, unless one tensor alone is larger
      expect(data <= 40_000 || sf.tensors.length === 1).toBe(true);
      sf.close();
    }
    expect(index.metadata.total_size).toBe(r.bytesOut);
    const b = join(tmp('s2'), 'q');
    await q(src, b, { format: 'int8', shardBytes: 40_000, workers: 2 });
    for (const f of r.files) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f)))).toBe(true);
    // the default shard size keeps a small model in one file, whatever the workers
    const c = await q(src, join(tmp('s3'), 'q'), { format: 'int8', workers: 2 });
    expect(c.files).toEqual(['model.safetensors']);
  });

  it('a single-file output is just that file: no config or tokenizer written beside it', async () => {
    const dir = tmp('single');
    const out = join(dir, 'q.safetensors');
    const r = await q(model(), out);
    expect(readdirSync(dir)).toEqual(['q.safetensors']);
    expect(r.notes.join()).toMatch(/carries no config.json/);
    await expect(q(model(), join(dir, 'r.safetensors'), { shardBytes: 1e6 })).rejects.toThrow(/--shard-size needs a folder output/);
  });

  it('never writes over, into or around its input, and replaces an output only with force', async () => {
    const src = model();
    await expect(q(src, join(src, 'model.safetensors'))).rejects.toThrow(/is the input/);
    await expect(q(src, src)).rejects.toThrow(/is the input folder/);
    await expect(q(src, join(src, 'sub'))).rejects.toThrow(/lies inside the input folder/);
    await expect(q(join(src, 'model.safetensors'), join(src, '..'))).rejects.toThrow(/contains the input/);
    const out = join(tmp('force'), 'q');
    await q(src, out);
    await expect(q(src, out)).rejects.toThrow(/already exists; pass --force/);
    await q(src, out, { format: 'int8', force: true });
    expect(config(out).quant_method).toBe('gptq');
    const precious = tmp('precious');
    mkdirSync(join(precious, 'photos'));
    await expect(q(src, precious, { force: true })).rejects.toThrow(/holds a folder this output does not/);
    expect(existsSync(join(precious, 'photos'))).toBe(true);
  });

  it('says why nothing was done for an already quantized checkpoint (exit 2, not "0 parameters quantized")', async () => {
    const out = join(tmp('twice'), 'q');
    await q(model(), out, { format: 'int4' });
    const e = await q(out, join(tmp('twice2'), 'q')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as CheckpointError).code).toBe('nothing_to_do');
    expect((e as Error).message).toMatch(/nothing to quantize: it was written by sinan quantize/);
    const fp8 = tmp('fp8src');
    writeSafetensors(join(fp8, 'model.safetensors'), [{ name: 'layers.0.mlp.up_proj.weight', dtype: 'F8_E4M3', shape: [4, 4], data: new Uint8Array(16) }]);
    await expect(q(fp8, join(tmp('x'), 'q'))).rejects.toThrow(/already quantized \(tensor "layers.0.mlp.up_proj.weight", F8_E4M3\)/);
  });

  it('refuses a tensor holding NaN or infinity, writing nothing', async () => {
    const dir = tmp('nan');
    const data = bf16(64 * 128);
    data.set([0x80, 0x7f], 2 * (3 * 128 + 5)); // +inf at row 3, column 5
    writeSafetensors(join(dir, 'model.safetensors'), [{ name: 'layers.0.mlp.up_proj.weight', dtype: 'BF16', shape: [64, 128], data }]);
    for (const format of ['nf4', 'fp8', 'int8'] as const) {
      const out = join(tmp('nanout'), 'q');
      await expect(q(dir, out, { format })).rejects.toThrow(/holds a NaN or infinity \(first at row 3, column 5\)/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('inspects headers without reading data', () => {
    const r = inspectCheckpoint(model());
    expect(r.tensors).toHaveLength(6);
    expect(r.parameters).toBe(64 * 128 * 2 + 128 * 128 + 256 * 128 * 2 + 128);
    expect(r.byDtype[0]).toMatchObject({ dtype: 'BF16', tensors: 6 });
  });
});

describe('parallel quantization (worker threads)', () => {
  it('gives the bytes of a single-threaded run, into one file', async () => {
    const src = model();
    const one = join(tmp('p1'), 'm.safetensors');
    const two = join(tmp('p2'), 'm.safetensors');
    await q(src, one, { format: 'nf4', doubleQuant: true, workers: 1 });
    await q(src, two, { format: 'nf4', doubleQuant: true, workers: 2 });
    expect(readFileSync(one).equals(readFileSync(two))).toBe(true);
    const ck = new Checkpoint(two);
    expect(ck.tensors.length).toBeGreaterThan(6);
    ck.close();
  });
});
