import { getHalf, fp32ToFp16, nearestInt, putHalf, toInt8 } from './half.js';
import { makeQ3Quants, scaleMinScratch, type ScaleMinScratch } from './kquant-search.js';

/**
 * Q2_K and Q3_K (ggml/src/ggml-quants.c `quantize_row_q2_K_ref`, `quantize_row_q3_K_ref` and
 * their dequantizers), 256-value super-blocks of sixteen 16-value groups.
 * Q2_K {scales[16] (4-bit scale | 4-bit min << 4), qs[64], d, dmin} (84 bytes): 2-bit levels with
 * a min, groups fitted by `make_qkx2_quants` on |x| weights and absolute error.
 * Q3_K {hmask[32], qs[64], scales[12] (6-bit signed, packed), d} (110 bytes): symmetric 3-bit
 * levels -4..3 from `make_q3_quants`; the high bit of value j is hmask[j % 32] bit (j / 32).
 * In both, value l of a 128-value half sits in qs[32*half + l%32] at bit 2*(l/32).
 */

const fr = Math.fround;
const QK_K = 256;

export type Q2KScratch = ScaleMinScratch;

export const q2kScratch = (): Q2KScratch => scaleMinScratch(16);

function pack2bit(L: Uint8Array | Int8Array, out: Uint8Array, q: number): void {
  for (let j = 0; j < QK_K; j += 128)
    for (let l = 0; l < 32; l++) out[q + j / 4 + l] = L[j + l]! | (L[j + l + 32]! << 2) | (L[j + l + 64]! << 4) | (L[j + l + 96]! << 6);
}

export function quantizeQ2K(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number, s: Q2KScratch): void {
  const { L, weights, scales, mins } = s;
  const q4scale = 15;
  for (let b = 0; b < n / QK_K; b++, xo += QK_K, oo += 84) {
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < 16; j++) {
      for (let l = 0; l < 16; l++) weights[l] = Math.abs(x[xo + 16 * j + l]!);
      const sc = s.search.qkx2(16, 3, x, xo + 16 * j, weights, L, 16 * j, s.min, fr(-0.5), fr(0.1), 15, true);
      scales[j] = sc;
      mins[j] = s.min.min;
      if (sc > maxScale) maxScale = sc;
      if (mins[j]! > maxMin) maxMin = mins[j]!;
    }
    if (maxScale > 0) {
      const iscale = fr(q4scale / maxScale);
      for (let j = 0; j < 16; j++) out[oo + j] = nearestInt(fr(iscale * scales[j]!)) & 0xff;
      putHalf(out, oo + 80, fp32ToFp16(fr(maxScale / q4scale)));
    } else {
      out.fill(0, oo, oo + 16);
      putHalf(out, oo + 80, 0);
    }
    if (maxMin > 0) {
      const iscale = fr(q4scale / maxMin);
      for (let j = 0; j < 16; j++) out[oo + j] = (out[oo + j]! | (nearestInt(fr(iscale * mins[j]!)) << 4)) & 0xff;
      putHalf(out, oo + 82, fp32ToFp16(fr(maxMin / q4scale)));
    } else {
      putHalf(out, oo + 82, 0);
    }
    const dAll = getHalf(out, oo + 80);
    const dminAll = getHalf(out, oo + 82);
    for (let j = 0; j < 16; j++) {
      const d = fr(dAll * (out[oo + j]! & 0xf));
      if (d === 0) continue; // C's `if (!d)`: NaN is not zero
      const dm = fr(dminAll * (out[oo + j]! >>> 4));
      for (let i = 0; i < 16; i++) {
        const l = nearestInt(fr(fr(x[xo + 16 * j + i]! + dm) / d));
        L[16 * j + i] = Math.max(0, Math.min(3, l));
      }
    }
    pack2bit(L, out, oo + 16);
  }
}

