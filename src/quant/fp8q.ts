import { e4m3ToF32, e5m2ToF32, encodeE4m3Saturating, f32ToE5m2 } from './dtypes.js';

/**
 * FP8 weight quantization: scale = amax / fmax (448 for E4M3FN, 57344 for E5M2) per tensor, per
 * output channel or per 128x128 block (DeepSeek-V3), codes = saturating round-to-nearest-even
 * cast of x / scale; dequantization multiplies code and scale. Rows are independent (per
 * channel), or share a scale found in a first pass (per tensor), or come in bands of 128 rows
 * (blocks), so a tensor can be encoded a band at a time.
 */

export type Fp8Granularity = 'tensor' | 'channel' | 'block';
export type Fp8Kind = 'e4m3' | 'e5m2';

export const FP8_MAX: Record<Fp8Kind, number> = { e4m3: 448, e5m2: 57344 };

/** max |x| over all values (NaN ignored). */
export function amaxOf(x: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]!);
    if (a > m) m = a;
  }
  return m;
}

/** max |x| of each row of a [rows, cols] band. */
export function rowAmax(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = amaxOf(x.subarray(r * cols, (r + 1) * cols));
  return out;
}

/** max |x| of each block x block tile of a [rows, cols] band, row-major over tiles. */
export function tileAmax(x: Float32Array, rows: number, cols: number, block = 128): Float32Array {
  const bc = Math.ceil(cols / block);
  const out = new Float32Array(Math.ceil(rows / block) * bc);
  for (let r = 0; r < rows; r++) {
    const base = Math.floor(r / block) * bc;
    for (let c = 0; c < cols; c++) {
      const a = Math.abs(x[r * cols + c]!);
      const k = base + Math.floor(c / block);
      if (a > out[k]!) out[k] = a;
    }
  }
  return out;
}

/** The dequantization scale for an amax (1 for an all-zero group, whose codes are all 0). */
export function fp8Scale(amax: number, kind: Fp8Kind = 'e4m3'): number {
  return amax > 0 ? Math.fround(amax / FP8_MAX[kind]) : 1;
}

/**
 * Codes of a [rows, cols] band: x / scale cast with saturation. `scales` holds one value
 * (tensor), one per row (channel), or one per 128x128 tile of the band (block).
 */
export function encodeFp8(
  x: Float32Array,
  rows: number,
  cols: number,
  granularity: Fp8Granularity,
  scales: Float32Array,
  kind: Fp8Kind,
  codes: Uint8Array,
  block = 128,
): void {
  const bc = Math.ceil(cols / block);
  const row = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = granularity === 'block' ? Math.floor(r / block) * bc : granularity === 'channel' ? r : 0;
    const off = r * cols;
    if (granularity === 'block')
      for (let c0 = 0; c0 < cols; c0 += block) {
        const sc = scales[base + c0 / block]!;
        const hi = Math.min(cols, c0 + block);
        for (let c = c0; c < hi; c++) row[c] = x[off + c]! / sc;
      }
    else {
      const sc = scales[base]!;
      for (let c = 0; c < cols; c++) row[c] = x[off + c]! / sc;
    }
    if (kind === 'e4m3') encodeE4m3Saturating(row, codes.subarray(off, off + cols));
    else for (let c = 0; c < cols; c++) codes[off + c] = f32ToE5m2(row[c]!, true);
  }
}

/** float32 value of every FP8 code. */
export function fp8Table(kind: Fp8Kind): Float32Array {
  const dec = kind === 'e4m3' ? e4m3ToF32 : e5m2ToF32;
  return Float32Array.from({ length: 256 }, (_, c) => dec(c));
}

export interface Fp8Quant {
  codes: Uint8Array;
  /** Dequantization multipliers: [1], [rows], or [ceil(rows/128), ceil(cols/128)]. */
  scales: Float32Array;
  scaleShape: number[];
  format: Fp8Kind;
  granularity: Fp8Granularity;
}

/** Whole-tensor FP8 quantization with fp32 scales. */
export function quantizeFp8(
  w: Float32Array,
  rows: number,
  cols: number,
  granularity: Fp8Granularity = 'tensor',
  format: Fp8Kind = 'e4m3',
  block = 128,
): Fp8Quant {
  const amax = granularity === 'block' ? tileAmax(w, rows, cols, block) : granularity === 'channel' ? rowAmax(w, rows, cols) : Float32Array.of(amaxOf(w));
  const scales = amax.map((a) => fp8Scale(a, format));
  const codes = new Uint8Array(rows * cols);
  encodeFp8(w, rows, cols, granularity, scales, format, codes, block);
  const scaleShape = granularity === 'block' ? [Math.ceil(rows / block), Math.ceil(cols / block)] : granularity === 'channel' ? [rows, 1] : [1];
  return { codes, scales, scaleShape, format, granularity };
}

export function dequantizeFp8(q: Fp8Quant, rows: number, cols: number, block = 128): Float32Array {
  const table = fp8Table(q.format);
  const bc = Math.ceil(cols / block);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const k = q.granularity === 'block' ? Math.floor(r / block) * bc + Math.floor(c / block) : q.granularity === 'channel' ? r : 0;
      out[r * cols + c] = Math.fround(table[q.codes[r * cols + c]!]! * q.scales[k]!);
    }
  return out;
}
