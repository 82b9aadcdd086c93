import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './dtypes.js';

/**
 * Integer group quantization as AutoGPTQ's quantizer does it (round-to-nearest, no
 * Hessian feedback: "RTN"): per output row and group of input columns, a scale (stored
 * fp16) and a zero point; plus the GPTQ v1 checkpoint packing (research/quant-specs.md 2.1).
 */

/** JS Math.round rounds half up; torch.round (and GPTQ) rounds half to even. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export interface IntQuant {
  bits: number;
  groupSize: number;
  sym: boolean;
  rows: number;
  cols: number;
  /** Codes 0..2^bits-1, row-major [rows, cols]. */
  q: Uint8Array;
  /** fp16-rounded scales and integer zeros, [groups, rows]. */
  scales: Float32Array;
  zeros: Uint8Array;
}

/** How a checkpoint stores scales: the value a loader reads back for a float32 scale. */
export type ScaleRounding = (x: number) => number;
export const roundToF16: ScaleRounding = (x) => f16ToF32(f32ToF16(x));
export const roundToBf16: ScaleRounding = (x) => bf16ToF32(f32ToBf16(x));
export const roundToF32: ScaleRounding = (x) => Math.fround(x);

/**
 * Quantizes a [rows, cols] weight (cols = input features) in groups of `groupSize` columns.
 * Codes are computed against the scale as stored (`roundScale`: fp16 for GPTQ, the weight's
 * dtype for compressed-tensors), so dequantization with the stored scale is what was optimised.
 */
export function quantizeInt(
  w: Float32Array,
  rows: number,
  cols: number,
  bits: 4 | 8 | 2 | 3,
  groupSize = 128,
  sym = true,
  roundScale: ScaleRounding = roundToF16,
): IntQuant {
  const maxq = (1 << bits) - 1;
  const g = groupSize <= 0 ? cols : Math.min(groupSize, cols);
  const groups = Math.ceil(cols / g);
  const q = new Uint8Array(rows * cols);
  const scales = new Float32Array(groups * rows);
  const zeros = new Uint8Array(groups * rows);
  for (let r = 0; r < rows; r++) {
    for (let gi = 0; gi < groups; gi++) {
      const lo = gi * g;
      const hi = Math.min(lo + g, cols);
      let xmin = 0;
      let xmax = 0;
      for (let c = lo; c < hi; c++) {
        const v = w[r * cols + c]!;
        if (v < xmin) xmin = v;
        if (v > xmax) xmax = v;
      }
      if (sym) {
        xmax = Math.max(-xmin, xmax);
        if (xmin < 0) xmin = -xmax;
      }
      if (xmin === 0 && xmax === 0) {
        xmin = -1;
        xmax = 1;
      }
      const scale32 = Math.fround((xmax - xmin) / maxq);
      const zero = sym ? (maxq + 1) / 2 : roundHalfEven(-xmin / scale32);
      const s16 = roundScale(scale32); // checkpoints store rounded scales; quantize against them
      scales[gi * rows + r] = s16;
      zeros[gi * rows + r] = zero;
      const base = r * cols;
      for (let c = lo; c < hi; c++) {
        // round half to even, inline: Math.round rounds halves up, so step back from odd results of exact halves
        const t = w[base + c]! / s16;
        let k = Math.round(t);
        if (k - t === 0.5 && (k & 1) !== 0) k -= 1;
        const v = k + zero;
        q[base + c] = v < 0 ? 0 : v > maxq ? maxq : v;
      }
    }
  }
  return { bits, groupSize: g, sym, rows, cols, q, scales, zeros };
}

export function dequantizeInt(x: IntQuant): Float32Array {
  const out = new Float32Array(x.rows * x.cols);
  for (let r = 0; r < x.rows; r++) {
    for (let c = 0; c < x.cols; c++) {
      const gi = Math.floor(c / x.groupSize);
      out[r * x.cols + c] = Math.fround(x.scales[gi * x.rows + r]! * (x.q[r * x.cols + c]! - x.zeros[gi * x.rows + r]!));
    }
  }
  return out;
}

