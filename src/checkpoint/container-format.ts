/**
 * The lossless container (`sinan compress` output), version 2. It holds a safetensors file so
 * that decompression rebuilds it byte for byte:
 *
 *   magic        8 bytes  "SINANZ" 0x02 0x00
 *   prefix       the original file's first 8 + N bytes (header length and JSON header), verbatim
 *   payloads     the original data section as consecutive chunks, each stored raw or coded
 *                (src/quant/lossless.ts); a coded chunk lies inside one BF16/F16 tensor, a raw
 *                chunk may run over several small tensors
 *   index        varint chunk count, then per chunk: mode (u8: 0 raw, 1 BF16, 2 FP16),
 *                original length (varint), stored length (varint, coded chunks only) and the
 *                XXH64 of the original bytes (u64)
 *   footer       32 bytes: index offset (u64), index length (u64), XXH64 of prefix + index
 *                (u64), "SNZ2END!"
 *
 * Every chunk is verified against its checksum when restored, and the prefix and index against
 * theirs before anything is trusted.
 */

export const MAGIC = Uint8Array.from([0x53, 0x49, 0x4e, 0x41, 0x4e, 0x5a, 0x02, 0x00]);
export const FOOTER_MAGIC = new TextEncoder().encode('SNZ2END!');
export const FOOTER_BYTES = 32;

export type ChunkMode = 0 | 1 | 2;
export const MODE_RAW = 0;
export const MODE_BF16 = 1;
export const MODE_FP16 = 2;

export interface ChunkEntry {
  mode: ChunkMode;
  origLen: number;
  storedLen: number;
  hash: bigint;
}

export function isContainer(first8: Uint8Array): boolean {
  // the first 6 bytes identify any version
  for (let k = 0; k < 6; k++) if (first8[k] !== MAGIC[k]) return false;
  return true;
}

function varint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

export function encodeIndex(chunks: ChunkEntry[]): Uint8Array {
  const out: number[] = [];
  varint(out, chunks.length);
  const h = new DataView(new ArrayBuffer(8));
  for (const c of chunks) {
    out.push(c.mode);
    varint(out, c.origLen);
    if (c.mode !== MODE_RAW) varint(out, c.storedLen);
    h.setBigUint64(0, c.hash, true);
    for (let k = 0; k < 8; k++) out.push(h.getUint8(k));
  }
  return Uint8Array.from(out);
}

export class IndexError extends Error {}

export function decodeIndex(b: Uint8Array): ChunkEntry[] {
  let i = 0;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const read = (): number => {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 8; k++) {
      if (i >= b.length) throw new IndexError('the index ends inside a number');
      const x = b[i++]!;
      v += (x & 0x7f) * mul;
      if (!(x & 0x80)) {
        if (!Number.isSafeInteger(v)) throw new IndexError('a length in the index is above 2^53');
        return v;
      }
      mul *= 0x80;
    }
    throw new IndexError('a number in the index is too long');
  };
  const n = read();
  if (n > b.length) throw new IndexError(`the index claims ${n} chunks in ${b.length} bytes`);
  const chunks: ChunkEntry[] = [];
  for (let k = 0; k < n; k++) {
    if (i >= b.length) throw new IndexError('the index ends early');
    const mode = b[i++]!;
    if (mode > 2) throw new IndexError(`chunk ${k} has an unknown mode ${mode}`);
    const origLen = read();
    const storedLen = mode === MODE_RAW ? origLen : read();
    if (i + 8 > b.length) throw new IndexError('the index ends early');
    const hash = dv.getBigUint64(i, true);
    i += 8;
    chunks.push({ mode: mode as ChunkMode, origLen, storedLen, hash });
  }
  if (i !== b.length) throw new IndexError(`${b.length - i} bytes after the last index entry`);
  return chunks;
}

export function encodeFooter(indexOffset: number, indexLength: number, hash: bigint): Uint8Array {
  const f = new Uint8Array(FOOTER_BYTES);
  const dv = new DataView(f.buffer);
  dv.setBigUint64(0, BigInt(indexOffset), true);
  dv.setBigUint64(8, BigInt(indexLength), true);
  dv.setBigUint64(16, hash, true);
  f.set(FOOTER_MAGIC, 24);
  return f;
}

export function decodeFooter(f: Uint8Array): { indexOffset: number; indexLength: number; hash: bigint } | null {
  for (let k = 0; k < 8; k++) if (f[24 + k] !== FOOTER_MAGIC[k]) return null;
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const io = dv.getBigUint64(0, true);
  const il = dv.getBigUint64(8, true);
  if (io > BigInt(Number.MAX_SAFE_INTEGER) || il > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return { indexOffset: Number(io), indexLength: Number(il), hash: dv.getBigUint64(16, true) };
}
