/**
 * Canonical Huffman coding over byte alphabets for the lossless codec: code lengths limited to
 * 16 bits, codes emitted LSB-first (the first bit of a code is the lowest unread bit of the
 * stream, as in Deflate, RFC 1951 section 3.1.1), so a decoder peeks the next bits with one
 * little-endian load and a shift. Decoding tables: a 4096-entry multi-symbol table (up to three
 * whole codes within the next 12 bits), a 4096-entry single-symbol table, and a second level
 * for codes longer than 12 bits.
 */

export const MAX_CODE_LENGTH = 16;
export const TABLE_BITS = 12;

/** Code lengths for symbol counts (0 for absent symbols), limited to MAX_CODE_LENGTH; a lone symbol gets length 1. */
export function codeLengths(counts: ArrayLike<number>): Uint8Array {
  const n = counts.length;
  let freq = Array.from(counts, (c) => c);
  for (;;) {
    const lengths = huffmanLengths(freq, n);
    let max = 0;
    for (let i = 0; i < n; i++) if (lengths[i]! > max) max = lengths[i]!;
    if (max <= MAX_CODE_LENGTH) return lengths;
    // flatten the distribution and retry (costs a fraction of a percent on skewed data)
    freq = freq.map((c) => (c > 0 ? Math.max(1, Math.ceil(c / 2)) : 0));
  }
}