export function dequantizeQ2K(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void {
  for (let b = 0; b < n / QK_K; b++, qo += 84) {
    const d = getHalf(q, qo + 80);
    const min = getHalf(q, qo + 82);
    let qs = qo + 16;
    let is = 0;
    for (let half = 0; half < 2; half++, qs += 32) {
      for (let shift = 0; shift < 8; shift += 2) {
        let sc = q[qo + is++]!;
        let dl = fr(d * (sc & 0xf));
        let ml = fr(min * (sc >>> 4));
        for (let l = 0; l < 16; l++) y[yo++] = fr(dl * ((q[qs + l]! >>> shift) & 3)) - ml;
        sc = q[qo + is++]!;
        dl = fr(d * (sc & 0xf));
        ml = fr(min * (sc >>> 4));
        for (let l = 0; l < 16; l++) y[yo++] = fr(dl * ((q[qs + l + 16]! >>> shift) & 3)) - ml;
      }
    }
  }
}

export interface Q3KScratch {
  L: Int8Array;
  scales: Float32Array;
}

export function q3kScratch(): Q3KScratch {
  return { L: new Int8Array(QK_K), scales: new Float32Array(16) };
}

/** The j-th signed 6-bit scale of a Q3_K block whose scales start at `so`. */
function q3Scale(q: Uint8Array, so: number, j: number): number {
  const lo = j < 8 ? q[so + j]! & 0xf : q[so + j - 8]! >>> 4;
  return toInt8((lo | (((q[so + 8 + (j % 4)]! >>> (2 * (j >> 2))) & 3) << 4)) - 32);
}

export function quantizeQ3K(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number, s: Q3KScratch): void {
  const { L, scales } = s;
  for (let b = 0; b < n / QK_K; b++, xo += QK_K, oo += 110) {
    let maxScale = 0;
    let amax = 0;
    for (let j = 0; j < 16; j++) {
      const sc = makeQ3Quants(16, 4, x, xo + 16 * j, L, 16 * j);
      scales[j] = sc;
      const a = Math.abs(sc);
      if (a > amax) {
        amax = a;
        maxScale = sc;
      }
    }
    const so = oo + 96;
    out.fill(0, so, so + 12);
    if (maxScale !== 0) {
      const iscale = fr(-32 / maxScale);
      for (let j = 0; j < 16; j++) {
        let l = toInt8(nearestInt(fr(iscale * scales[j]!)));
        l = Math.max(-32, Math.min(31, l)) + 32;
        if (j < 8) out[so + j] = l & 0xf;
        else out[so + j - 8] = out[so + j - 8]! | ((l & 0xf) << 4);
        l >>= 4;
        out[so + (j % 4) + 8] = out[so + (j % 4) + 8]! | (l << (2 * (j >> 2)));
      }
      putHalf(out, oo + 108, fp32ToFp16(fr(1 / iscale)));
    } else {
      putHalf(out, oo + 108, 0);
    }
    const dAll = getHalf(out, oo + 108);
    for (let j = 0; j < 16; j++) {
      const d = fr(dAll * q3Scale(out, so, j));
      if (d === 0) continue; // C's `if (!d)`: NaN is not zero
      for (let i = 0; i < 16; i++) {
        const l = nearestInt(fr(x[xo + 16 * j + i]! / d));
        L[16 * j + i] = Math.max(-4, Math.min(3, l)) + 4;
      }
    }
    out.fill(0, oo, oo + 32);
    let m = 0;
    let hm = 1;
    for (let j = 0; j < QK_K; j++) {
      if (L[j]! > 3) {
        out[oo + m] = out[oo + m]! | hm;
        L[j] = L[j]! - 4;
      }
      if (++m === 32) {
        m = 0;
        hm <<= 1;
      }
    }
    pack2bit(L, out, oo + 32);
  }
}

export function dequantizeQ3K(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void {
  for (let b = 0; b < n / QK_K; b++, qo += 110) {
    const dAll = getHalf(q, qo + 108);
    let qs = qo + 32;
    let m = 1;
    let is = 0;
    for (let half = 0; half < 2; half++, qs += 32) {
      for (let shift = 0; shift < 8; shift += 2, m <<= 1) {
        let dl = fr(dAll * q3Scale(q, qo + 96, is++));
        for (let l = 0; l < 16; l++) y[yo++] = dl * (((q[qs + l]! >>> shift) & 3) - (q[qo + l]! & m ? 0 : 4));
        dl = fr(dAll * q3Scale(q, qo + 96, is++));
        for (let l = 0; l < 16; l++) y[yo++] = dl * (((q[qs + l + 16]! >>> shift) & 3) - (q[qo + l + 16]! & m ? 0 : 4));
      }
    }
  }
}
