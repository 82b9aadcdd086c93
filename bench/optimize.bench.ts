import { parse } from 'yaml';
/**
 * `sinan optimize` benchmark.
 * 1. Analysis: the measurement pass (measure.ts: every candidate format's error on the sampled
 *    rows, sums of squares, lossless histograms) over a synthetic Llama-style BF16 checkpoint with
 *    real Hugging Face names, in GB of checkpoint per second per core and peak resident memory;
 *    against a baseline measured in the same run: one plain pass over the same bytes that only
 *    converts BF16 to float32 and sums squares (what any analysis must at least do), one core.
 * 2. Search: the whole optimization of Llama 3.1 70B on 8 x A100 (four rows, the cheaper-device
 *    catalog sweep, attribution) and one joint search on one hardware configuration (target < 1 s),
 *    against the time of one plan priced alone (plans per second).
 * Usage: npx tsx bench/optimize.bench.ts [--layers N] [--workers N] [--exact]
 */
import { readFileSync, closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Checkpoint, writeSafetensors, type TensorToWrite } from '../src/checkpoint/safetensors.js';
import { defaultContext } from '../src/context/load.js';
import { nodeFiles } from '../src/context/node-files.js';
import { decisionSpace, kvOptions } from '../src/optimize/accuracy.js';
import { measureCheckpoint } from '../src/optimize/measure.js';
import { candidateFormats } from '../src/optimize/plan.js';
import { optimizePlan } from '../src/optimize/run.js';
import { ALL, searchHardware } from '../src/optimize/search.js';
import { TARGETS } from '../src/optimize/targets.js';
import { typicalSensitivity } from '../src/optimize/typical.js';
import { f32ToBf16, bf16ToF32 } from '../src/quant/dtypes.js';
import { normalizeInference } from '../src/scenario/inference.js';
import { engineFor } from '../src/serve/offload.js';
import { evaluateServe } from '../src/serve/report.js';

