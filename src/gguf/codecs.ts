import type { GgmlType } from './ggml-types.js';
import { GGML_TYPE_INFO, rowBytes } from './ggml-types.js';
import * as f from './quant-float.js';
import * as iq from './quant-iq4nl.js';
import * as leg from './quant-legacy.js';
import * as k2 from './quant-q2k-q3k.js';
import * as k4 from './quant-q4k-q5k.js';
import * as k6 from './quant-q6k.js';
import type { KSearch } from './kquant-search.js';
import { wasmKQuant, type WasmKQuant } from './wasm-kquant.js';

/**
 * One codec per ggml type, chosen from a table (no string `if` chains): quantize float32 values
 * into ggml's bytes and back. A codec owns the scratch buffers its quantizer needs, so create one
 * per thread of work with `createCodec` and reuse it; the kernels themselves keep no state.
 */
export interface GgmlCodec {
  readonly type: GgmlType;
  readonly blockSize: number;
  readonly blockBytes: number;
  /** Quantizes `n` values (a multiple of blockSize) of x from xo into out from oo. */
  quantize(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number): void;
  /** Dequantizes `n` values from q at qo into y from yo. */
  dequantize(q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number): void;
}

/** Which implementation of the k-quant searches to use: WebAssembly where available (default), or JavaScript. */
export type KernelChoice = 'auto' | 'js' | 'wasm';

type Kernel = (x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number) => void;
type Dekernel = (q: Uint8Array, qo: number, n: number, y: Float32Array, yo: number) => void;

const FACTORIES: Record<GgmlType, (k: KernelChoice) => [Kernel, Dekernel]> = {
  F32: () => [f.quantizeF32, f.dequantizeF32],
  F16: () => [f.quantizeF16, f.dequantizeF16],
  BF16: () => [f.quantizeBf16, f.dequantizeBf16],
  Q8_0: () => [leg.quantizeQ8_0, leg.dequantizeQ8_0],
  Q4_0: () => [leg.quantizeQ4_0, leg.dequantizeQ4_0],
  Q4_1: () => [leg.quantizeQ4_1, leg.dequantizeQ4_1],
  Q5_0: () => [leg.quantizeQ5_0, leg.dequantizeQ5_0],
  Q5_1: () => [leg.quantizeQ5_1, leg.dequantizeQ5_1],
  IQ4_NL: () => {
    const s = iq.iq4nlScratch();
    return [(x, xo, n, out, oo) => iq.quantizeIq4nl(x, xo, n, out, oo, s), iq.dequantizeIq4nl];
  },
  Q2_K: (k) => staged(k, k2.q2kScratch(), k2.quantizeQ2K, k2.dequantizeQ2K, true),
  Q3_K: () => {
    const s = k2.q3kScratch();
    return [(x, xo, n, out, oo) => k2.quantizeQ3K(x, xo, n, out, oo, s), k2.dequantizeQ3K];
  },
  Q4_K: (k) => staged(k, k4.kScratch(), k4.quantizeQ4K, k4.dequantizeQ4K, true),
  Q5_K: (k) => staged(k, k4.kScratch(), k4.quantizeQ5K, k4.dequantizeQ5K, true),
  Q6_K: (k) => staged(k, k6.q6kScratch(), k6.quantizeQ6K, k6.dequantizeQ6K, false),
};

/** Scratch of a k-quant whose level search can run in WebAssembly: unsigned levels and group weights, or signed levels. */
type KScratch = { search: KSearch; L: Uint8Array; weights: Float32Array } | { search: KSearch; L: Int8Array };

/**
 * A k-quant codec: the JavaScript kernel on its own scratch, or, with WebAssembly kernels, the
 * values staged into kernel memory and the scratch's levels (and group weights) pointed at the
 * kernel's views, so the search writes where the packer reads.
 */
function staged<S extends KScratch>(
  k: KernelChoice,
  s: S,
  quantize: (x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number, s: S) => void,
  dequantize: Dekernel,
  unsigned: boolean,
): [Kernel, Dekernel] {
  const w = kernels(k);
  if (!w) return [(x, xo, n, out, oo) => quantize(x, xo, n, out, oo, s), dequantize];
  s.search = w.search;
  return [
    (x, xo, n, out, oo) => {
      const v = w.stage(x, xo, n);
      if (unsigned) {
        const u = s as Extract<KScratch, { weights: Float32Array }>;
        u.L = w.levels;
        u.weights = w.weights;
      } else (s as Extract<KScratch, { L: Int8Array }>).L = w.levelsSigned;
      quantize(v, 0, n, out, oo, s);
    },
    dequantize,
  ];
}

function kernels(k: KernelChoice): WasmKQuant | null {
  if (k === 'js') return null;
  const w = wasmKQuant();
  if (!w && k === 'wasm') throw new Error('WebAssembly is not available here; use the JavaScript kernels');
  return w;
}

export function createCodec(type: GgmlType, kernel: KernelChoice = 'auto'): GgmlCodec {
  const info = GGML_TYPE_INFO[type];
  const [quantize, dequantize] = FACTORIES[type](kernel);
  return { type, blockSize: info.blockSize, blockBytes: info.blockBytes, quantize, dequantize };
}

/** Quantizes `rows` rows of `cols` values (row-major float32) into a new buffer of ggml bytes. */
export function quantizeRows(type: GgmlType, x: Float32Array, rows: number, cols: number, codec: GgmlCodec = createCodec(type)): Uint8Array {
  if (x.length < rows * cols) throw new RangeError(`${rows}x${cols} values needed, ${x.length} given`);
  const rb = rowBytes(type, cols);
  const out = new Uint8Array(rb * rows);
  for (let r = 0; r < rows; r++) codec.quantize(x, r * cols, cols, out, r * rb);
  return out;
}

/** Dequantizes `rows` rows of `cols` values from ggml bytes. */
export function dequantizeRows(type: GgmlType, q: Uint8Array, rows: number, cols: number, codec: GgmlCodec = createCodec(type)): Float32Array {
  const rb = rowBytes(type, cols);
  if (q.length < rb * rows) throw new RangeError(`${rows} rows of ${cols} ${type} need ${rb * rows} bytes, ${q.length} given`);
  const y = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) codec.dequantize(q, r * rb, cols, y, r * cols);
  return y;
}
