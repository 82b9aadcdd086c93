/**
 * `sinan optimize` end to end on a small real-format checkpoint (a Llama-3-style Hugging Face
 * folder: real tensor names, config.json, tokenizer.json, two safetensors shards): measured,
 * planned, and written as GGUF and as compressed-tensors into new folders, atomically, the input
 * untouched. The GGUF file is read by the real ggml library (gguf-check; skipped with a message
 * where it is absent): names, types, metadata, the bytes ggml's own quantizer makes of the same
 * rows (Q/K permuted for rotary as llama.cpp's converter does), and every value within its
 * type's bound. The compressed-tensors config is checked against the format's spec
 * (research/quant-specs.md: config_groups, targets, weights scheme, format, ignore) since the
 * Python `compressed_tensors` package is not installable here.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBound } from '../../test/gguf-bounds.js';
import { ggmlDequantize, ggmlInfo, ggmlQuantize, ggufCheckMissing, readBytes } from '../../test/gguf-check.js';
import { makeLlamaCheckpoint, type Fixture } from '../../test/gguf-fixtures.js';
import { SafetensorsFile } from '../checkpoint/safetensors.js';
import { defaultContext } from '../context/load.js';
import { nodeFiles } from '../context/node-files.js';
import { GGML_TYPE_INFO, type GgmlType } from '../gguf/ggml-types.js';
import { planGgufModel } from '../gguf/hf-model.js';
import { permuteWithinHeads } from '../gguf/plan-rows.js';
import { readScenario } from '../scenario/load.js';
import { optimizeScenario } from './run.js';
import type { Decisions, OptimizationReport } from './types.js';
import { writePlan } from './write.js';

const missing = ggufCheckMissing();
if (missing) console.warn(missing);

let dir: string;
let fx: Fixture;
let inputHash: string;
const ctx = defaultContext();

function folderHash(folder: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(folder).sort()) h.update(f).update(readFileSync(join(folder, f)));
  return h.digest('hex');
}

function scenario(engine: string, extra = ''): string {
  const p = join(dir, `s-${engine.replace(/[^a-z]/g, '')}${extra ? '-x' : ''}.yaml`);
  writeFileSync(
    p,
    [
      'kind: inference',
      'model: Llama-Tiny/config.json',
      'checkpoint: Llama-Tiny',
      'system: { accelerator: nvidia-rtx-4090, count: 1 }',
      `engine: ${engine}`,
      'workload: { inputTokens: 512, outputTokens: 128, concurrency: 1 }',
      'goal: { objective: throughput, accuracy: 0.01 }',
      extra,
    ].join('\n'),
  );
  return p;
}

const run = (path: string, out?: string, force = false) =>
  optimizeScenario(readScenario(path), {
    context: ctx,
    files: nodeFiles,
    baseDir: dir,
    workers: 1,
    ...(out ? { out } : {}),
    ...(force ? { force: true } : {}),
  });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'optimize-e2e-'));
  fx = makeLlamaCheckpoint(join(dir, 'Llama-Tiny'));
  inputHash = folderHash(fx.folder);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every tensor of a GGUF file as ggml reads it: type, bytes equal to ggml's quantizer of the same rows, values within the type's bound. */
