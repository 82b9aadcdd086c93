/**
 * Canonical Huffman coding over byte-sized alphabets, with code lengths limited to 16 bits
 * so decoding is one table lookup per symbol.
 */

export const MAX_CODE_LENGTH = 16;

/** Code lengths for symbol counts (0 for absent symbols), limited to MAX_CODE_LENGTH. */
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
  // nodes: leaves 0..n-1, internal n..; a simple binary heap on (weight, id)
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

/** Canonical codes from lengths (shorter codes first, then by symbol). */
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

/** Encodes symbols into an MSB-first bitstream; returns the bytes and the bit count. */
export function encode(symbols: Uint8Array, lengths: Uint8Array): { bytes: Uint8Array; bits: number } {
  const codes = canonicalCodes(lengths);
  // (code << 5) | length per symbol: one lookup in the hot loop
  const tbl = new Uint32Array(256);
  for (let s = 0; s < lengths.length; s++) tbl[s] = (codes[s]! << 5) | lengths[s]!;
  let total = 0;
  for (let i = 0; i < symbols.length; i++) total += tbl[symbols[i]!]! & 31;
  const out = new Uint8Array(Math.ceil(total / 8) + 4);
  let acc = 0; // n pending bits in the low end; n < 8 between symbols, so at most 23 after one
  let n = 0;
  let pos = 0;
  for (let i = 0; i < symbols.length; i++) {
    const t = tbl[symbols[i]!]!;
    const len = t & 31;
    acc = (acc << len) | (t >>> 5);
    n += len;
    if (n >= 16) {
      n -= 8;
      out[pos++] = acc >>> n;
      n -= 8;
      out[pos++] = acc >>> n;
    } else if (n >= 8) {
      n -= 8;
      out[pos++] = acc >>> n;
    }
    acc &= (1 << n) - 1;
  }
  if (n > 0) out[pos++] = (acc << (8 - n)) & 0xff;
  return { bytes: out.subarray(0, pos), bits: total };
}

/** A 2^16-entry lookup table, (symbol << 5) | length, indexed by the next 16 bits of the stream (0: no code). */
export function lookupTable16(lengths: Uint8Array): Uint16Array {
  const codes = canonicalCodes(lengths);
  const table = new Uint16Array(1 << MAX_CODE_LENGTH);
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s]!;
    if (!len) continue;
    const start = codes[s]! << (MAX_CODE_LENGTH - len);
    table.fill((s << 5) | len, start, start + (1 << (MAX_CODE_LENGTH - len)));
  }
  return table;
}

/** Codes up to this length decode with one lookup in a 2^FAST_BITS table (4 KB, stays in L1). */
const FAST_BITS = 11;

/**
 * Decodes `count` symbols from an MSB-first bitstream: one lookup in a small table for codes
 * of up to FAST_BITS bits, the 16-bit table for the (rare) longer codes. Throws on a bit
 * pattern no code matches and on a stream that ends before `count` symbols.
 */
export function decode(bytes: Uint8Array, count: number, lengths: Uint8Array): Uint8Array {
  const t16 = lookupTable16(lengths);
  // the short codes: an entry of t16 whose length fits in FAST_BITS covers every sample of its prefix
  const table = new Uint16Array(1 << FAST_BITS); // 0 = longer (or no) code
  for (let k = 0; k < table.length; k++) {
    const e = t16[k << (MAX_CODE_LENGTH - FAST_BITS)]!;
    if ((e & 31) <= FAST_BITS) table[k] = e;
  }
  const out = new Uint8Array(count);
  const total = bytes.length * 8;
  const safe = bytes.length - 4; // a 4-byte window starting at or before this index is in bounds
  let bit = 0;
  for (let i = 0; i < count; i++) {
    const p = bit >>> 3;
    let w: number;
    if (p <= safe) w = (bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!;
    else {
      w = 0;
      for (let k = 0; k < 4; k++) w = (w << 8) | (p + k < bytes.length ? bytes[p + k]! : 0);
    }
    w = (w << (bit & 7)) >>> 0; // the next 25+ bits of the stream, MSB first
    const e = table[w >>> (32 - FAST_BITS)]!;
    if (e !== 0) {
      const len = e & 31;
      out[i] = e >>> 5;
      bit += len;
      // a second short code often fits in the same window (25 valid bits >= len + FAST_BITS)
      if (len <= 25 - FAST_BITS && i + 1 < count) {
        const e2 = table[((w << len) >>> 0) >>> (32 - FAST_BITS)]!;
        if (e2 !== 0) {
          out[++i] = e2 >>> 5;
          bit += e2 & 31;
        }
      }
    } else {
      const e16 = t16[w >>> (32 - MAX_CODE_LENGTH)]!;
      if (e16 === 0) throw new Error('corrupt bitstream: no code matches');
      out[i] = e16 >>> 5;
      bit += e16 & 31;
    }
    if (bit > total) throw new Error('corrupt bitstream: it ends before the last symbol');
  }
  return out;
}
