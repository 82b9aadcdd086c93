import { getHalf, fp32ToFp16, nearestInt, putHalf } from './half.js';
import { scaleMinK4, scaleMinScratch, type ScaleMinScratch } from './kquant-search.js';

/**
 * Q4_K and Q5_K (ggml/src/ggml-quants.c `quantize_row_q4_K_ref`, `quantize_row_q5_K_ref` and
 * their dequantizers): 256-value super-blocks of eight 32-value groups, each group with a 6-bit
 * scale and 6-bit min found by `make_qkx2_quants` (weights sqrt(mean x^2) + |x|), super-block
 * scales d and dmin in fp16. Layouts: Q4_K {d, dmin, scales[12], qs[128]} (144 bytes), Q5_K
 * {d, dmin, scales[12], qh[32], qs[128]} (176 bytes). Level l of value 32*j+i: Q4_K stores it in
 * the low (j even) or high (j odd) nibble of qs[32*(j>>1) + i]; Q5_K adds bit 4 in qh[i] bit j.
 */

const fr = Math.fround;
const QK_K = 256;

export type KQuantScratch = ScaleMinScratch;

export const kScratch = (): KQuantScratch => scaleMinScratch(32);

/** Finds levels L (0..nmax) and writes d, dmin and the packed 6-bit scales at `oo`; shared by Q4_K and Q5_K. */
function quantizeSuperBlock(x: Float32Array, xo: number, out: Uint8Array, oo: number, nmax: number, rmin: number, nstep: number, s: KQuantScratch): void {
  const { L, weights, scales, mins } = s;
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    const g = xo + 32 * j;
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = fr(sumX2 + fr(x[g + l]! * x[g + l]!));
    const avX = fr(Math.sqrt(fr(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[g + l]!);
    const sc = s.search.qkx2(32, nmax, x, g, weights, L, 32 * j, s.min, rmin, fr(0.1), nstep, false);
    scales[j] = sc;
    mins[j] = s.min.min;
    if (sc > maxScale) maxScale = sc;
    if (mins[j]! > maxMin) maxMin = mins[j]!;
  }
  const invScale = maxScale > 0 ? fr(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? fr(63 / maxMin) : 0;
  const so = oo + 4;
  for (let j = 0; j < 8; j++) {
    const ls = Math.min(63, nearestInt(fr(invScale * scales[j]!)) & 0xff);
    const lm = Math.min(63, nearestInt(fr(invMin * mins[j]!)) & 0xff);
    if (j < 4) {
      out[so + j] = ls;
      out[so + j + 4] = lm;
    } else {
      out[so + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
      out[so + j - 4] = out[so + j - 4]! | ((ls >>> 4) << 6);
      out[so + j] = out[so + j]! | ((lm >>> 4) << 6);
    }
  }
  putHalf(out, oo, fp32ToFp16(fr(maxScale / 63)));
  putHalf(out, oo + 2, fp32ToFp16(fr(maxMin / 63)));
  const dAll = getHalf(out, oo);
  const dminAll = getHalf(out, oo + 2);
  for (let j = 0; j < 8; j++) {
    const d = fr(dAll * scaleMinK4(j, out, so, 0));
    if (d === 0) continue; // C's `if (!d)`: NaN is not zero
    const dm = fr(dminAll * scaleMinK4(j, out, so, 1));
    const g = xo + 32 * j;
    for (let i = 0; i < 32; i++) {
      const l = nearestInt(fr(fr(x[g + i]! + dm) / d));
      L[32 * j + i] = Math.max(0, Math.min(nmax, l));
    }
  }
}

export function quantizeQ4K(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number, s: KQuantScratch): void {
  const L = s.L;
  for (let b = 0; b < n / QK_K; b++, xo += QK_K, oo += 144) {
    out.fill(0, oo + 4, oo + 16);
    quantizeSuperBlock(x, xo, out, oo, 15, -1, 20, s);
    const q = oo + 16;
    for (let j = 0; j < QK_K; j += 64) for (let l = 0; l < 32; l++) out[q + j / 2 + l] = L[j + l]! | (L[j + l + 32]! << 4);
  }
}

export function quantizeQ5K(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number, s: KQuantScratch): void {
  const L = s.L;
  for (let b = 0; b < n / QK_K; b++, xo += QK_K, oo += 176) {
    out.fill(0, oo + 4, oo + 48); // scales and qh
    quantizeSuperBlock(x, xo, out, oo, 31, fr(-0.5), 15, s);
    const qh = oo + 16;
    let ql = oo + 48;
    let m1 = 1;
    let m2 = 2;
    for (let nb = 0; nb < QK_K; nb += 64) {
      for (let j = 0; j < 32; j++) {
        let l1 = L[nb + j]!;
        if (l1 > 15) {
          l1 -= 16;
          out[qh + j] = out[qh + j]! | m1;
        }
        let l2 = L[nb + j + 32]!;
        if (l2 > 15) {
          l2 -= 16;
          out[qh + j] = out[qh + j]! | m2;
        }
        out[ql + j] = l1 | (l2 << 4);
      }
      m1 <<= 2;
      m2 <<= 2;
      ql += 32;
    }
  }
}

export function dequantizeQ4K(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void {
  for (let b = 0; b < n / QK_K; b++, qo += 144) {
    const d = getHalf(q, qo);
    const min = getHalf(q, qo + 2);
    let qs = qo + 16;
    for (let is = 0; is < 8; is += 2, qs += 32) {
      const d1 = fr(d * scaleMinK4(is, q, qo + 4, 0));
      const m1 = fr(min * scaleMinK4(is, q, qo + 4, 1));
      const d2 = fr(d * scaleMinK4(is + 1, q, qo + 4, 0));
      const m2 = fr(min * scaleMinK4(is + 1, q, qo + 4, 1));
      for (let l = 0; l < 32; l++) y[yo++] = fr(d1 * (q[qs + l]! & 0xf)) - m1;
      for (let l = 0; l < 32; l++) y[yo++] = fr(d2 * (q[qs + l]! >>> 4)) - m2;
    }
  }
}

export function dequantizeQ5K(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void {
  for (let b = 0; b < n / QK_K; b++, qo += 176) {
    const d = getHalf(q, qo);
    const min = getHalf(q, qo + 2);
    const qh = qo + 16;
    let ql = qo + 48;
    let u1 = 1;
    let u2 = 2;
    for (let is = 0; is < 8; is += 2, ql += 32) {
      const d1 = fr(d * scaleMinK4(is, q, qo + 4, 0));
      const m1 = fr(min * scaleMinK4(is, q, qo + 4, 1));
      const d2 = fr(d * scaleMinK4(is + 1, q, qo + 4, 0));
      const m2 = fr(min * scaleMinK4(is + 1, q, qo + 4, 1));
      for (let l = 0; l < 32; l++) y[yo++] = fr(d1 * ((q[ql + l]! & 0xf) + (q[qh + l]! & u1 ? 16 : 0))) - m1;
      for (let l = 0; l < 32; l++) y[yo++] = fr(d2 * ((q[ql + l]! >>> 4) + (q[qh + l]! & u2 ? 16 : 0))) - m2;
      u1 <<= 2;
      u2 <<= 2;
    }
  }
}