function checkWithGgml(file: string, types: Map<string, GgmlType>): Set<GgmlType> {
  const info = ggmlInfo(file);
  const plan = planGgufModel(
    fx.config,
    [...fx.tensors].map(([name, t]) => ({ name, dtype: 'BF16', shape: t.shape })),
  );
  const seen = new Set<GgmlType>();
  for (const t of plan.tensors) {
    const gi = info.tensors.find((g) => g.name === t.name);
    expect(gi, t.name).toBeDefined();
    const type = (Object.keys(GGML_TYPE_INFO) as GgmlType[]).find((k) => GGML_TYPE_INFO[k].ggmlName === gi!.type)!;
    if (types.has(t.name)) expect(type, t.name).toBe(types.get(t.name));
    seen.add(type);
    const r = t.recipe;
    let want: Float32Array;
    if (r.kind === 'tensor') want = fx.tensors.get(r.hf)!.data;
    else if (r.kind === 'rope-permute') {
      const src = fx.tensors.get(r.hf)!;
      want = permuteWithinHeads(src.data, src.shape[0]!, r.heads, src.shape[1] ?? 1);
    } else if (r.kind === 'values') want = r.data;
    else throw new Error(`unexpected recipe ${r.kind} for ${t.name}`);
    const cols = t.ne[0]!;
    const rows = want.length / cols;
    const stored = readBytes(file, info.dataOffset + gi!.offset, gi!.bytes);
    if (type !== 'F32')
      expect(Buffer.from(ggmlQuantize(GGML_TYPE_INFO[type].ggmlName, want, rows, cols)).equals(Buffer.from(stored)), `${t.name} bytes`).toBe(true);
    const got = ggmlDequantize(file, t.name);
    expect(got.length, t.name).toBe(want.length);
    const rb = gi!.bytes / rows;
    for (let row = 0; row < rows; row++) {
      const bound = errorBound(type, want.subarray(row * cols, (row + 1) * cols), stored.subarray(row * rb, (row + 1) * rb));
      for (let i = 0; i < cols; i++) {
        const e = Math.abs(got[row * cols + i]! - want[row * cols + i]!);
        if (!(e <= bound[i]!)) throw new Error(`${t.name} (${type}) row ${row} col ${i}: error ${e} > bound ${bound[i]}`);
      }
    }
  }
  return seen;
}

const HF_OF: Record<string, string> = {
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
};

describe('sinan optimize on a Llama-3-style checkpoint', () => {
  let gguf: OptimizationReport;

  beforeAll(async () => {
    gguf = await run(scenario('llama.cpp'), join(dir, 'out-gguf'));
  });

  it('measures the checkpoint, prints the four rows and serves the written GGUF file with llama-server', () => {
    expect(gguf.kind).toBe('optimization');
    expect(gguf.sensitivity.source).toBe('measured');
    expect(gguf.sensitivity.tensors).toBe(14);
    expect(gguf.rows.map((r) => r.label)).toEqual(['baseline', 'same hardware, optimized', 'fewer devices, same throughput', 'cheaper devices']);
    expect(gguf.accuracy.total).toBeLessThanOrEqual(0.01);
    expect(gguf.accuracy.perTensor).toHaveLength(14);
    // the errors are measured on the checkpoint's values: zero where a tensor is kept, positive and tensor-specific where quantized
    for (const t of gguf.accuracy.perTensor) {
      if (t.format === 'bf16') expect(t.relativeError, t.tensor).toBe(0);
      else expect(t.relativeError, t.tensor).toBeGreaterThan(0.001);
      expect(t.relativeError, t.tensor).toBeLessThan(0.2);
    }
    const quantized = gguf.accuracy.perTensor.filter((t) => t.format !== 'bf16');
    expect(quantized.length).toBeGreaterThan(0);
    expect(new Set(quantized.map((t) => t.relativeError.toFixed(6))).size).toBeGreaterThan(1);
    expect(gguf.files).toEqual([join(dir, 'out-gguf', 'model.gguf'), join(dir, 'out-gguf', 'optimization.json')]);
    expect(gguf.serveCommand).toContain(`llama-server --model '${join(dir, 'out-gguf', 'model.gguf')}'`);
    expect(folderHash(fx.folder)).toBe(inputHash);
    expect(readdirSync(dir).filter((f) => f.startsWith('.') || f.includes('tmp'))).toEqual([]);
  });

  it.skipIf(missing !== null)("writes the plan's type for every tensor, as ggml reads and quantizes it", () => {
    const types = new Map<string, GgmlType>();
    for (const w of gguf.decisions.weights) {
      const m = /^model\.layers\.(\d+)\.(.+)\.weight$/.exec(w.tensor)!;
      const role = Object.entries(HF_OF).find(([, v]) => v === m[2])![0];
      types.set(`blk.${m[1]}.${role}.weight`, w.format === 'bf16' ? 'BF16' : (w.format.toUpperCase() as GgmlType));
    }
    const seen = checkWithGgml(join(dir, 'out-gguf', 'model.gguf'), types);
    expect(seen.has('F32')).toBe(true);
    const info = ggmlInfo(join(dir, 'out-gguf', 'model.gguf'));
    for (const k of [
      'general.architecture',
      'llama.block_count',
      'llama.context_length',
      'llama.embedding_length',
      'llama.feed_forward_length',
      'llama.attention.head_count',
      'llama.attention.head_count_kv',
      'llama.rope.freq_base',
      'tokenizer.ggml.tokens',
    ])
      expect(info.metadata[k], k).toBeDefined();
    expect(info.metadata['general.architecture']).toBe('llama');
    expect(info.metadata['llama.block_count']).toBe(2);
  });

  it('refuses an existing output folder unless forced, and never writes over the input', async () => {
    await expect(run(scenario('llama.cpp'), join(dir, 'out-gguf'))).rejects.toThrow(/exists|--force/);
    await expect(run(scenario('llama.cpp'), fx.folder, true)).rejects.toThrow(/input|checkpoint/);
    const again = await run(scenario('llama.cpp'), join(dir, 'out-gguf'), true);
    expect(again.files[0]).toBe(join(dir, 'out-gguf', 'model.gguf'));
    expect(folderHash(fx.folder)).toBe(inputHash);
  });

  it('for vLLM writes compressed-tensors (config groups for what the plan quantized, the rest in ignore) and serves the folder', async () => {
    const out = join(dir, 'out-vllm');
    const r = await run(scenario('vllm@0.10'), out);
    expect(r.format).toBe('compressed-tensors');
    expect(r.files).toContain(join(out, 'config.json'));
    expect(r.serveCommand).toContain(`vllm serve '${out}'`);
    const qc = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).quantization_config;
    expect(qc.quant_method).toBe('compressed-tensors');
    const targets = new Set((Object.values(qc.config_groups) as { targets: string[] }[]).flatMap((g) => g.targets));
    for (const w of r.decisions.weights) {
      const m = w.tensor.slice(0, -'.weight'.length);
      if (w.format === 'bf16') expect(qc.ignore, m).toContain(m);
      else expect(targets.has(m), m).toBe(true);
    }
    expect(qc.ignore).toContain('lm_head');
    expect(folderHash(fx.folder)).toBe(inputHash);
  });

  it('names the field for bad input', async () => {
    await expect(run(scenario('llama.cpp', 'quantization: { weights: bf16 }\nfoo: 1'))).rejects.toMatchObject({
      issues: [expect.objectContaining({ path: ['foo'] })],
    });
    const p = join(dir, 'bad-goal.yaml');
    writeFileSync(p, readFileSync(scenario('llama.cpp'), 'utf8').replace('objective: throughput', 'objective: speed'));
    await expect(run(p)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: ['goal', 'objective'] })] });
  });
});

