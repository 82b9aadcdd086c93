import { getHalf, fp32ToFp16, putHalf } from './half.js';
import { GROUP_MAX_EPS } from './kquant-search.js';

/**
 * IQ4_NL (ggml/src/ggml-quants.c `quantize_iq4_nl` without an importance matrix, i.e.
 * `quantize_row_iq4_nl_impl(32, 32, ..., ntry = 7)`, and `dequantize_row_iq4_nl`): 32-value
 * blocks {d: f16, qs[16]} whose 4-bit codes index the non-linear table `kvalues_iq4nl`; the
 * scale is refined by weighted least squares (weights x^2) over 15 trial inverse scales.
 * llama.cpp's quantizer uses it as the fallback for Q2_K and Q3_K rows that are not a multiple
 * of 256 (src/llama-quant.cpp).
 */

const fr = Math.fround;
/** `kvalues_iq4nl` (ggml-common.h). */
export const IQ4NL_VALUES = Int8Array.of(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

/** ggml's `best_index_int8` over the 16 table values. */
function bestIndex(x: number): number {
  const v = IQ4NL_VALUES;
  if (x <= v[0]!) return 0;
  if (x >= v[15]!) return 15;
  let ml = 0;
  let mu = 15;
  while (mu - ml > 1) {
    const mav = (ml + mu) >> 1;
    if (x < v[mav]!) mu = mav;
    else ml = mav;
  }
  return fr(x - v[mu - 1]!) < fr(v[mu]! - x) ? mu - 1 : mu;
}

export interface Iq4nlScratch {
  L: Uint8Array;
  weight: Float32Array;
}

export function iq4nlScratch(): Iq4nlScratch {
  return { L: new Uint8Array(32), weight: new Float32Array(32) };
}

export function quantizeIq4nl(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number, s: Iq4nlScratch): void {
  const { L, weight } = s;
  const v0 = IQ4NL_VALUES[0]!;
  const ntry = 7;
  for (let b = 0; b < n / 32; b++, xo += 32, oo += 18) {
    out.fill(0, oo + 2, oo + 18);
    for (let j = 0; j < 32; j++) weight[j] = fr(x[xo + j]! * x[xo + j]!);
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const ax = Math.abs(x[xo + j]!);
      if (ax > amax) {
        amax = ax;
        max = x[xo + j]!;
      }
    }
    let scale = 0;
    if (!(amax < GROUP_MAX_EPS)) {
      let d = fr(-max / v0);
      let id = fr(1 / d);
      let sumqx = 0;
      let sumq2 = 0;
      for (let j = 0; j < 32; j++) {
        const xj = x[xo + j]!;
        const l = bestIndex(fr(id * xj));
        L[j] = l;
        const q = IQ4NL_VALUES[l]!;
        const w = weight[j]!;
        sumqx = fr(sumqx + fr(fr(w * q) * xj));
        sumq2 = fr(sumq2 + fr(fr(w * q) * q));
      }
      d = sumq2 > 0 ? fr(sumqx / sumq2) : 0;
      let best = fr(d * sumqx);
      for (let itry = -ntry; itry <= ntry; itry++) {
        id = fr((itry + v0) / max);
        sumqx = 0;
        sumq2 = 0;
        for (let j = 0; j < 32; j++) {
          const xj = x[xo + j]!;
          const q = IQ4NL_VALUES[bestIndex(fr(id * xj))]!;
          const w = weight[j]!;
          sumqx = fr(sumqx + fr(fr(w * q) * xj));
          sumq2 = fr(sumq2 + fr(fr(w * q) * q));
        }
        if (sumq2 > 0 && fr(sumqx * sumqx) > fr(best * sumq2)) {
          d = fr(sumqx / sumq2);
          best = fr(d * sumqx);
        }
      }
      scale = d;
    }
    putHalf(out, oo, fp32ToFp16(scale));
    const id = scale !== 0 ? fr(1 / scale) : 0;
    for (let j = 0; j < 32; j++) L[j] = bestIndex(fr(id * x[xo + j]!));
    for (let j = 0; j < 16; j++) out[oo + 2 + j] = L[j]! | (L[16 + j]! << 4);
  }
}

export function dequantizeIq4nl(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void {
  for (let b = 0; b < n / 32; b++, qo += 18, yo += 32) {
    const d = getHalf(q, qo);
    for (let j = 0; j < 16; j++) {
      const v = q[qo + 2 + j]!;
      y[yo + j] = d * IQ4NL_VALUES[v & 0xf]!;
      y[yo + j + 16] = d * IQ4NL_VALUES[v >>> 4]!;
    }
  }
}
