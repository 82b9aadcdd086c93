/**
 * The byte layout of a lossless chunk of 16-bit floats (described in lossless.ts): how values split
 * into a coded exponent byte and a raw byte, the stored code-length table, and the four streams.
 * Shared by the scalar codec (lossless.ts) and the WebAssembly kernels (wasm-lossless.ts).
 */

export type Float16Kind = 'bf16' | 'fp16';
export const STREAMS = 4;

/** Exponent-carrying byte and raw byte of each value. */
export function splitValues(src: Uint8Array, kind: Float16Kind, sym: Uint8Array, raw: Uint8Array): void {
  const count = src.length >> 1;
  for (let i = 0; i < count; i++) {
    const lo = src[2 * i]!;
    const hi = src[2 * i + 1]!;
    if (kind === 'bf16') {
      sym[i] = ((hi & 0x7f) << 1) | (lo >>> 7);
      raw[i] = (hi & 0x80) | (lo & 0x7f);
    } else {
      sym[i] = hi;
      raw[i] = lo;
    }
  }
}

export function mergeValues(sym: Uint8Array, raw: Uint8Array, kind: Float16Kind, out: Uint8Array): void {
  const count = out.length >> 1;
  for (let i = 0; i < count; i++) {
    const e = sym[i]!;
    const r = raw[i]!;
    if (kind === 'bf16') {
      out[2 * i] = ((e & 1) << 7) | (r & 0x7f);
      out[2 * i + 1] = (r & 0x80) | (e >>> 1);
    } else {
      out[2 * i] = r;
      out[2 * i + 1] = e;
    }
  }
}

/** The code-length table as stored: bitmap + nibbles. */
export function packLengths(lengths: Uint8Array): Uint8Array {
  const present: number[] = [];
  for (let s = 0; s < 256; s++) if (lengths[s]) present.push(s);
  const out = new Uint8Array(32 + Math.ceil(present.length / 2));
  for (const s of present) out[s >> 3] = out[s >> 3]! | (1 << (s & 7));
  present.forEach((s, k) => (out[32 + (k >> 1)] = out[32 + (k >> 1)]! | ((lengths[s]! - 1) << ((k & 1) * 4))));
  return out;
}

/** Reads a code-length table at `at`; returns the lengths and the table's size. */
export function unpackLengths(b: Uint8Array, at: number, allowEmpty = false): { lengths: Uint8Array; size: number } {
  if (at + 32 > b.length) throw new Error('corrupt chunk: the code table runs past its end');
  const lengths = new Uint8Array(256);
  let k = 0;
  for (let s = 0; s < 256; s++) {
    if (!(b[at + (s >> 3)]! & (1 << (s & 7)))) continue;
    const p = at + 32 + (k >> 1);
    if (p >= b.length) throw new Error('corrupt chunk: the code table runs past its end');
    lengths[s] = ((b[p]! >> ((k & 1) * 4)) & 15) + 1;
    k++;
  }
  if (k === 0 && !allowEmpty) throw new Error('corrupt chunk: the code table is empty');
  // a usable code: one symbol, or a complete prefix code (Kraft sum exactly 1)
  if (k > 1) {
    let kraft = 0;
    for (let s = 0; s < 256; s++) if (lengths[s]) kraft += 2 ** (16 - lengths[s]!);
    if (kraft !== 65536) throw new Error('corrupt chunk: the code table is not a complete prefix code');
  }
  return { lengths, size: 32 + Math.ceil(k / 2) };
}

/** ceil(count / 4): symbols per stream (the last may hold fewer). */
export function streamSymbols(count: number): number {
  return Math.ceil(count / STREAMS);
}

export interface ChunkLayout {
  lengths: Uint8Array;
  /** Offset and byte length of each stream inside the payload. */
  streams: [number, number][];
}

/** Parses and checks a chunk payload's structure (not its bits). */
export function chunkLayout(payload: Uint8Array, count: number): ChunkLayout {
  if (payload.length < count + 12 + 32) throw new Error(`corrupt chunk: ${payload.length} bytes cannot hold ${count} values`);
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const { lengths, size } = unpackLengths(payload, count + 12, count === 0);
  let at = count + 12 + size;
  const streams: [number, number][] = [];
  for (let k = 0; k < STREAMS; k++) {
    const len = k < 3 ? dv.getUint32(count + 4 * k, true) : payload.length - at;
    if (len < 0 || at + len > payload.length) throw new Error('corrupt chunk: stream lengths run past its end');
    streams.push([at, len]);
    at += len;
  }
  return { lengths, streams };
}