const arg = (k: string, d: number) => {
  const i = process.argv.indexOf(k);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const LAYERS = arg('--layers', 8);
const WORKERS = arg('--workers', 1);
const ctx = defaultContext();

// --- 1. analysis -------------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'optimize-bench-'));
try {
  const hidden = 1024;
  const inter = 2816;
  const heads = 16;
  const kv = 4;
  const hd = hidden / heads;
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: hidden,
    intermediate_size: inter,
    num_hidden_layers: LAYERS,
    num_attention_heads: heads,
    num_key_value_heads: kv,
    max_position_embeddings: 4096,
    rms_norm_eps: 1e-5,
    rope_theta: 500000,
    vocab_size: 32000,
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  let seed = 12345;
  const bf16 = (rows: number, cols: number) => () => {
    // a Laplace-ish weight distribution without per-element allocation
    const out = new Uint8Array(rows * cols * 2);
    for (let i = 0; i < rows * cols; i++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      const u = (seed + 0.5) / 4294967296;
      const v = 0.02 * Math.sign(u - 0.5) * Math.log(1 - 2 * Math.abs(u - 0.5) + 1e-12);
      const b = f32ToBf16(v);
      out[2 * i] = b & 255;
      out[2 * i + 1] = b >> 8;
    }
    return out;
  };
  const tensors: TensorToWrite[] = [];
  const add = (name: string, rows: number, cols: number) => tensors.push({ name, dtype: 'BF16', shape: [rows, cols], data: bf16(rows, cols) });
  for (let l = 0; l < LAYERS; l++) {
    const p = `model.layers.${l}`;
    add(`${p}.self_attn.q_proj.weight`, heads * hd, hidden);
    add(`${p}.self_attn.k_proj.weight`, kv * hd, hidden);
    add(`${p}.self_attn.v_proj.weight`, kv * hd, hidden);
    add(`${p}.self_attn.o_proj.weight`, hidden, heads * hd);
    add(`${p}.mlp.gate_proj.weight`, inter, hidden);
    add(`${p}.mlp.up_proj.weight`, inter, hidden);
    add(`${p}.mlp.down_proj.weight`, hidden, inter);
  }
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  const model = normalizeInference(
    {
      data: {
        kind: 'inference',
        model: join(dir, 'config.json'),
        system: { accelerator: 'nvidia-h100-sxm', count: 1 },
        workload: { inputTokens: 512, outputTokens: 128 },
      },
      baseDir: dir,
      source: 'bench',
    },
    ctx,
    nodeFiles,
  ).job.model;

  // baseline: one plain pass over the same tensors (read, BF16 -> float32, sum of squares), this thread
  const ck = new Checkpoint(dir);
  const file = ck.files[0]!.path;
  const spans = ck.tensors.map((t) => [t.begin, t.end] as const);
  const base0 = ck.files[0]!.header.dataStart;
  ck.close();
  const plainPass = () => {
    const fd = openSync(file, 'r');
    const buf = new Uint8Array(8 << 20);
    let ss = 0;
    let bytes = 0;
    try {
      for (const [b, e] of spans)
        for (let o = b; o < e; o += buf.length) {
          const n = readSync(fd, buf, 0, Math.min(buf.length, e - o), base0 + o);
          for (let i = 0; i + 1 < n; i += 2) {
            const v = bf16ToF32(buf[i]! | (buf[i + 1]! << 8));
            ss += v * v;
          }
          bytes += n;
        }
    } finally {
      closeSync(fd);
    }
    return { bytes, ss };
  };
  plainPass(); // warm the page cache
  const tb = performance.now();
  const plain = plainPass();
  const plainS = (performance.now() - tb) / 1000;

  const target = TARGETS.gguf;
  const formats = candidateFormats(target);
  await measureCheckpoint(dir, model, 'gguf', formats, { workers: WORKERS }); // warm up
  const runs: { s: number; gb: number; peak: number; share: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await measureCheckpoint(dir, model, 'gguf', formats, { workers: WORKERS });
    runs.push({ s: r.pass!.seconds, gb: r.pass!.bytesRead / 1e9, peak: r.pass!.peakRssBytes, share: r.pass!.sampledShare });
  }
  runs.sort((a, b) => a.s - b.s);
  const m = runs[1]!;
  const perCore = m.gb / m.s / WORKERS;
  const plainRate = plain.bytes / 1e9 / plainS;
  console.log(
    `analysis: ${m.gb.toFixed(2)} GB of BF16 (${LAYERS} layers, ${formats.length} GGUF formats on ${(m.share * 100).toFixed(1)}% of rows) in ${m.s.toFixed(2)} s on ${WORKERS} worker(s): ` +
      `${perCore.toFixed(3)} GB/s per core, peak ${(m.peak / 1e6).toFixed(0)} MB resident; plain BF16 pass ${plainRate.toFixed(3)} GB/s on one core; ratio ${(perCore / plainRate).toFixed(2)}x`,
  );
  if (process.argv.includes('--exact')) {
    const exact = await measureCheckpoint(dir, model, 'gguf', formats, { workers: WORKERS, exact: true });
    console.log(
      `analysis, every row (--exact): ${(exact.pass!.bytesRead / 1e9 / exact.pass!.seconds / WORKERS).toFixed(3)} GB/s per core, peak ${(exact.pass!.peakRssBytes / 1e6).toFixed(0)} MB resident`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// --- 2. search ---------------------------------------------------------------------------------
// seed 000's baseline: examples/llama3.1-70b-optimize-a100.yaml (8 x A100 in FP16)
const raw = { data: parse(readFileSync('examples/llama3.1-70b-optimize-a100.yaml', 'utf8')) as Record<string, unknown>, baseDir: '.', source: 'bench' };
optimizePlan(raw, { context: ctx, files: null, baseDir: '.' }); // warm up
const whole: number[] = [];
let evaluated = 0;
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  evaluated = optimizePlan(raw, { context: ctx, files: null, baseDir: '.' }).search.evaluated;
  whole.push((performance.now() - t) / 1000);
}
whole.sort((a, b) => a - b);
const { goal: _, ...scenario } = raw.data;
const req = normalizeInference({ ...raw, data: scenario }, ctx, null);
const target = TARGETS['compressed-tensors'];
const sens = typicalSensitivity(req.job.model, target.format, candidateFormats(target));
const space = decisionSpace(req.job.model, sens, target, candidateFormats(target));
const kvs = kvOptions(space, target, false);
const baseKv = kvs.find((k) => k.keys === req.job.kvCache) ?? kvs[0]!;
const one: number[] = [];
let evOne = 0;
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  evOne = searchHardware({ req, space, target, kv: kvs, budget: 0.01, allow: ALL, baseKv, baseDist: 0 }).evaluated;
  one.push((performance.now() - t) / 1000);
}
one.sort((a, b) => a - b);
const e = engineFor({ ...req.job, workload: { ...req.job.workload, concurrency: 64 } }, { tensor: 1, pipeline: 8, expert: 1 });
let k = 0;
const t0 = performance.now();
while (performance.now() - t0 < 300) {
  evaluateServe(e);
  k++;
}
const plan = (performance.now() - t0) / 1000 / k;
console.log(
  `search, Llama 3.1 70B on 8 x A100: one joint search ${(one[2]! * 1000).toFixed(0)} ms (${evOne} plans; target < 1 s); ` +
    `the whole optimization (4 rows, catalog, attribution) ${(whole[1]! * 1000).toFixed(0)} ms (${evaluated} plans, ${Math.round(evaluated / whole[1]!).toLocaleString()} plans/s; one plan priced alone ${(plan * 1e6).toFixed(0)} us, ${Math.round(1 / plan).toLocaleString()} plans/s)`,
);
