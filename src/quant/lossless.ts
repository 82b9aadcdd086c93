import { LITTLE_ENDIAN } from './dtypes.js';
import { codeLengths, decode, decodeTables, encode, encoderTable } from './huffman.js';
import { losslessKernel, type LosslessKernel } from './wasm-lossless.js';
import { chunkLayout, mergeValues, packLengths, splitValues, STREAMS, streamSymbols, type Float16Kind } from './lossless-layout.js';

export {
  chunkLayout,
  mergeValues,
  packLengths,
  splitValues,
  STREAMS,
  streamSymbols,
  unpackLengths,
  type ChunkLayout,
  type Float16Kind,
} from './lossless-layout.js';

/**
 * Lossless compression of 16-bit floats (seed 000's "type 1", the DFloat11/ZipNN idea): the
 * byte that carries the exponent is Huffman-coded, the other byte stored raw. BF16 codes its
 * 8-bit exponent (bits 14..7) and stores sign + 7 mantissa bits; FP16 codes its high byte (sign,
 * 5-bit exponent, 2 mantissa bits) and stores the low byte. Exact round trip.
 *
 * A chunk of `count` values is stored as (all little-endian):
 *   raw bytes [count]
 *   byte lengths of exponent streams 0, 1, 2 (u32 each; stream 3 is the rest)
 *   code lengths: a 32-byte bitmap of the symbols present, then (length - 1) of each present
 *     symbol in symbol order, 4 bits each, low nibble first
 *   four exponent streams, LSB-first canonical Huffman codes, stream k holding symbols
 *     [k*q, min((k+1)*q, count)) with q = ceil(count / 4), each zero-padded to a byte.
 * Four independent streams let the decoder run four dependency chains at once. The WebAssembly
 * kernels (wasm-lossless.ts) and the scalar code here write and read the same bytes
 * (property-tested).
 */

export type Engine = 'auto' | 'wasm' | 'js';

function histogram(sym: Uint8Array): Float64Array {
  const h = new Float64Array(256);
  for (let i = 0; i < sym.length; i++) h[sym[i]!]!++;
  return h;
}

function encodeJs(src: Uint8Array, kind: Float16Kind): Uint8Array {
  const count = src.length >> 1;
  const sym = new Uint8Array(count);
  const raw = new Uint8Array(count);
  splitValues(src, kind, sym, raw);
  const lengths = codeLengths(histogram(sym));
  const table = encoderTable(lengths);
  const q = streamSymbols(count);
  const streams = Array.from({ length: STREAMS }, (_, k) => encode(sym.subarray(Math.min(count, k * q), Math.min(count, (k + 1) * q)), table));
  const lt = packLengths(lengths);
  const out = new Uint8Array(count + 12 + lt.length + streams.reduce((s, x) => s + x.length, 0));
  out.set(raw, 0);
  const dv = new DataView(out.buffer);
  for (let k = 0; k < 3; k++) dv.setUint32(count + 4 * k, streams[k]!.length, true);
  out.set(lt, count + 12);
  let at = count + 12 + lt.length;
  for (const s of streams) {
    out.set(s, at);
    at += s.length;
  }
  return out;
}

function decodeJs(payload: Uint8Array, kind: Float16Kind, out: Uint8Array): void {
  const count = out.length >> 1;
  const { lengths, streams } = chunkLayout(payload, count);
  if (count === 0) return;
  const t = decodeTables(lengths);
  const q = streamSymbols(count);
  const sym = new Uint8Array(count);
  for (let k = 0; k < STREAMS; k++) {
    const [at, len] = streams[k]!;
    const n = Math.max(0, Math.min(q, count - k * q));
    const bits = decode(payload.subarray(at, at + len), n, t, sym, k * q);
    if (Math.ceil(bits / 8) !== len) throw new Error('corrupt chunk: a stream has bytes after its last code');
  }
  mergeValues(sym, payload.subarray(0, count), kind, out);
}

function kernelFor(engine: Engine): LosslessKernel | null {
  if (engine === 'js' || !LITTLE_ENDIAN) {
    if (engine === 'wasm') throw new Error('the WebAssembly lossless kernel needs a little-endian runtime');
    return null;
  }
  const k = losslessKernel();
  if (!k && engine === 'wasm') throw new Error('the WebAssembly lossless kernel cannot run here (no WebAssembly SIMD)');
  return k;
}

/**
 * Compresses one chunk of little-endian 16-bit floats (an even number of bytes). `engine`: the
 * WebAssembly kernel ('wasm'), the scalar code ('js'), or the kernel where it runs ('auto');
 * all write the same bytes.
 */
export function encodeChunk16(src: Uint8Array, kind: Float16Kind, engine: Engine = 'auto'): Uint8Array {
  if (src.length % 2) throw new RangeError('16-bit values need an even number of bytes');
  const k = kernelFor(engine);
  return k ? k.encode(src, kind) : encodeJs(src, kind);
}

/** Restores a chunk into `out` (2 x count bytes); throws on a structurally corrupt payload. */
export function decodeChunk16(payload: Uint8Array, kind: Float16Kind, out: Uint8Array, engine: Engine = 'auto'): void {
  const k = kernelFor(engine);
  if (k) k.decode(payload, kind, out);
  else decodeJs(payload, kind, out);
}

/** Whether the WebAssembly kernel runs here. */
export function losslessWasmAvailable(): boolean {
  return LITTLE_ENDIAN && losslessKernel() !== null;
}

/** Shannon entropy of the coded byte, bits per element, and the resulting bound in bits per weight. */
export function entropyBound(bytes: Uint8Array, kind: Float16Kind): { exponentBits: number; boundBitsPerWeight: number } {
  const count = bytes.length >> 1;
  const sym = new Uint8Array(count);
  splitValues(bytes, kind, sym, new Uint8Array(count));
  return boundFromCounts(histogram(sym));
}

/** The entropy bound from a histogram of the coded byte. */
export function boundFromCounts(counts: ArrayLike<number>): { exponentBits: number; boundBitsPerWeight: number } {
  let n = 0;
  for (let e = 0; e < counts.length; e++) n += counts[e]!;
  let h = 0;
  for (let e = 0; e < counts.length; e++) {
    const c = counts[e]!;
    if (c > 0) h -= (c / n) * Math.log2(c / n);
  }
  return { exponentBits: h, boundBitsPerWeight: h + 8 };
}
