import { fmaF32 } from './float32.js';

/**
 * The signed 8-bit "dynamic" code map bitsandbytes double-quantizes block scales with,
 * `bitsandbytes.functional.create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)`
 * (Dettmers, "8-Bit Approximations for Parallelism in Deep Learning", arXiv 1511.04561),
 * built the way that function computes it in float32, so the 256 values are bit-identical:
 *
 * for i = 0..6: boundaries = torch.linspace(0.1, 1, 2^i + 1) (float32), means of adjacent
 * boundaries (float32 add, then / 2), scaled by float32(10^(i-6)) in float32, both signs;
 * then 0 and 1, sorted.
 *
 * torch's CPU linspace computes element k as start + step*k for k < steps/2 and
 * end - step*(steps-1-k) above, in float32 with step = (end - start)/(steps - 1); PyTorch's
 * vectorized CPU builds (AVX2, AVX-512) contract each of those to one fused multiply-add, which
 * is what this reproduces (checked against torch 2.13 on an AVX2 CPU; a build without FMA
 * rounds 42 of the 256 entries one ulp differently).
 */
function linspaceF32(start: number, end: number, steps: number): Float32Array {
  const s = Math.fround(start);
  const e = Math.fround(end);
  const step = Math.fround(Math.fround(e - s) / (steps - 1));
  const half = Math.floor(steps / 2);
  const out = new Float32Array(steps);
  for (let k = 0; k < steps; k++) out[k] = k < half ? fmaF32(step, k, s) : fmaF32(-step, steps - 1 - k, e);
  return out;
}

// 10 ** (i - 6) as Python computes it (correctly rounded doubles), cast to float32 by torch
const POWERS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];

export function createDynamicMap(): Float32Array {
  const data: number[] = [];
  for (let i = 0; i < 7; i++) {
    const b = linspaceF32(0.1, 1, (1 << i) + 1);
    const scale = Math.fround(POWERS[i]!);
    for (const sign of [1, -1]) for (let k = 0; k + 1 < b.length; k++) data.push(Math.fround(sign * scale * Math.fround(Math.fround(b[k]! + b[k + 1]!) / 2)));
  }
  data.push(0, 1);
  data.sort((x, y) => x - y);
  return Float32Array.from(data);
}
