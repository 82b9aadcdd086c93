import { f16ToF32, f32ToF16 } from './dtypes.js';

/**
 * KV-cache quantization as KIVI does it (arXiv 2402.02750; research/quant-specs.md 4.1):
 * asymmetric min/max per group with fp16 scale and minimum, keys grouped per channel along
 * tokens, values per token along channels, and the most recent tokens kept in full
 * precision (the residual window).
 */

export type KvAxis = 'per-channel' | 'per-token';

export interface KvQuantized {
  bits: number;
  group: number;
  axis: KvAxis;
  tokens: number;
  dim: number;
  /** Quantized tokens (the rest are in the residual window). */
  quantizedTokens: number;
  codes: Uint8Array;
  scale: Float32Array;
  min: Float32Array;
  /** The residual window, full precision, [tokens - quantizedTokens, dim]. */
  residual: Float32Array;
}

const fp16 = (x: number) => f16ToF32(f32ToF16(x));

/**
 * Quantizes a [tokens, dim] cache (one head). Keys: axis 'per-channel' (groups of `group`
 * tokens per channel); values: 'per-token' (groups of `group` channels per token). With a
 * residual window R, per-channel keys quantize whole groups of tokens leaving at most R + G - 1
 * recent tokens in full precision; per-token values leave exactly the last R.
 */
export function quantizeKv(x: Float32Array, tokens: number, dim: number, axis: KvAxis, bits = 4, group = 32, residual = 0): KvQuantized {
  const maxq = (1 << bits) - 1;
  let qt = Math.max(0, tokens - residual);
  if (axis === 'per-channel') qt -= qt % group;
  const codes = new Uint8Array(qt * dim);
  const groupsPer = axis === 'per-channel' ? Math.ceil(qt / group) * dim : qt * Math.ceil(dim / group);
  const scale = new Float32Array(groupsPer);
  const min = new Float32Array(groupsPer);
  const doGroup = (gi: number, idx: (k: number) => number, len: number) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < len; k++) {
      const v = x[idx(k)]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const s = fp16((hi - lo) / maxq);
    const m = fp16(lo);
    scale[gi] = s;
    min[gi] = m;
    for (let k = 0; k < len; k++) {
      const i = idx(k);
      const q = s > 0 ? Math.round(Math.min(Math.max((x[i]! - m) / s, 0), maxq)) : 0;
      codes[i] = q;
    }
  };
  if (axis === 'per-channel') {
    const tg = Math.ceil(qt / group);
    for (let g = 0; g < tg; g++) {
      const t0 = g * group;
      const len = Math.min(group, qt - t0);
      for (let c = 0; c < dim; c++) doGroup(g * dim + c, (k) => (t0 + k) * dim + c, len);
    }
  } else {
    const cg = Math.ceil(dim / group);
    for (let t = 0; t < qt; t++) for (let g = 0; g < cg; g++) doGroup(t * cg + g, (k) => t * dim + g * group + k, Math.min(group, dim - g * group));
  }
  return { bits, group, axis, tokens, dim, quantizedTokens: qt, codes, scale, min, residual: x.slice(qt * dim, tokens * dim) };
}

export function dequantizeKv(q: KvQuantized): Float32Array {
  const out = new Float32Array(q.tokens * q.dim);
  const cg = Math.ceil(q.dim / q.group);
  for (let t = 0; t < q.quantizedTokens; t++) {
    for (let c = 0; c < q.dim; c++) {
      const gi = q.axis === 'per-channel' ? Math.floor(t / q.group) * q.dim + c : t * cg + Math.floor(c / q.group);
      out[t * q.dim + c] = Math.fround(q.codes[t * q.dim + c]! * q.scale[gi]! + q.min[gi]!);
    }
  }
  out.set(q.residual, q.quantizedTokens * q.dim);
  return out;
}

/** Stored bits per element of the quantized part: codes plus an fp16 scale and minimum per group. */
export function kvBitsPerElement(bits: number, group: number): number {
  return bits + 32 / group;
}

/** The arrays a quantized KV cache head is stored as (KIVI `new_pack` layout). */
export interface KvStorage {
  /**
   * Codes packed 32/bits per int32 along the grouped axis, lowest index in the lowest bits:
   * per-channel keys [quantizedTokens / (32/bits), dim] (tokens packed), per-token values
   * [quantizedTokens, dim / (32/bits)] (channels packed).
   */
  codes: Int32Array;
  /** fp16 scale and minimum per group (bits as Uint16). */
  scale: Uint16Array;
  min: Uint16Array;
  /** The residual window, fp16 bits, [tokens - quantizedTokens, dim]. */
  residual: Uint16Array;
}

/** Packs a quantized head for storage; the grouped axis must hold whole int32 words. */
export function packKv(q: KvQuantized): KvStorage {
  const per = 32 / q.bits;
  if (!Number.isInteger(per)) throw new RangeError(`${q.bits}-bit codes do not pack into int32 words`);
  const { dim, quantizedTokens: qt } = q;
  const codes = new Int32Array((qt * dim) / per);
  if (q.axis === 'per-channel') {
    if (qt % per !== 0) throw new RangeError(`${qt} quantized tokens do not fill ${per}-token words`);
    for (let w = 0; w < qt / per; w++)
      for (let c = 0; c < dim; c++) {
        let v = 0;
        for (let k = 0; k < per; k++) v |= q.codes[(w * per + k) * dim + c]! << (k * q.bits);
        codes[w * dim + c] = v;
      }
  } else {
    if (dim % per !== 0) throw new RangeError(`head dimension ${dim} does not fill ${per}-channel words`);
    for (let t = 0; t < qt; t++)
      for (let w = 0; w < dim / per; w++) {
        let v = 0;
        for (let k = 0; k < per; k++) v |= q.codes[t * dim + w * per + k]! << (k * q.bits);
        codes[t * (dim / per) + w] = v;
      }
  }
  const half = (a: Float32Array) => Uint16Array.from(a, (x) => f32ToF16(x));
  return { codes, scale: half(q.scale), min: half(q.min), residual: half(q.residual) };
}
