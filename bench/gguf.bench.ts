/**
 * GGUF quantization speed on one core, per ggml type, in GB/s of float32 input, against a plain
 * copy of the same bytes measured in the same run; plus the streamed writer end to end (BF16
 * rows -> Q4_K GGUF) and its memory: peak resident memory above the start while streaming a
 * 1 GB (float32) tensor generated row by row, so nothing but the writer's chunk is ever held.
 * Where the gguf-check binary is present, ggml's own C reference quantizers run on the same input
 * as a second baseline (its time includes reading the input file from the page cache).
 * Usage: npx tsx bench/gguf.bench.ts [megabytes of float32 input, default 32]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodec } from '../src/gguf/codecs.js';
import { GGML_TYPES, rowBytes } from '../src/gguf/ggml-types.js';
import { writeGgufFile } from '../src/gguf/gguf-writer.js';
import { GGML_TYPE_INFO } from '../src/gguf/ggml-types.js';
import { GGUF_CHECK, ggufCheckMissing } from '../test/gguf-check.js';

const MB = Number(process.argv[2] ?? 32);
const COLS = 4096;
const ROWS = Math.max(1, Math.floor((MB * 1e6) / 4 / COLS));
let s = 9;
const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
const x = new Float32Array(ROWS * COLS);
for (let i = 0; i < x.length; i++) x[i] = Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r()) * 0.02;
const gb = x.byteLength / 1e9;

function time(fn: () => void, reps = 3): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push((performance.now() - t0) / 1000);
  }
  return t.sort((a, b) => a - b)[Math.floor(reps / 2)]!;
}

const src = new Uint8Array(x.buffer);
const copy = time(() => new Uint8Array(src.length).set(src));
console.log(`input: ${ROWS} rows x ${COLS} float32 (${(gb * 1e3).toFixed(0)} MB); memcpy baseline ${(gb / copy).toFixed(2)} GB/s`);
const dir = mkdtempSync(join(tmpdir(), 'gguf-bench-'));
const haveC = ggufCheckMissing() === null;
if (haveC) writeFileSync(join(dir, 'in.f32'), src);
const rate = (t: number) => `${(gb / t).toFixed(3)} GB/s (${((copy / t) * 100).toFixed(2)}% of memcpy)`;
for (const type of GGML_TYPES) {
  const codec = createCodec(type);
  const rb = rowBytes(type, COLS);
  const out = new Uint8Array(rb * ROWS);
  const reps = type.endsWith('_K') || type === 'IQ4_NL' ? 1 : 3;
  const t = time(() => {
    for (let i = 0; i < ROWS; i++) codec.quantize(x, i * COLS, COLS, out, i * rb);
  }, reps);
  const y = new Float32Array(x.length);
  const td = time(() => {
    for (let i = 0; i < ROWS; i++) codec.dequantize(out, i * rb, COLS, y, i * COLS);
  });
  let c = '';
  if (haveC && type !== 'F32') {
    const tc = time(
      () => execFileSync(GGUF_CHECK, ['quant', GGML_TYPE_INFO[type].ggmlName, join(dir, 'in.f32'), String(ROWS), String(COLS), join(dir, 'out.bin')]),
      1,
    );
    c = `   ggml C reference ${(gb / tc).toFixed(3)} GB/s (Sinan at ${((tc / t) * 100).toFixed(0)}% of it)`;
  }
  console.log(`${type.padEnd(6)} quantize ${rate(t)}   dequantize ${(gb / td).toFixed(3)} GB/s of float32 output${c}`);
}
try {
  const t = time(
    () =>
      writeGgufFile(join(dir, 'b.gguf'), [], [{ name: 'w', type: 'Q4_K', ne: [COLS, ROWS], readRows: (f, n) => x.subarray(f * COLS, (f + n) * COLS) }], {
        overwrite: true,
      }),
    1,
  );
  console.log(`writeGgufFile, Q4_K, streamed: ${rate(t)}`);
  // memory: a 16384 x 16384 float32 tensor (1.07 GB) produced on the fly, written as Q8_0
  const big = 16384;
  const row = new Float32Array(big);
  for (let i = 0; i < big; i++) row[i] = x[i % x.length]!;
  globalThis.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const t1 = performance.now();
  writeGgufFile(
    join(dir, 'mem.gguf'),
    [],
    [
      {
        name: 'w',
        type: 'Q8_0',
        ne: [big, big],
        readRows: (_f, n) => {
          const out = new Float32Array(n * big);
          for (let r = 0; r < n; r++) out.set(row, r * big);
          peak = Math.max(peak, process.memoryUsage().rss);
          return out;
        },
      },
    ],
  );
  const secs = (performance.now() - t1) / 1000;
  console.log(
    `writeGgufFile, Q8_0, ${((4 * big * big) / 1e9).toFixed(2)} GB of float32 rows generated on the fly: ${((4 * big * big) / 1e9 / secs).toFixed(3)} GB/s, peak RSS ${((peak - rss0) / 2 ** 20).toFixed(0)} MiB above the start (chunk bound: 16 MiB of input + its output)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