function huffmanLengths(freq: number[], n: number): Uint8Array {
  const lengths = new Uint8Array(n);
  const present = [];
  for (let i = 0; i < n; i++) if (freq[i]! > 0) present.push(i);
  if (present.length === 0) return lengths;
  if (present.length === 1) {
    lengths[present[0]!] = 1;
    return lengths;
  }
  // nodes: leaves 0..n-1, internal n..; a binary heap on (weight, id)
  const weight: number[] = freq.slice();
  const parent: number[] = new Array(n).fill(-1);
  const heap: number[] = [];
  const less = (a: number, b: number) => weight[a]! < weight[b]! || (weight[a] === weight[b] && a < b);
  const push = (x: number) => {
    heap.push(x);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const pop = () => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  for (const i of present) push(i);
  while (heap.length > 1) {
    const a = pop();
    const b = pop();
    const id = weight.length;
    weight.push(weight[a]! + weight[b]!);
    parent.push(-1);
    parent[a] = id;
    parent[b] = id;
    push(id);
  }
  for (const i of present) {
    let d = 0;
    for (let x = i; parent[x]! >= 0; x = parent[x]!) d++;
    lengths[i] = d;
  }
  return lengths;
}

/** Canonical codes from lengths (shorter codes first, then by symbol), MSB-first values. */
export function canonicalCodes(lengths: Uint8Array): Uint32Array {
  const codes = new Uint32Array(lengths.length);
  const order = Array.from(lengths.keys())
    .filter((i) => lengths[i]! > 0)
    .sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  let code = 0;
  let prev = 0;
  for (const s of order) {
    code <<= lengths[s]! - prev;
    prev = lengths[s]!;
    codes[s] = code++;
  }
  return codes;
}

function reverse(code: number, len: number): number {
  let r = 0;
  for (let k = 0; k < len; k++) r |= ((code >>> k) & 1) << (len - 1 - k);
  return r;
}

/** Per symbol: (LSB-first code << 5) | length, the encoder's table. */
export function encoderTable(lengths: Uint8Array): Uint32Array {
  const codes = canonicalCodes(lengths);
  const t = new Uint32Array(256);
  for (let s = 0; s < lengths.length; s++) if (lengths[s]) t[s] = (reverse(codes[s]!, lengths[s]!) << 5) | lengths[s]!;
  return t;
}

export interface DecodeTables {
  /**
   * Indexed by the next 12 bits: the up to four symbols those bits hold whole (byte k: the k-th,
   * as `step` counts them); for a first code longer than 12 bits, its base in `long` << 8.
   */
  quad: Uint32Array;
  /** Indexed by the next 12 bits: bits the `quad` symbols take (bits 0-3) | how many (bits 4-6); 0 for a code longer than 12 bits. */
  step: Uint8Array;
  /** Indexed by the next 12 bits: (symbol << 5) | length, or 0 for a code longer than 12 bits. */
  single: Uint16Array;
  /** Second level: base + the 4 bits after the first 12 -> (symbol << 5) | length. */
  long: Uint16Array;
}

/**
 * Decoding tables for a complete prefix code (a Huffman code with two or more symbols), or
 * for one symbol of length 1 (both bit values then decode to it).
 */
export function decodeTables(lengths: Uint8Array): DecodeTables {
  const enc = encoderTable(lengths);
  const size = 1 << TABLE_BITS;
  const single = new Uint16Array(size);
  const longBase = new Int32Array(size).fill(-1);
  const long: number[] = [];
  const present: number[] = [];
  for (let s = 0; s < 256; s++) if (lengths[s]) present.push(s);
  if (present.length === 1) single.fill((present[0]! << 5) | 1);
  else
    for (const s of present) {
      const len = lengths[s]!;
      const code = enc[s]! >>> 5;
      const entry = (s << 5) | len;
      if (len <= TABLE_BITS) {
        for (let hi = 0; hi < 1 << (TABLE_BITS - len); hi++) single[code | (hi << len)] = entry;
        continue;
      }
      // a long code: its first 12 bits select a 16-entry block, the next 4 bits the entry
      const prefix = code & (size - 1);
      let base = longBase[prefix]!;
      if (base < 0) {
        base = long.length;
        longBase[prefix] = base;
        for (let k = 0; k < 16; k++) long.push(0);
      }
      const sub = code >>> TABLE_BITS;
      const extra = len - TABLE_BITS;
      for (let hi = 0; hi < 1 << (MAX_CODE_LENGTH - len); hi++) long[base + (sub | (hi << extra))] = entry;
    }
  const quad = new Uint32Array(size);
  const step = new Uint8Array(size);
  for (let idx = 0; idx < size; idx++) {
    const e = single[idx]!;
    if (e === 0) {
      quad[idx] = Math.max(0, longBase[idx]!) << 8;
      continue;
    }
    let total = e & 31;
    let count = 1;
    let syms = e >>> 5;
    for (let k = 1; k < 4; k++) {
      const e2 = single[idx >>> total]!;
      const l2 = e2 & 31;
      if (l2 === 0 || total + l2 > TABLE_BITS) break;
      syms |= (e2 >>> 5) << (8 * k);
      total += l2;
      count++;
    }
    quad[idx] = syms >>> 0;
    step[idx] = total | (count << 4);
  }
  return { quad, step, single, long: Uint16Array.from(long) };
}

/** Encodes symbols into an LSB-first bitstream (bytes, zero-padded to a byte). */
export function encode(symbols: Uint8Array, table: Uint32Array): Uint8Array {
  let bits = 0;
  for (let i = 0; i < symbols.length; i++) bits += table[symbols[i]!]! & 31;
  const out = new Uint8Array(Math.ceil(bits / 8));
  let acc = 0;
  let n = 0;
  let pos = 0;
  for (let i = 0; i < symbols.length; i++) {
    const t = table[symbols[i]!]!;
    acc |= (t >>> 5) << n;
    n += t & 31;
    while (n >= 8) {
      out[pos++] = acc & 0xff;
      acc >>>= 8;
      n -= 8;
    }
  }
  if (n > 0) out[pos++] = acc & 0xff;
  return out;
}

/**
 * Decodes `count` symbols from an LSB-first bitstream into out[at ...]. Returns the number of
 * bits consumed; a stream that runs past its end throws.
 */
export function decode(bytes: Uint8Array, count: number, t: DecodeTables, out: Uint8Array, at = 0): number {
  const total = bytes.length * 8;
  let bit = 0;
  for (let i = 0; i < count; i++) {
    const p = bit >>> 3;
    // the next 25+ bits, little-endian, zeros past the end
    const w = ((bytes[p] ?? 0) | ((bytes[p + 1] ?? 0) << 8) | ((bytes[p + 2] ?? 0) << 16) | ((bytes[p + 3] ?? 0) << 24)) >>> (bit & 7);
    const e = t.single[w & 0xfff]!;
    let sym: number;
    let len: number;
    if (e !== 0) {
      sym = e >>> 5;
      len = e & 31;
    } else {
      const l = t.long[(t.quad[w & 0xfff]! >>> 8) + ((w >>> TABLE_BITS) & 15)]!;
      sym = l >>> 5;
      len = l & 31;
      if (len === 0) throw new Error('corrupt bitstream: no code matches');
    }
    out[at + i] = sym;
    bit += len;
    if (bit > total) throw new Error('corrupt bitstream: it ends before the last symbol');
  }
  return bit;
}
