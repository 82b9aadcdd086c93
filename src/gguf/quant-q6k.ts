import { getHalf, fp32ToFp16, nearestInt, putHalf } from './half.js';
import { GROUP_MAX_EPS, JS_SEARCH, type KSearch } from './kquant-search.js';

/**
 * Q6_K (ggml/src/ggml-quants.c `quantize_row_q6_K_ref`, `dequantize_row_q6_K`): 256-value
 * super-blocks of sixteen 16-value groups, symmetric 6-bit levels (-32..31) with an 8-bit signed
 * scale per group from `make_qx_quants` and one fp16 super-block scale. Layout {ql[128], qh[64],
 * scales: int8[16], d} (210 bytes); within each 128-value half, value l (l < 32) and l+64 share
 * ql[l], values l+32 and l+96 share ql[l+32], and qh[l] carries the top two bits of all four.
 */

const fr = Math.fround;
const QK_K = 256;

export interface Q6KScratch {
  L: Int8Array;
  scales: Float32Array;
  search: KSearch;
}

export function q6kScratch(): Q6KScratch {
  return { L: new Int8Array(QK_K), scales: new Float32Array(16), search: JS_SEARCH };
}

export function quantizeQ6K(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number, s: Q6KScratch): void {
  const { L, scales } = s;
  for (let b = 0; b < n / QK_K; b++, xo += QK_K, oo += 210) {
    let maxScale = 0;
    let maxAbsScale = 0;
    for (let ib = 0; ib < 16; ib++) {
      const sc = s.search.qx1(16, 32, x, xo + 16 * ib, L, 16 * ib);
      scales[ib] = sc;
      const a = Math.abs(sc);
      if (a > maxAbsScale) {
        maxAbsScale = a;
        maxScale = sc;
      }
    }
    if (maxAbsScale < GROUP_MAX_EPS) {
      out.fill(0, oo, oo + 210);
      continue;
    }
    const iscale = fr(-128 / maxScale);
    putHalf(out, oo + 208, fp32ToFp16(fr(1 / iscale)));
    const so = oo + 192;
    for (let ib = 0; ib < 16; ib++) out[so + ib] = Math.min(127, nearestInt(fr(iscale * scales[ib]!))) & 0xff;
    const dAll = getHalf(out, oo + 208);
    for (let j = 0; j < 16; j++) {
      const d = fr(dAll * ((out[so + j]! << 24) >> 24));
      if (d === 0) continue; // C's `if (!d)`: NaN is not zero
      for (let i = 0; i < 16; i++) {
        const l = nearestInt(fr(x[xo + 16 * j + i]! / d));
        L[16 * j + i] = Math.max(-32, Math.min(31, l)) + 32;
      }
    }
    let ql = oo;
    let qh = oo + 128;
    for (let j = 0; j < QK_K; j += 128, ql += 64, qh += 32) {
      for (let l = 0; l < 32; l++) {
        const a = L[j + l]!;
        const c = L[j + l + 32]!;
        const e = L[j + l + 64]!;
        const f = L[j + l + 96]!;
        out[ql + l] = (a & 0xf) | ((e & 0xf) << 4);
        out[ql + l + 32] = (c & 0xf) | ((f & 0xf) << 4);
        out[qh + l] = (a >> 4) | ((c >> 4) << 2) | ((e >> 4) << 4) | ((f >> 4) << 6);
      }
    }
  }
}

export function dequantizeQ6K(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void {
  for (let b = 0; b < n / QK_K; b++, qo += 210) {
    const d = getHalf(q, qo + 208);
    let ql = qo;
    let qh = qo + 128;
    let sc = qo + 192;
    for (let half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8, yo += 128) {
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = q[qh + l]!;
        const q1 = ((q[ql + l]! & 0xf) | ((h & 3) << 4)) - 32;
        const q2 = ((q[ql + l + 32]! & 0xf) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((q[ql + l]! >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((q[ql + l + 32]! >> 4) | (((h >> 6) & 3) << 4)) - 32;
        y[yo + l] = fr(d * ((q[sc + is]! << 24) >> 24)) * q1;
        y[yo + l + 32] = fr(d * ((q[sc + is + 2]! << 24) >> 24)) * q2;
        y[yo + l + 64] = fr(d * ((q[sc + is + 4]! << 24) >> 24)) * q3;
        y[yo + l + 96] = fr(d * ((q[sc + is + 6]! << 24) >> 24)) * q4;
      }
    }
  }
}
