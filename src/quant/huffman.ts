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
  let total = 0;
  for (let i = 0; i < symbols.length; i++) total += lengths[symbols[i]!]!;
  const out = new Uint8Array(Math.ceil(total / 8) + 4);
  let acc = 0; // up to 32 pending bits, MSB-aligned in a 32-bit window
  let n = 0;
  let pos = 0;
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i]!;
    const len = lengths[s]!;
    acc = ((acc << len) | codes[s]!) >>> 0;
    n += len;
    while (n >= 8) {
      n -= 8;
      out[pos++] = (acc >>> n) & 0xff;
    }
    acc &= (1 << n) - 1;
  }
  if (n > 0) out[pos++] = (acc << (8 - n)) & 0xff;
  return { bytes: out.subarray(0, pos), bits: total };
}

/** Decodes `count` symbols from an MSB-first bitstream with a 2^16-entry lookup table. */
export function decode(bytes: Uint8Array, count: number, lengths: Uint8Array): Uint8Array {
  const codes = canonicalCodes(lengths);
  const table = new Uint16Array(1 << MAX_CODE_LENGTH); // (symbol << 5) | length
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s]!;
    if (!len) continue;
    const start = codes[s]! << (MAX_CODE_LENGTH - len);
    const end = start + (1 << (MAX_CODE_LENGTH - len));
    for (let k = start; k < end; k++) table[k] = (s << 5) | len;
  }
  const out = new Uint8Array(count);
  let acc = 0;
  let n = 0; // bits in acc
  let pos = 0;
  for (let i = 0; i < count; i++) {
    while (n < MAX_CODE_LENGTH) {
      acc = ((acc << 8) | (pos < bytes.length ? bytes[pos]! : 0)) >>> 0;
      pos++;
      n += 8;
    }
    const e = table[(acc >>> (n - MAX_CODE_LENGTH)) & 0xffff]!;
    const len = e & 31;
    if (len === 0) throw new Error('corrupt bitstream: no code matches');
    out[i] = e >>> 5;
    n -= len;
    acc &= n >= 32 ? 0xffffffff : (1 << n) - 1;
  }
  return out;
}
