import { FP16_TO_F32, fp32BitsToBf16, fp32BitsToFp16 } from './half.js';

/**
 * The unquantized types as ggml_quantize_chunk writes them: F32 copied, F16 by
 * `ggml_fp32_to_fp16_row` (round to nearest even), BF16 by `ggml_fp32_to_bf16_row_ref` (round to
 * nearest even, NaN quieted, subnormals kept). Little-endian, as GGUF v3 requires.
 */

function bitsOf(x: Float32Array, xo: number, n: number): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset + 4 * xo, n);
}

export function quantizeF32(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number): void {
  out.set(new Uint8Array(x.buffer, x.byteOffset + 4 * xo, 4 * n), oo);
}

export function dequantizeF32(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void {
  new Uint8Array(y.buffer, y.byteOffset + 4 * yo, 4 * n).set(q.subarray(qo, qo + 4 * n));
}

export function quantizeF16(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number): void {
  const b = bitsOf(x, xo, n);
  for (let i = 0; i < n; i++) {
    const h = fp32BitsToFp16(b[i]!);
    out[oo + 2 * i] = h & 0xff;
    out[oo + 2 * i + 1] = h >>> 8;
  }
}

export function dequantizeF16(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void {
  for (let i = 0; i < n; i++) y[yo + i] = FP16_TO_F32[q[qo + 2 * i]! | (q[qo + 2 * i + 1]! << 8)]!;
}

export function quantizeBf16(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number): void {
  const b = bitsOf(x, xo, n);
  for (let i = 0; i < n; i++) {
    const h = fp32BitsToBf16(b[i]!);
    out[oo + 2 * i] = h & 0xff;
    out[oo + 2 * i + 1] = h >>> 8;
  }
}

export function dequantizeBf16(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void {
  const u = new Uint32Array(y.buffer, y.byteOffset + 4 * yo, n);
  for (let i = 0; i < n; i++) u[i] = (q[qo + 2 * i]! | (q[qo + 2 * i + 1]! << 8)) << 16;
}
