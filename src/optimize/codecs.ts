import { weightFormat } from '../formats/weights.js';
import { createCodec, type GgmlCodec } from '../gguf/codecs.js';
import { rowBytes, type GgmlType } from '../gguf/ggml-types.js';
import { FP4_CODE, NF4_CODE, quantize4bitBf16Into, quantize4bitInto } from '../quant/bnb.js';
import { encodeFp8, fp8Scale, fp8Table, rowAmax } from '../quant/fp8q.js';
import { quantizeInt, roundToBf16, roundToF16, roundToF32 } from '../quant/intq.js';

/**
 * The error a weight format leaves on real values, with the quantizers that write the files:
 * Sinan's checkpoint codecs (src/quant: NF4/FP4 blocks of 64, INT8/INT4 symmetric groups of 128
 * with scales in the weight's dtype, FP8 E4M3 per output channel) and ggml's reference quantizers
 * as src/gguf reproduces them byte for byte (Q8_0 ... Q6_K, k-quant scale searches in
 * WebAssembly). Each format's values are reconstructed as its loader reconstructs them, so the
 * error can be weighted per input column (activation statistics). A measurer owns its scratch
 * buffers: make one per thread.
 */

const CHECKPOINT: ReadonlySet<string> = new Set(['nf4', 'fp4', 'int4', 'int8', 'fp8-channel']);

/** Whether the measurer knows a (stored) format: the checkpoint codecs above, the GGUF block types, and 16 bits. */
export function measurable(id: string): boolean {
  if (id === 'keep' || id === 'bf16' || id === 'fp16') return true;
  const f = weightFormat(id);
  return !!f && (CHECKPOINT.has(id) || f.ggml !== undefined);
}

/** Rows of `cols` values one sample unit holds: whole 64-value blocks (NF4's run across rows). */
export function unitRows(cols: number): number {
  let g = 64;
  let c = cols;
  while (c % 2 === 0 && g > 1) {
    c /= 2;
    g /= 2;
  }
  return g;
}

export type Source = 'BF16' | 'F16' | 'F32';

export interface Measurer {
  /**
   * Sum of squared errors of `format` (what the writer stores for the tensor's shape: resolve.ts)
   * on `rows` x `cols` values, each column's squared error times `colWeights[c]` when given.
   * `raw`: the values' 16-bit bytes (BF16: the bitsandbytes fast path), or null.
   */
  sqErr(format: string, x: Float32Array, raw: Uint8Array | null, rows: number, cols: number, source: Source, colWeights?: Float32Array | null): number;
}

function errorsOf(x: Float32Array, y: Float32Array, rows: number, cols: number, w: Float32Array | null | undefined): number {
  let e = 0;
  if (!w) {
    for (let i = 0; i < rows * cols; i++) {
      const d = x[i]! - y[i]!;
      e += d * d;
    }
    return e;
  }
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      const d = x[o + c]! - y[o + c]!;
      e += d * d * w[c]!;
    }
  }
  return e;
}

export function createMeasurer(): Measurer {
  const ggml = new Map<string, GgmlCodec>();
  let q = new Uint8Array(0);
  let y = new Float32Array(0);
  let packed = new Uint8Array(0);
  let absmax = new Float32Array(0);
  const fp8 = fp8Table('e4m3');
  const grow = (n: number) => {
    if (y.length < n) y = new Float32Array(n);
  };
  return {
    sqErr(format, x, raw, rows, cols, source, w) {
      const n = rows * cols;
      if (format === 'keep' || format === 'bf16' || format === 'fp16') return 0;
      const spec = weightFormat(format);
      if (!spec) throw new RangeError(`unknown weight format '${format}'`);
      grow(n);
      if (spec.ggml) {
        let c = ggml.get(format);
        if (!c) {
          c = createCodec(spec.ggml as GgmlType);
          ggml.set(format, c);
        }
        const rb = rowBytes(c.type, cols);
        if (q.length < rb) q = new Uint8Array(rb);
        for (let r = 0; r < rows; r++) {
          c.quantize(x, r * cols, cols, q, 0);
          c.dequantize(q, 0, cols, y, r * cols);
        }
        return errorsOf(x, y, rows, cols, w);
      }
      if (format === 'nf4' || format === 'fp4') {
        // bitsandbytes: blocks of 64 over the flattened values, absmax scale, 16-entry code table
        const bs = 64;
        if (packed.length < (n + 1) >> 1) packed = new Uint8Array((n + 1) >> 1);
        if (absmax.length < Math.ceil(n / bs)) absmax = new Float32Array(Math.ceil(n / bs));
        const p = packed.subarray(0, (n + 1) >> 1);
        const a = absmax.subarray(0, Math.ceil(n / bs));
        if (raw && source === 'BF16') quantize4bitBf16Into(raw.subarray(0, 2 * n), bs, format, p, a, true);
        else quantize4bitInto(x.subarray(0, n), bs, format, p, a, true);
        const table = format === 'nf4' ? NF4_CODE : FP4_CODE;
        for (let i = 0; i < n; i++) {
          const b = p[i >> 1]!;
          y[i] = Math.fround(table[i & 1 ? b & 15 : b >> 4]! * a[Math.floor(i / bs)]!);
        }
        return errorsOf(x, y, rows, cols, w);
      }
      if (format === 'int4' || format === 'int8') {
        // compressed-tensors pack-quantized, symmetric, groups of 128, scales in the weight's dtype
        const round = source === 'BF16' ? roundToBf16 : source === 'F16' ? roundToF16 : roundToF32;
        const g = quantizeInt(x.subarray(0, n), rows, cols, format === 'int4' ? 4 : 8, 128, true, round);
        for (let r = 0; r < rows; r++)
          for (let c = 0; c < cols; c++) {
            const k = Math.floor(c / 128) * rows + r;
            y[r * cols + c] = Math.fround(g.scales[k]! * (g.q[r * cols + c]! - g.zeros[k]!));
          }
        return errorsOf(x, y, rows, cols, w);
      }
      if (format === 'fp8-channel') {
        const round = source === 'BF16' ? roundToBf16 : source === 'F16' ? roundToF16 : roundToF32;
        const scales = rowAmax(x.subarray(0, n), rows, cols).map((v) => round(fp8Scale(v)));
        if (q.length < n) q = new Uint8Array(n);
        const codes = q.subarray(0, n);
        encodeFp8(x.subarray(0, n), rows, cols, 'channel', scales, 'e4m3', codes);
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[r * cols + c] = Math.fround(fp8[codes[r * cols + c]!]! * scales[r]!);
        return errorsOf(x, y, rows, cols, w);
      }
      throw new RangeError(`Sinan cannot measure ${format} weights`);
    },
  };
}
