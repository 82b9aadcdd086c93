import { LITTLE_ENDIAN } from './dtypes.js';
import { canonicalCodes, codeLengths, decode, encode, lookupTable16 } from './huffman.js';
import { ensureMemory, instantiate, type WasmMemory } from './wasm.js';
import { CODES, huffmanModule, PAIR_BITS, PAIRS, pairTable, TABLE, WORK } from './wasm-huffman.js';

/**
 * Lossless compression of 16-bit floats (seed 000's "type 1", the DFloat11/ZipNN idea):
 * the exponent field carries little information in trained weights, so it is
 * Huffman-coded; sign and mantissa are stored raw. Exact round trip.
 */

export type Float16Kind = 'bf16' | 'fp16';

interface Layout {
  expBits: number;
  rawBits: number;
}
const LAYOUT: Record<Float16Kind, Layout> = { bf16: { expBits: 8, rawBits: 8 }, fp16: { expBits: 5, rawBits: 11 } };

export interface Compressed {
  kind: Float16Kind;
  count: number;
  lengths: Uint8Array;
  exponents: Uint8Array;
  raw: Uint8Array;
  /** Exponent histogram, when the coder has it (not stored in files). */
  counts?: ArrayLike<number>;
}

function split(v: number, kind: Float16Kind): [number, number] {
  if (kind === 'bf16') return [(v >>> 7) & 0xff, ((v >>> 8) & 0x80) | (v & 0x7f)];
  return [(v >>> 10) & 0x1f, ((v >>> 5) & 0x400) | (v & 0x3ff)];
}

function join(e: number, r: number, kind: Float16Kind): number {
  if (kind === 'bf16') return ((r & 0x80) << 8) | (e << 7) | (r & 0x7f);
  return ((r & 0x400) << 5) | (e << 10) | (r & 0x3ff);
}

/** BF16 compression in the WebAssembly kernel (split and Huffman-code a chunk per call); null when it cannot run. */
function compressBf16Wasm(bytes: Uint8Array): Compressed | null {
  const k = kernel();
  if (!k) return null;
  const count = bytes.length >> 1;
  const hist = exponentHistogram(bytes, 'bf16');
  const lengths = codeLengths(hist);
  const codes = canonicalCodes(lengths);
  let total = 0;
  for (let e = 0; e < 256; e++) total += hist[e]! * lengths[e]!;
  const srcAt = WORK;
  const rawAt = srcAt + 2 * CHUNK;
  const dstAt = rawAt + CHUNK;
  const need = dstAt + 2 * CHUNK + 16;
  if (!ensureMemory(k.mem, need)) return null;
  const heap = new Uint8Array(k.mem.buffer);
  const table = new Uint32Array(k.mem.buffer, CODES, 256);
  for (let e = 0; e < 256; e++) table[e] = (codes[e]! << 5) | lengths[e]!;
  const dv = new DataView(k.mem.buffer);
  dv.setInt32(4, 0, true);
  dv.setBigInt64(8, 0n, true);
  const exponents = new Uint8Array(Math.ceil(total / 8));
  const raw = new Uint8Array(count);
  let pos = 0;
  for (let i0 = 0; i0 < count; i0 += CHUNK) {
    const m = Math.min(CHUNK, count - i0);
    heap.set(bytes.subarray(2 * i0, 2 * (i0 + m)), srcAt);
    k.encode(m, srcAt, rawAt, dstAt);
    raw.set(heap.subarray(rawAt, rawAt + m), i0);
    const q = dv.getInt32(0, true);
    exponents.set(heap.subarray(dstAt, dstAt + q), pos);
    pos += q;
  }
  // the last pending bits, MSB first, zero-padded to a byte
  let n = dv.getInt32(4, true);
  const acc = dv.getBigUint64(8, true);
  while (n > 0) {
    const shift = BigInt(n - 8);
    exponents[pos++] = Number((shift >= 0n ? acc >> shift : acc << -shift) & 0xffn);
    n -= 8;
  }
  return { kind: 'bf16', count, lengths, exponents, raw, counts: hist };
}

/**
 * Compresses little-endian 16-bit float bytes. `engine`: 'auto' runs the WebAssembly coder
 * for BF16 tensors of at least 64 K values where it can, 'wasm' always (an error if it
 * cannot), 'js' never; all three write the same bytes.
 */
