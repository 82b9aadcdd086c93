import { codeLengths, decode, encode } from './huffman.js';

/**
 * Lossless compression of 16-bit floats (seed 000's "type 1", the DFloat11/ZipNN idea):
 * the exponent field carries little information in trained weights, so it is
 * Huffman-coded; sign and mantissa are stored raw. Exact round trip.
 */

export type Float16Kind = 'bf16' | 'fp16';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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
}

function split(v: number, kind: Float16Kind): [number, number] {
  if (kind === 'bf16') return [(v >>> 7) & 0xff, ((v >>> 8) & 0x80) | (v & 0x7f)];
  return [(v >>> 10) & 0x1f, ((v >>> 5) & 0x400) | (v & 0x3ff)];
}

function join(e: number, r: number, kind: Float16Kind): number {
  if (kind === 'bf16') return ((r & 0x80) << 8) | (e << 7) | (r & 0x7f);
  return ((r & 0x400) << 5) | (e << 10) | (r & 0x3ff);
}

/** Compresses little-endian 16-bit float bytes. */
export function compress16(bytes: Uint8Array, kind: Float16Kind): Compressed {
  const count = bytes.length >> 1;
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
  return { kind, count, lengths, exponents: encode(exps, lengths).bytes, raw };
}

export function decompress16(c: Compressed): Uint8Array {
  const L = LAYOUT[c.kind];
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
  const count = bytes.length >> 1;
  const L = LAYOUT[kind];
  const counts = new Float64Array(1 << L.expBits);
  for (let i = 0; i < count; i++) counts[split(bytes[2 * i]! | (bytes[2 * i + 1]! << 8), kind)[0]]!++;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / count) * Math.log2(c / count);
  return { exponentBits: h, boundBitsPerWeight: h + L.rawBits };
}

/** Bits per weight actually used (payload; the 256-byte code-length table is counted too). */
export function compressedBitsPerWeight(c: Compressed): number {
  return ((c.exponents.length + c.raw.length + c.lengths.length) * 8) / Math.max(1, c.count);
}