/**
 * GPTQ v1 tensors for 4- or 8-bit codes: qweight int32 [in*bits/32, out] packed along the
 * input dimension (lowest index in the lowest bits), qzeros int32 [groups, out*bits/32]
 * holding zero - 1 (the v1 quirk), scales fp16 [groups, out], g_idx int32 [in].
 */
export function packGptq(x: IntQuant): { qweight: Int32Array; qzeros: Int32Array; scales: Uint16Array; gIdx: Int32Array } {
  if (x.bits !== 4 && x.bits !== 8) throw new Error('GPTQ packing is implemented for 4 and 8 bits');
  const per = 32 / x.bits;
  const mask = (1 << x.bits) - 1;
  const { rows: out, cols: inp } = x;
  if (inp % per !== 0 || out % per !== 0) throw new Error(`GPTQ packing needs both dimensions to be multiples of ${per}`);
  const groups = Math.ceil(inp / x.groupSize);
  const qweight = new Int32Array((inp / per) * out);
  const words = inp / per;
  for (let o = 0; o < out; o++) {
    // per output: read its codes in order, write one word per `per` inputs (column o of qweight)
    const src = o * inp;
    for (let r = 0; r < words; r++) {
      let v = 0;
      for (let j = 0; j < per; j++) v |= (x.q[src + r * per + j]! & mask) << (j * x.bits);
      qweight[r * out + o] = v;
    }
  }
  const qzeros = new Int32Array(groups * (out / per));
  for (let g = 0; g < groups; g++) {
    for (let o = 0; o < out; o++) {
      const col = Math.floor(o / per);
      const shift = (o % per) * x.bits;
      qzeros[g * (out / per) + col] = qzeros[g * (out / per) + col]! | (((x.zeros[g * out + o]! - 1) & mask) << shift);
    }
  }
  const scales = new Uint16Array(groups * out);
  for (let k = 0; k < scales.length; k++) scales[k] = f32ToF16(x.scales[k]!);
  const gIdx = new Int32Array(inp);
  for (let i = 0; i < inp; i++) gIdx[i] = Math.floor(i / x.groupSize);
  return { qweight, qzeros, scales, gIdx };
}

/**
 * compressed-tensors `pack-quantized` tensors (compressed_tensors/compressors/pack_quantized):
 * weight_packed int32 [out, in*bits/32], each code stored as q + 2^(bits-1) (the signed value
 * shifted to unsigned, which is GPTQ's unsigned code) with the lowest input index in the lowest
 * bits; for asymmetric schemes weight_zero_point int32 [out*bits/32, groups] packed the same way
 * along the output dimension (zero points shifted by 2^(bits-1) too, i.e. GPTQ's unsigned zero,
 * without GPTQ's "zero - 1"). Scales are [out, groups] in the weight's dtype (the caller encodes).
 */
export function packCompressedTensors(x: IntQuant): { packed: Int32Array; zeroPoints: Int32Array | null } {
  if (x.bits !== 4 && x.bits !== 8) throw new Error('pack-quantized packing is implemented for 4 and 8 bits');
  const per = 32 / x.bits;
  const { rows, cols } = x;
  if (cols % per !== 0) throw new Error(`pack-quantized packing needs the input dimension to be a multiple of ${per}`);
  const packed = new Int32Array((rows * cols) / per);
  for (let r = 0; r < rows; r++)
    for (let w = 0; w < cols / per; w++) {
      let v = 0;
      for (let k = 0; k < per; k++) v |= x.q[r * cols + w * per + k]! << (k * x.bits);
      packed[r * (cols / per) + w] = v;
    }
  if (x.sym) return { packed, zeroPoints: null };
  if (rows % per !== 0) throw new Error(`pack-quantized zero points need the output dimension to be a multiple of ${per}`);
  const groups = Math.ceil(cols / x.groupSize);
  const zeroPoints = new Int32Array((rows / per) * groups);
  for (let w = 0; w < rows / per; w++)
    for (let g = 0; g < groups; g++) {
      let v = 0;
      for (let k = 0; k < per; k++) v |= x.zeros[g * rows + w * per + k]! << (k * x.bits);
      zeroPoints[w * groups + g] = v;
    }
  return { packed, zeroPoints };
}
