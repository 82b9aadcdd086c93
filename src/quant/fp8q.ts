import { e4m3ToF32, e5m2ToF32, f32ToE4m3Fast, f32ToE5m2 } from './dtypes.js';

/**
 * FP8 weight quantization with fp32 dequantization scales: per tensor (amax/448), per
 * output channel, or per 128x128 block (DeepSeek-V3), E4M3FN or E5M2, saturating casts.
 */

export type Fp8Granularity = 'tensor' | 'channel' | 'block';

export interface Fp8Quant {
  codes: Uint8Array;
  /** Dequantization multipliers: [1], [rows], or [ceil(rows/128), ceil(cols/128)]. */
  scales: Float32Array;
  scaleShape: number[];
  format: 'e4m3' | 'e5m2';
  granularity: Fp8Granularity;
}

export function quantizeFp8(
  w: Float32Array,
  rows: number,
  cols: number,
  granularity: Fp8Granularity = 'tensor',
  format: 'e4m3' | 'e5m2' = 'e4m3',
  block = 128,
): Fp8Quant {
  const fmax = format === 'e4m3' ? 448 : 57344;
  const enc = format === 'e4m3' ? f32ToE4m3Fast : f32ToE5m2;
  const br = granularity === 'block' ? Math.ceil(rows / block) : granularity === 'channel' ? rows : 1;
  const bc = granularity === 'block' ? Math.ceil(cols / block) : 1;
  const amax = new Float32Array(br * bc);
  const cell = (r: number, c: number) => (granularity === 'block' ? Math.floor(r / block) * bc + Math.floor(c / block) : granularity === 'channel' ? r : 0);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const k = cell(r, c);
      const a = Math.abs(w[r * cols + c]!);
      if (a > amax[k]!) amax[k] = a;
    }
  const scales = new Float32Array(amax.length);
  for (let k = 0; k < amax.length; k++) scales[k] = amax[k]! > 0 ? Math.fround(amax[k]! / fmax) : 1;
  const codes = new Uint8Array(rows * cols);
  const inv = scales.map((v) => 1 / v);
  for (let r = 0; r < rows; r++) {
    const rowBase = granularity === 'block' ? Math.floor(r / block) * bc : granularity === 'channel' ? r : 0;
    for (let c = 0; c < cols; c++) {
      const k = granularity === 'block' ? rowBase + Math.floor(c / block) : rowBase;
      codes[r * cols + c] = enc(w[r * cols + c]! * inv[k]!, true);
    }
  }
  const scaleShape = granularity === 'block' ? [br, bc] : granularity === 'channel' ? [rows, 1] : [];
  return { codes, scales, scaleShape, format, granularity };
}

export function dequantizeFp8(q: Fp8Quant, rows: number, cols: number, block = 128): Float32Array {
  const dec = q.format === 'e4m3' ? e4m3ToF32 : e5m2ToF32;
  const bc = q.granularity === 'block' ? Math.ceil(cols / block) : 1;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const k = q.granularity === 'block' ? Math.floor(r / block) * bc + Math.floor(c / block) : q.granularity === 'channel' ? r : 0;
      out[r * cols + c] = Math.fround(dec(q.codes[r * cols + c]!) * q.scales[k]!);
    }
  return out;
}
