import { FP16_TO_F32, cvtt, fp32ToFp16, getHalf, putHalf, toInt8 } from './half.js';

/**
 * ggml's 32-value block types Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0: `quantize_row_*_ref` and
 * `dequantize_row_*` of ggml/src/ggml-quants.c, same float32 arithmetic, same bytes.
 * Layouts (ggml-common.h): Q4_0 {d: f16, qs[16]}, Q4_1 {d, m, qs[16]}, Q5_0 {d, qh[4], qs[16]},
 * Q5_1 {d, m, qh[4], qs[16]}, Q8_0 {d, qs: int8[32]}; qs[j] holds values j (low nibble) and j+16.
 */

const fr = Math.fround;
const QK = 32;

/** Signed absolute maximum of a block, the first value reaching it (`if (amax < fabsf(v))`). */
function signedMax(x: Float32Array, o: number): number {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < QK; j++) {
    const v = x[o + j]!;
    const a = Math.abs(v);
    if (amax < a) {
      amax = a;
      max = v;
    }
  }
  return max;
}

export function quantizeQ4_0(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < n / QK; b++, xo += QK, oo += 18) {
    const d = fr(signedMax(x, xo) / -8);
    const id = d !== 0 ? fr(1 / d) : 0;
    putHalf(out, oo, fp32ToFp16(d));
    if (id - id === 0) {
      // finite id: x*id + 8.5 lies in [0, 17), where C's truncating cast is a floor
      for (let j = 0; j < 16; j++) {
        const a = Math.min(15, Math.floor(fr(fr(x[xo + j]! * id) + 8.5)));
        const c = Math.min(15, Math.floor(fr(fr(x[xo + 16 + j]! * id) + 8.5)));
        out[oo + 2 + j] = a | (c << 4);
      }
      continue;
    }
    for (let j = 0; j < 16; j++) {
      const x0 = fr(x[xo + j]! * id);
      const x1 = fr(x[xo + 16 + j]! * id);
      const a = Math.min(15, toInt8(cvtt(fr(x0 + 8.5))));
      const c = Math.min(15, toInt8(cvtt(fr(x1 + 8.5))));
      out[oo + 2 + j] = a | (c << 4);
    }
  }
}

export function dequantizeQ4_0(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void {
  for (let b = 0; b < n / QK; b++, qo += 18, yo += QK) {
    const d = getHalf(q, qo);
    for (let j = 0; j < 16; j++) {
      const v = q[qo + 2 + j]!;
      y[yo + j] = ((v & 0x0f) - 8) * d;
      y[yo + j + 16] = ((v >>> 4) - 8) * d;
    }
  }
}

const FLT_MAX = 3.4028234663852886e38;

export function quantizeQ4_1(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < n / QK; b++, xo += QK, oo += 20) {
    let min = FLT_MAX;
    let max = -FLT_MAX;
    for (let j = 0; j < QK; j++) {
      const v = x[xo + j]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = fr(fr(max - min) / 15);
    const id = d !== 0 ? fr(1 / d) : 0;
    putHalf(out, oo, fp32ToFp16(d));
    putHalf(out, oo + 2, fp32ToFp16(min));
    for (let j = 0; j < 16; j++) {
      const x0 = fr(fr(x[xo + j]! - min) * id);
      const x1 = fr(fr(x[xo + 16 + j]! - min) * id);
      const a = Math.min(15, toInt8(cvtt(fr(x0 + 0.5))));
      const c = Math.min(15, toInt8(cvtt(fr(x1 + 0.5))));
      out[oo + 4 + j] = a | (c << 4);
    }
  }
}

export function dequantizeQ4_1(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void {
  for (let b = 0; b < n / QK; b++, qo += 20, yo += QK) {
    const d = getHalf(q, qo);
    const m = getHalf(q, qo + 2);
    for (let j = 0; j < 16; j++) {
      const v = q[qo + 4 + j]!;
      y[yo + j] = fr((v & 0x0f) * d) + m;
      y[yo + j + 16] = fr((v >>> 4) * d) + m;
    }
  }
}

export function quantizeQ5_0(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < n / QK; b++, xo += QK, oo += 22) {
    const d = fr(signedMax(x, xo) / -16);
    const id = d !== 0 ? fr(1 / d) : 0;
    putHalf(out, oo, fp32ToFp16(d));
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = fr(x[xo + j]! * id);
      const x1 = fr(x[xo + 16 + j]! * id);
      const a = Math.min(31, toInt8(cvtt(fr(x0 + 16.5))));
      const c = Math.min(31, toInt8(cvtt(fr(x1 + 16.5))));
      out[oo + 6 + j] = (a & 0x0f) | ((c & 0x0f) << 4);
      qh |= ((a & 0x10) >>> 4) << j;
      qh |= ((c & 0x10) >>> 4) << (j + 16);
    }
    writeQh(out, oo + 2, qh);
  }
}

