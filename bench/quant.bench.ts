/**
 * Checkpoint-engine kernels on one core, against a plain copy of the same bytes in the same run:
 * every weight codec as the engine runs it on one 4 M-value range of BF16 weights (codes,
 * scales and the error measurement), the NF4 SIMD kernel alone, and the lossless codec's
 * WebAssembly kernels (encode, decode, XXH64) next to their scalar TypeScript versions.
 * Usage: npx tsx bench/quant.bench.ts
 */
import { quantize4bitBf16Into } from '../src/quant/bnb.js';
import { f32ToBf16, toFloat32 } from '../src/quant/dtypes.js';
import { decodeChunk16, encodeChunk16, entropyBound } from '../src/quant/lossless.js';
import { losslessKernel } from '../src/quant/wasm-lossless.js';
import { CODEC_IDS, weightCodec, type CodecParams } from '../src/quant/weight-codecs.js';
import { xxh64Js } from '../src/quant/xxh64.js';

const N = 1 << 22; // 4 M weights: 8 MB of BF16, one unit of work of the engine
let s = 9;
const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
const bf = new Uint8Array(2 * N);
for (let i = 0; i < N; i++) {
  const v = f32ToBf16(Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r()) * 0.02);
  bf[2 * i] = v & 0xff;
  bf[2 * i + 1] = v >>> 8;
}

/** median seconds of `reps` runs after two warm-up runs */
function time(fn: () => void, reps = 7): number {
  fn();
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
const copy = time(() => new Uint8Array(bf.length).set(bf));
const rate = (t: number) => `${(gb / t).toFixed(2)} GB/s of BF16 (${((copy / t) * 100).toFixed(1)}% of memcpy)`;
console.log(`memcpy baseline: ${(gb / copy).toFixed(2)} GB/s`);
const x = toFloat32(bf, 'BF16');
console.log(`BF16 -> float32: ${rate(time(() => toFloat32(bf, 'BF16')))}`);
const packed = new Uint8Array(N / 2);
const absmax = new Float32Array(N / 64);
console.log(`NF4 SIMD kernel alone: ${rate(time(() => quantize4bitBf16Into(bf, 64, 'nf4', packed, absmax, false)))}`);
const p: CodecParams = { out: 1024, in: 4096, source: 'BF16', blocksize: 64, groupSize: 128, sym: true, layout: 'gptq' };
for (const id of CODEC_IDS) {
  const pp = id === 'int4' || id === 'int8' ? { ...p, layout: 'compressed-tensors' as const } : p;
  console.log(
    `codec ${id} (one range: decode, quantize, measure the error): ${rate(time(() => weightCodec(id).encode(toFloat32(bf, 'BF16'), bf, 0, pp, { amax: 0.1, nestedOffset: 0.01 }), 5))}`,
  );
}
void x;

const k = losslessKernel();
let payload = encodeChunk16(bf, 'bf16', 'js');
const out = new Uint8Array(bf.length);
console.log(`lossless encode, scalar: ${rate(time(() => (payload = encodeChunk16(bf, 'bf16', 'js')), 3))}`);
console.log(`lossless decode, scalar: ${rate(time(() => decodeChunk16(payload, 'bf16', out, 'js'), 3))}`);
console.log(`XXH64, BigInt reference: ${rate(time(() => xxh64Js(bf.subarray(0, 1 << 20)), 3) * (bf.length / (1 << 20)))}`);
if (k) {
  // in place, as the container runs it: values loaded into the kernel's memory, payload read from it
  console.log(`lossless encode, WebAssembly: ${rate(time(() => (k.valuesBuffer(N).set(bf), (payload = k.encodeLoaded(N, 'bf16').slice()))))}`);
  console.log(
    `lossless decode, WebAssembly: ${rate(time(() => (k.payloadBuffer(payload.length, N).set(payload), k.decodeLoaded(payload.length, N, 'bf16'))))}`,
  );
  const view = k.valuesBuffer(N);
  view.set(bf);
  console.log(`XXH64, WebAssembly: ${rate(time(() => k.xxh64(view)))}`);
}
const b = entropyBound(bf, 'bf16');
const bpw = (8 * payload.length) / N;
console.log(
  `lossless: ${bpw.toFixed(3)} bits/weight vs entropy bound ${b.boundBitsPerWeight.toFixed(3)} (exponent entropy ${b.exponentBits.toFixed(3)} bits); ratio ${(16 / bpw).toFixed(3)}x`,
);