export function compress16(bytes: Uint8Array, kind: Float16Kind, engine: 'auto' | 'wasm' | 'js' = 'auto'): Compressed {
  const count = bytes.length >> 1;
  if (engine === 'wasm' || (engine === 'auto' && kind === 'bf16' && LITTLE_ENDIAN && count >= CHUNK)) {
    const c = kind === 'bf16' && LITTLE_ENDIAN ? compressBf16Wasm(bytes) : null;
    if (c) return c;
    if (engine === 'wasm') throw new Error('the WebAssembly coder cannot run here (BF16 on a little-endian runtime with WebAssembly only)');
  }
  const L = LAYOUT[kind];
  const exps = new Uint8Array(count);
  const counts = new Float64Array(1 << L.expBits);
  const raw = new Uint8Array(Math.ceil((count * L.rawBits) / 8));
  let acc = 0;
  let n = 0;
  let pos = 0;
  if (kind === 'bf16') {
    // hot path: exponent = bits 14..7, raw byte = sign bit | 7 mantissa bits (no allocation per element)
    const hist = new Int32Array(256);
    if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
      const u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
      for (let i = 0; i < count; i++) {
        const v = u16[i]!;
        const e = (v >>> 7) & 0xff;
        exps[i] = e;
        hist[e]!++;
        raw[i] = ((v >>> 8) & 0x80) | (v & 0x7f);
      }
    } else
      for (let i = 0; i < count; i++) {
        const lo = bytes[2 * i]!;
        const hi = bytes[2 * i + 1]!;
        const e = ((hi & 0x7f) << 1) | (lo >>> 7);
        exps[i] = e;
        hist[e]!++;
        raw[i] = (hi & 0x80) | (lo & 0x7f);
      }
    for (let e = 0; e < 256; e++) counts[e] = hist[e]!;
  }
  for (let i = 0; kind !== 'bf16' && i < count; i++) {
    const v = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
    const [e, r] = split(v, kind);
    exps[i] = e;
    counts[e]!++;
    if (L.rawBits === 8) raw[i] = r;
    else {
      acc = ((acc << L.rawBits) | r) >>> 0;
      n += L.rawBits;
      while (n >= 8) {
        n -= 8;
        raw[pos++] = (acc >>> n) & 0xff;
      }
      acc &= (1 << n) - 1;
    }
  }
  if (L.rawBits !== 8 && n > 0) raw[pos] = (acc << (8 - n)) & 0xff;
  const lengths = codeLengths(counts);
  return { kind, count, lengths, exponents: encode(exps, lengths).bytes, raw, counts };
}

interface Kernel {
  mem: WasmMemory;
  run: (count: number, raw: number, dst: number, src: number) => number;
  encode: (count: number, src: number, raw: number, dst: number) => void;
}
let KERNEL: Kernel | null | undefined;
function kernel(): Kernel | null {
  if (KERNEL === undefined) {
    const e = instantiate(huffmanModule());
    KERNEL = e ? { mem: e['mem'] as WasmMemory, run: e['decodeBf16'] as Kernel['run'], encode: e['encodeBf16'] as Kernel['encode'] } : null;
  }
  return KERNEL;
}

/** Whether decompress16 runs the WebAssembly decoder for BF16 here. */
export function losslessWasmAvailable(): boolean {
  return kernel() !== null;
}

const CHUNK = 65536;

/** BF16 decompression in the WebAssembly kernel, a chunk of values per call; null when it cannot run. */
function decompressBf16Wasm(c: Compressed): Uint8Array | null {
  const k = kernel();
  if (!k) return null;
  const rawAt = WORK;
  const dstAt = rawAt + CHUNK;
  const srcAt = dstAt + 2 * CHUNK;
  const need = srcAt + c.exponents.length + 64;
  if (!ensureMemory(k.mem, need)) return null; // more than the module can address: the scalar decoder takes it
  const heap = new Uint8Array(k.mem.buffer);
  const t16 = lookupTable16(c.lengths);
  new Uint16Array(k.mem.buffer, TABLE, 65536).set(t16);
  new Uint32Array(k.mem.buffer, PAIRS, 1 << PAIR_BITS).set(pairTable(t16));
  heap.set(c.exponents, srcAt);
  heap.fill(0, srcAt + c.exponents.length, need);
  const dv = new DataView(k.mem.buffer);
  dv.setInt32(0, 0, true);
  dv.setInt32(4, 0, true);
  dv.setBigInt64(8, 0n, true);
  const out = new Uint8Array(2 * c.count);
  for (let i0 = 0; i0 < c.count; i0 += CHUNK) {
    const m = Math.min(CHUNK, c.count - i0);
    heap.set(c.raw.subarray(i0, i0 + m), rawAt);
    let status: number;
    try {
      status = k.run(m, rawAt, dstAt, srcAt);
    } catch {
      throw new Error('corrupt bitstream: it runs past its end');
    }
    if (status !== 0) throw new Error('corrupt bitstream: no code matches');
    out.set(heap.subarray(dstAt, dstAt + 2 * m), 2 * i0);
  }
  if (dv.getInt32(0, true) * 8 - dv.getInt32(4, true) > c.exponents.length * 8) throw new Error('corrupt bitstream: it ends before the last symbol');
  return out;
}

/**
 * Restores the 16-bit values. `engine`: 'auto' runs the WebAssembly decoder for BF16 tensors
 * of at least 64 K values where it can, 'wasm' always (an error if it cannot), 'js' never.
 */
