/**
 * Per-value error bounds of ggml's types, for tests: |x - dequantize(quantize(x))| <= bound.
 * - F16/BF16: half an ulp of round-to-nearest (relative 2^-11 / 2^-8; absolute at the bottom of
 *   the subnormal range).
 * - Q8_0, Q4_0, Q5_0 (d = absmax/127, max/-8, max/-16): half a step (a whole step for the one
 *   clipped extreme of Q4_0/Q5_0), plus the fp16 rounding of d (half an fp16 ulp: relative 2^-11,
 *   absolute 2^-25 below 2^-14) times the largest level.
 * - Q4_1, Q5_1 (d = range/15, range/31, m = min): half a step, plus fp16 rounding of d and m.
 * - IQ4_NL and the k-quants choose each level as the nearest point of the grid their stored
 *   scales define (ggml's final pass recomputes the levels from the rounded fp16/6-bit scales);
 *   the bound is the distance from x to the nearest point of that grid, decoded here from the
 *   block bytes independently of the dequantizers, plus float rounding. IQ4_NL picks levels with
 *   the unrounded scale, so its slack is twice the fp16 rounding of d times the largest level.
 */
import { GGML_TYPE_INFO, type GgmlType } from '../src/gguf/ggml-types.js';

const IQ4NL = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

function half(q: Uint8Array, o: number): number {
  const h = q[o]! | (q[o + 1]! << 8);
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  return e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Largest error of storing v as fp16: half an ulp, relative 2^-11, or 2^-25 in the subnormal range. */
function halfError(v: number): number {
  return Math.max(Math.abs(v) * 2 ** -11, 2 ** -25);
}

/** Distance from x to the nearest point of {offset + step * l : l in [lo, hi]}, plus slack. */
function gridDistance(x: number, step: number, offset: number, lo: number, hi: number): number {
  if (step === 0) return Math.abs(x - offset);
  let best = Infinity;
  for (let l = lo; l <= hi; l++) best = Math.min(best, Math.abs(x - (offset + step * l)));
  return best;
}

function k4(q: Uint8Array, o: number, j: number): [number, number] {
  if (j < 4) return [q[o + j]! & 63, q[o + j + 4]! & 63];
  return [(q[o + j + 4]! & 15) | ((q[o + j - 4]! >> 6) << 4), (q[o + j + 4]! >> 4) | ((q[o + j]! >> 6) << 4)];
}

export function errorBound(type: GgmlType, x: Float32Array, q: Uint8Array): Float64Array {
  const n = x.length;
  const b = new Float64Array(n);
  const info = GGML_TYPE_INFO[type];
  const bs = info.blockSize;
  if (type === 'F32') return b;
  if (type === 'F16' || type === 'BF16') {
    const [rel, abs] = type === 'F16' ? [2 ** -11, 2 ** -25] : [2 ** -8, 2 ** -134];
    for (let i = 0; i < n; i++) b[i] = Math.max(Math.abs(x[i]!) * rel, abs);
    return b;
  }
  for (let blk = 0; blk < n / bs; blk++) {
    const o = blk * info.blockBytes;
    const xs = blk * bs;
    let amax = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = xs; i < xs + bs; i++) {
      amax = Math.max(amax, Math.abs(x[i]!));
      min = Math.min(min, x[i]!);
      max = Math.max(max, x[i]!);
    }
    const tiny = amax * 1e-6;
    const put = (i: number, v: number) => (b[xs + i] = v + tiny);
    switch (type) {
      case 'Q8_0':
        for (let i = 0; i < bs; i++) put(i, amax / 254 + 127 * halfError(amax / 127));
        break;
      case 'Q4_0':
        for (let i = 0; i < bs; i++) put(i, amax / 8 + 8 * halfError(amax / 8));
        break;
      case 'Q5_0':
        for (let i = 0; i < bs; i++) put(i, amax / 16 + 16 * halfError(amax / 16));
        break;
      case 'Q4_1':
      case 'Q5_1': {
        const levels = type === 'Q4_1' ? 15 : 31;
        const d = (max - min) / levels;
        for (let i = 0; i < bs; i++) put(i, d / 2 + levels * halfError(d) + halfError(min));
        break;
      }
      case 'IQ4_NL': {
        const d = half(q, o);
        for (let i = 0; i < bs; i++) {
          let best = Infinity;
          for (const v of IQ4NL) best = Math.min(best, Math.abs(x[xs + i]! - d * v));
          put(i, best + 2 * 127 * halfError(d));
        }
        break;
      }
      case 'Q2_K': {
        const d = half(q, o + 80);
        const dmin = half(q, o + 82);
        for (let j = 0; j < 16; j++) {
          const sc = q[o + j]!;
          for (let i = 16 * j; i < 16 * j + 16; i++) put(i, gridDistance(x[xs + i]!, d * (sc & 15), -dmin * (sc >> 4), 0, 3));
        }
        break;
      }
      case 'Q3_K': {
        const d = half(q, o + 108);
        for (let j = 0; j < 16; j++) {
          const lo = j < 8 ? q[o + 96 + j]! & 15 : q[o + 96 + j - 8]! >> 4;
          const sc = (lo | (((q[o + 104 + (j % 4)]! >> (2 * (j >> 2))) & 3) << 4)) - 32;
          for (let i = 16 * j; i < 16 * j + 16; i++) put(i, gridDistance(x[xs + i]!, d * sc, 0, -4, 3));
        }
        break;
      }
      case 'Q4_K':
      case 'Q5_K': {
        const d = half(q, o);
        const dmin = half(q, o + 2);
        const hi = type === 'Q4_K' ? 15 : 31;
        for (let j = 0; j < 8; j++) {
          const [sc, m] = k4(q, o + 4, j);
          for (let i = 32 * j; i < 32 * j + 32; i++) put(i, gridDistance(x[xs + i]!, d * sc, -dmin * m, 0, hi));
        }
        break;
      }
      case 'Q6_K': {
        const d = half(q, o + 208);
        for (let j = 0; j < 16; j++) {
          const sc = (q[o + 192 + j]! << 24) >> 24;
          for (let i = 16 * j; i < 16 * j + 16; i++) put(i, gridDistance(x[xs + i]!, d * sc, 0, -32, 31));
        }
        break;
      }
    }
  }
  return b;
}