describe('GGUF output with every k-quant and legacy type the plan can choose', () => {
  it.skipIf(missing !== null)('writes F16/BF16, Q8_0, Q6_K, Q5_K, Q4_K and Q4_0 per tensor, each read and dequantized by ggml within its bound', async () => {
    const formats = ['q8_0', 'q6_k', 'q5_k', 'q4_k', 'q4_0', 'q4_k', 'bf16'];
    const weights: Decisions['weights'] = [];
    const types = new Map<string, GgmlType>();
    for (let l = 0; l < 2; l++)
      Object.entries(HF_OF).forEach(([g, hf], i) => {
        const f = formats[(i + l) % formats.length]!;
        weights.push({ tensor: `model.layers.${l}.${hf}.weight`, layer: l, role: g, format: f });
        types.set(`blk.${l}.${g}.weight`, f === 'bf16' ? 'BF16' : (f.toUpperCase() as GgmlType));
      });
    const decisions: Decisions = {
      weights,
      kvCache: { keys: 'q8_0', values: 'q4_0' },
      offload: [],
      parallelism: { tensor: 1, pipeline: 1, expert: 1 },
      accelerator: 'x',
      devices: 1,
    };
    // the output is a folder: a name like one file is refused before anything is written
    for (const name of ['model.gguf', 'x.safetensors'])
      await expect(writePlan(fx.folder, join(dir, name), 'gguf', decisions, { test: true })).rejects.toThrow(/name a folder/);
    const out = join(dir, 'out-all-types');
    const r = await writePlan(fx.folder, out, 'gguf', decisions, { test: true });
    expect(r.files[0]).toBe(join(out, 'model.gguf'));
    const seen = checkWithGgml(join(out, 'model.gguf'), types);
    for (const t of ['BF16', 'Q8_0', 'Q6_K', 'Q5_K', 'Q4_K', 'Q4_0'] as const) expect(seen.has(t), t).toBe(true);
    expect(folderHash(fx.folder)).toBe(inputHash);
  });
});