export function decompress16(c: Compressed, engine: 'auto' | 'wasm' | 'js' = 'auto'): Uint8Array {
  const L = LAYOUT[c.kind];
  if (c.raw.length < Math.ceil((c.count * L.rawBits) / 8)) throw new Error(`corrupt stream: ${c.raw.length} raw bytes for ${c.count} values`);
  if (engine === 'wasm' || (engine === 'auto' && c.kind === 'bf16' && LITTLE_ENDIAN && c.count >= CHUNK)) {
    const out = c.kind === 'bf16' && LITTLE_ENDIAN ? decompressBf16Wasm(c) : null;
    if (out) return out;
    if (engine === 'wasm') throw new Error('the WebAssembly decoder cannot run here (BF16 on a little-endian runtime with WebAssembly only)');
  }
  const exps = decode(c.exponents, c.count, c.lengths);
  const out = new Uint8Array(2 * c.count);
  if (c.kind === 'bf16') {
    const raw = c.raw;
    if (LITTLE_ENDIAN) {
      const o16 = new Uint16Array(out.buffer, 0, c.count);
      for (let i = 0; i < c.count; i++) {
        const r = raw[i]!;
        o16[i] = ((r & 0x80) << 8) | (exps[i]! << 7) | (r & 0x7f);
      }
    } else
      for (let i = 0; i < c.count; i++) {
        const e = exps[i]!;
        const r = raw[i]!;
        out[2 * i] = ((e & 1) << 7) | (r & 0x7f);
        out[2 * i + 1] = (r & 0x80) | (e >>> 1);
      }
    return out;
  }
  let acc = 0;
  let n = 0;
  let pos = 0;
  for (let i = 0; i < c.count; i++) {
    let r: number;
    if (L.rawBits === 8) r = c.raw[i]!;
    else {
      while (n < L.rawBits) {
        acc = ((acc << 8) | c.raw[pos++]!) >>> 0;
        n += 8;
      }
      n -= L.rawBits;
      r = (acc >>> n) & ((1 << L.rawBits) - 1);
      acc &= (1 << n) - 1;
    }
    const v = join(exps[i]!, r, c.kind);
    out[2 * i] = v & 0xff;
    out[2 * i + 1] = v >>> 8;
  }
  return out;
}

/** Shannon entropy of the exponent field, bits per element, and the resulting bound in bits per weight. */
export function entropyBound(bytes: Uint8Array, kind: Float16Kind): { exponentBits: number; boundBitsPerWeight: number } {
  return boundFromCounts(exponentHistogram(bytes, kind), kind);
}

/** How often each exponent value occurs: bits 14..7 (bf16) or 14..10 (fp16) of each little-endian 16-bit value. */
function exponentHistogram(bytes: Uint8Array, kind: Float16Kind): Int32Array {
  const count = bytes.length >> 1;
  const size = 1 << LAYOUT[kind].expBits;
  const shift = kind === 'bf16' ? 7 : 10;
  const mask = size - 1;
  const hist = new Int32Array(size);
  if (!LITTLE_ENDIAN || bytes.byteOffset % 2 !== 0) {
    for (let i = 0; i < count; i++) hist[((bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) >>> shift) & mask]!++;
    return hist;
  }
  const u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  // four interleaved histograms: consecutive equal exponents do not wait on one counter
  const h4 = new Int32Array(4 * size);
  let i = 0;
  for (; i + 3 < count; i += 4) {
    h4[(u16[i]! >>> shift) & mask]!++;
    h4[size + ((u16[i + 1]! >>> shift) & mask)]!++;
    h4[2 * size + ((u16[i + 2]! >>> shift) & mask)]!++;
    h4[3 * size + ((u16[i + 3]! >>> shift) & mask)]!++;
  }
  for (; i < count; i++) h4[(u16[i]! >>> shift) & mask]!++;
  for (let e = 0; e < size; e++) hist[e] = h4[e]! + h4[size + e]! + h4[2 * size + e]! + h4[3 * size + e]!;
  return hist;
}

/** The entropy bound from an exponent histogram (as compress16 leaves in `counts`). */
export function boundFromCounts(counts: ArrayLike<number>, kind: Float16Kind): { exponentBits: number; boundBitsPerWeight: number } {
  let n = 0;
  for (let e = 0; e < counts.length; e++) n += counts[e]!;
  let h = 0;
  for (let e = 0; e < counts.length; e++) {
    const c = counts[e]!;
    if (c > 0) h -= (c / n) * Math.log2(c / n);
  }
  return { exponentBits: h, boundBitsPerWeight: h + LAYOUT[kind].rawBits };
}

/** Bits per weight actually used (payload; the 256-byte code-length table is counted too). */
export function compressedBitsPerWeight(c: Compressed): number {
  return ((c.exponents.length + c.raw.length + c.lengths.length) * 8) / Math.max(1, c.count);
}
