/**
 * Checkpoint-engine speed on one core, measured against a plain copy of the same bytes in the
 * same run: NF4 quantization (with and without double quantization), FP8 block quantization,
 * and the lossless BF16 codec. Usage: npx tsx bench/quant.bench.ts
 */
import { doubleQuantize, nf4SimdAvailable, quantize4bit, quantize4bitBf16 } from '../src/quant/bnb.js';
import { f32ToBf16, toFloat32 } from '../src/quant/dtypes.js';
import { quantizeFp8 } from '../src/quant/fp8q.js';
import { compress16, decompress16, entropyBound, compressedBitsPerWeight, losslessWasmAvailable } from '../src/quant/lossless.js';

const N = 1 << 24; // 16M weights: 32 MB of BF16
let s = 9;
const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
const bf = new Uint8Array(2 * N);
for (let i = 0; i < N; i++) {
  const v = f32ToBf16(Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r()) * 0.02);
  bf[2 * i] = v & 0xff;
  bf[2 * i + 1] = v >>> 8;
}

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

const gb = bf.byteLength / 1e9;
const copy = time(() => {
  const d = new Uint8Array(bf.length);
  d.set(bf);
});
const rate = (t: number) => `${(gb / t).toFixed(2)} GB/s of BF16 input (${((gb / t / (gb / copy)) * 100).toFixed(1)}% of memcpy)`;
console.log(`memcpy baseline: ${(gb / copy).toFixed(2)} GB/s`);
const x = toFloat32(bf, 'BF16');
console.log(`bf16 -> f32 decode: ${rate(time(() => toFloat32(bf, 'BF16')))}`);
console.log(`NF4 quantize (blocksize 64): ${rate(time(() => quantize4bit(x, 64)))}`);
console.log(`NF4 from BF16 bytes, scalar coder: ${rate(time(() => quantize4bitBf16(bf, 64, 'nf4', false)))}`);
if (nf4SimdAvailable()) console.log(`NF4 from BF16 bytes, WebAssembly SIMD kernel: ${rate(time(() => quantize4bitBf16(bf, 64)))}`);
console.log(`NF4 + double quant: ${rate(time(() => doubleQuantize(quantize4bit(x, 64).absmax)))}`);
console.log(`FP8 E4M3 128x128 blocks: ${rate(time(() => quantizeFp8(x, 4096, 4096, 'block')))}`);
let c = compress16(bf, 'bf16', 'js');
console.log(`lossless compress, scalar coder: ${rate(time(() => (c = compress16(bf, 'bf16', 'js'))))}`);
console.log(`lossless decompress, scalar decoder: ${rate(time(() => decompress16(c, 'js')))}`);
if (losslessWasmAvailable()) {
  console.log(`lossless compress, WebAssembly coder: ${rate(time(() => (c = compress16(bf, 'bf16', 'wasm'))))}`);
  console.log(`lossless decompress, WebAssembly decoder: ${rate(time(() => decompress16(c, 'wasm')))}`);
}
const b = entropyBound(bf, 'bf16');
console.log(
  `lossless: ${compressedBitsPerWeight(c).toFixed(3)} bits/weight vs entropy bound ${b.boundBitsPerWeight.toFixed(3)} (exponent entropy ${b.exponentBits.toFixed(3)} bits); ratio ${(16 / compressedBitsPerWeight(c)).toFixed(3)}x`,
);