function writeQh(out: Uint8Array, o: number, qh: number): void {
  out[o] = qh & 0xff;
  out[o + 1] = (qh >>> 8) & 0xff;
  out[o + 2] = (qh >>> 16) & 0xff;
  out[o + 3] = (qh >>> 24) & 0xff;
}

function readQh(q: Uint8Array, o: number): number {
  return (q[o]! | (q[o + 1]! << 8) | (q[o + 2]! << 16) | (q[o + 3]! << 24)) >>> 0;
}

export function dequantizeQ5_0(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void {
  for (let b = 0; b < n / QK; b++, qo += 22, yo += QK) {
    const d = getHalf(q, qo);
    const qh = readQh(q, qo + 2);
    for (let j = 0; j < 16; j++) {
      const v = q[qo + 6 + j]!;
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      y[yo + j] = (((v & 0x0f) | h0) - 16) * d;
      y[yo + j + 16] = (((v >>> 4) | h1) - 16) * d;
    }
  }
}

export function quantizeQ5_1(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < n / QK; b++, xo += QK, oo += 24) {
    let min = FLT_MAX;
    let max = -FLT_MAX;
    for (let j = 0; j < QK; j++) {
      const v = x[xo + j]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = fr(fr(max - min) / 31);
    const id = d !== 0 ? fr(1 / d) : 0;
    putHalf(out, oo, fp32ToFp16(d));
    putHalf(out, oo + 2, fp32ToFp16(min));
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = fr(fr(x[xo + j]! - min) * id);
      const x1 = fr(fr(x[xo + 16 + j]! - min) * id);
      const a = cvtt(fr(x0 + 0.5)) & 0xff;
      const c = cvtt(fr(x1 + 0.5)) & 0xff;
      out[oo + 8 + j] = (a & 0x0f) | ((c & 0x0f) << 4);
      qh |= ((a & 0x10) >>> 4) << j;
      qh |= ((c & 0x10) >>> 4) << (j + 16);
    }
    writeQh(out, oo + 4, qh);
  }
}

export function dequantizeQ5_1(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void {
  for (let b = 0; b < n / QK; b++, qo += 24, yo += QK) {
    const d = getHalf(q, qo);
    const m = getHalf(q, qo + 2);
    const qh = readQh(q, qo + 4);
    for (let j = 0; j < 16; j++) {
      const v = q[qo + 8 + j]!;
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      y[yo + j] = fr(((v & 0x0f) | h0) * d) + m;
      y[yo + j + 16] = fr(((v >>> 4) | h1) * d) + m;
    }
  }
}

export function quantizeQ8_0(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < n / QK; b++, xo += QK, oo += 34) {
    let amax = 0;
    for (let j = 0; j < QK; j++) {
      const a = Math.abs(x[xo + j]!);
      amax = amax > a ? amax : a; // MAX(amax, fabsf(v))
    }
    const d = fr(amax / 127);
    const id = d !== 0 ? fr(1 / d) : 0;
    putHalf(out, oo, fp32ToFp16(d));
    // |x*id| <= 127.5 or x*id is not finite; a Uint8Array store wraps in-range integers as C's
    // int8 cast does and stores 0 for NaN and infinities, the low byte of x86's INT_MIN
    for (let j = 0; j < QK; j++) {
      const v = fr(x[xo + j]! * id);
      const r = Math.floor(Math.abs(v) + 0.5); // roundf: half away from zero
      out[oo + 2 + j] = v < 0 ? -r : r;
    }
  }
}

export function dequantizeQ8_0(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void {
  for (let b = 0; b < n / QK; b++, qo += 34, yo += QK) {
    const d = FP16_TO_F32[q[qo]! | (q[qo + 1]! << 8)]!;
    for (let j = 0; j < QK; j++) y[yo + j] = ((q[qo + 2 + j]! << 24) >> 24) * d;
  }
}