describe('compressed-tensors output', () => {
  it('writes INT4 and INT8 weight-only and FP8 config groups with an ignore list, tensors named as the scheme says', async () => {
    const formats = ['int4', 'int8', 'fp8-channel', 'keep'];
    const weights: Decisions['weights'] = [];
    for (let l = 0; l < 2; l++)
      Object.values(HF_OF).forEach((hf, i) => {
        // fused groups (q/k/v, gate/up) share one format, as vLLM's loader requires
        const g = hf.includes('q_proj') || hf.includes('k_proj') || hf.includes('v_proj') ? 0 : hf.includes('gate') || hf.includes('up') ? 1 : i;
        weights.push({
          tensor: `model.layers.${l}.${hf}.weight`,
          layer: l,
          role: hf,
          format: formats[(g + l) % formats.length]! === 'keep' ? 'bf16' : formats[(g + l) % formats.length]!,
        });
      });
    const decisions: Decisions = {
      weights,
      kvCache: { keys: 'fp8', values: 'fp8' },
      offload: [],
      parallelism: { tensor: 1, pipeline: 1, expert: 1 },
      accelerator: 'x',
      devices: 1,
    };
    const out = join(dir, 'out-ct');
    const r = await writePlan(fx.folder, out, 'compressed-tensors', decisions, { test: true }, { workers: 1 });
    expect(r.files).toContain(join(out, 'config.json'));
    expect(existsSync(join(out, 'tokenizer.json'))).toBe(true);
    const qc = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).quantization_config;
    expect(qc.quant_method).toBe('compressed-tensors');
    expect(qc.quantization_status).toBe('compressed');
    const groups = Object.values(qc.config_groups) as { targets: string[]; weights: Record<string, unknown>; input_activations: unknown; format: string }[];
    const byModule = new Map<string, (typeof groups)[number]>();
    for (const g of groups) for (const t of g.targets) byModule.set(t, g);
    const st = new SafetensorsFile(join(out, 'model.safetensors'));
    try {
      const names = new Set(st.tensors.map((t) => t.name));
      for (const w of weights) {
        const m = w.tensor.slice(0, -'.weight'.length);
        const g = byModule.get(m);
        if (w.format === 'bf16') {
          expect(g, m).toBeUndefined();
          expect(qc.ignore, m).toContain(m);
          expect(names.has(w.tensor), m).toBe(true);
          continue;
        }
        expect(g, m).toBeDefined();
        const s = g!.weights;
        expect(s.symmetric, m).toBe(true);
        if (w.format === 'int4' || w.format === 'int8') {
          // weight-only integer groups: packed int32 (pack-quantized) with a scale per group of 128
          expect(s).toMatchObject({ num_bits: w.format === 'int4' ? 4 : 8, type: 'int', strategy: 'group', group_size: 128 });
          expect(g!.input_activations, m).toBeNull();
          expect(g!.format).toBe('pack-quantized');
          expect(names.has(`${m}.weight_packed`) && names.has(`${m}.weight_scale`) && names.has(`${m}.weight_shape`), m).toBe(true);
          const packed = st.tensors.find((t) => t.name === `${m}.weight_packed`)!;
          expect(packed.dtype).toBe('I32');
        } else {
          expect(s).toMatchObject({ num_bits: 8, type: 'float', strategy: 'channel' });
          expect(g!.format).toBe('float-quantized');
          const wt = st.tensors.find((t) => t.name === w.tensor)!;
          expect(wt.dtype).toBe('F8_E4M3');
          expect(names.has(`${m}.weight_scale`), m).toBe(true);
        }
      }
    } finally {
      st.close();
    }
    expect(qc.ignore).toContain('lm_head');
    expect(new Set(groups.map((g) => `${g.weights.type}${g.weights.num_bits}`))).toEqual(new Set(['int4', 'int8', 'float8']));
    expect(folderHash(fx.folder)).toBe(inputHash);
  });
});
