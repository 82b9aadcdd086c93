import { decodeChunk16, encodeChunk16, splitValues, type Float16Kind } from '../quant/lossless.js';
import { losslessKernel } from '../quant/wasm-lossless.js';
import { xxh64 } from '../quant/xxh64.js';
import { CheckpointError } from './errors.js';
import { readExact } from './files.js';
import { MODE_RAW, type ChunkMode } from './container-format.js';
import { writeAt, type FileCache, type SourceRange } from './tasks.js';

/**
 * The lossless container's units of work: compress one chunk of a safetensors data section, or
 * restore one chunk into the preallocated output and check it against its checksum. With the
 * WebAssembly kernel the bytes are read into, coded in and written from the kernel's memory.
 */

export interface CompressChunkTask {
  kind: 'zchunk';
  src: SourceRange;
  /** The coded mode to try (raw chunks are only hashed). */
  mode: ChunkMode;
  /** Results cross a thread boundary: copy them out of the kernel's memory. */
  copy: boolean;
}

export interface CompressChunkResult {
  mode: ChunkMode;
  payload: Uint8Array;
  hash: bigint;
  /** Histogram of the coded byte (coded chunks), for the entropy bound in the report. */
  counts?: Uint32Array;
}

export interface RestoreChunkTask {
  kind: 'unzchunk';
  src: SourceRange;
  mode: ChunkMode;
  origLen: number;
  hash: bigint;
  out: string;
  position: number;
  /** Which tensor(s) the chunk holds, for messages. */
  what: string;
}

export type ContainerTask = CompressChunkTask | RestoreChunkTask;

const kindOf = (mode: ChunkMode): Float16Kind => (mode === 1 ? 'bf16' : 'fp16');

function read(files: FileCache, src: SourceRange, into: Uint8Array): Uint8Array {
  readExact(files.reader(src.path), into, src.position, src.path, () => src.tensor);
  return into;
}

export function runCompressChunk(files: FileCache, t: CompressChunkTask): CompressChunkResult {
  const k = losslessKernel();
  const n = t.src.length;
  if (!k) {
    const bytes = read(files, t.src, new Uint8Array(n));
    const hash = xxh64(bytes);
    if (t.mode !== MODE_RAW) {
      const payload = encodeChunk16(bytes, kindOf(t.mode), 'js');
      if (payload.length < n) {
        const sym = new Uint8Array(n >> 1);
        splitValues(bytes, kindOf(t.mode), sym, new Uint8Array(n >> 1));
        const counts = new Uint32Array(256);
        for (const x of sym) counts[x]!++;
        return { mode: t.mode, payload, hash, counts };
      }
    }
    return { mode: MODE_RAW, payload: bytes, hash };
  }
  const count = Math.ceil(n / 2);
  const values = read(files, t.src, k.valuesBuffer(count).subarray(0, n));
  const hash = k.xxh64(values);
  if (t.mode !== MODE_RAW) {
    const payload = k.encodeLoaded(count, kindOf(t.mode));
    if (payload.length < n) return { mode: t.mode, payload: t.copy ? payload.slice() : payload, hash, counts: k.lastCounts() };
    // coding did not pay: the source bytes are still in the kernel's value buffer
    return { mode: MODE_RAW, payload: t.copy ? k.valuesBuffer(count).slice(0, n) : k.valuesBuffer(count).subarray(0, n), hash };
  }
  return { mode: MODE_RAW, payload: t.copy ? values.slice() : values, hash };
}

export function runRestoreChunk(files: FileCache, t: RestoreChunkTask): { written: number } {
  const out = restoreChunk(files, t);
  writeAt(files.writer(t.out), out, t.position, t.out);
  return { written: t.origLen };
}

/** Reads, restores and verifies one chunk; returns its bytes (a view of kernel memory, valid until the next call). */
export function restoreChunk(files: FileCache, t: RestoreChunkTask): Uint8Array {
  const k = losslessKernel();
  let out: Uint8Array;
  if (t.mode === MODE_RAW) {
    out = read(files, t.src, k ? k.valuesBuffer(Math.ceil(t.origLen / 2)).subarray(0, t.origLen) : new Uint8Array(t.origLen));
  } else {
    const count = t.origLen / 2;
    try {
      if (k) {
        read(files, t.src, k.payloadBuffer(t.src.length, count));
        out = k.decodeLoaded(t.src.length, count, kindOf(t.mode));
      } else {
        const payload = read(files, t.src, new Uint8Array(t.src.length));
        out = new Uint8Array(t.origLen);
        decodeChunk16(payload, kindOf(t.mode), out, 'js');
      }
    } catch (e) {
      if (e instanceof CheckpointError) throw e;
      throw new CheckpointError(
        'integrity',
        `the chunk of ${t.what} at byte ${t.src.position} is damaged (${(e as Error).message}); nothing was written`,
        t.src.path,
      );
    }
  }
  if ((k ? k.xxh64(out) : xxh64(out)) !== t.hash)
    throw new CheckpointError(
      'integrity',
      `the chunk of ${t.what} at byte ${t.src.position} does not match its checksum (the file is damaged); nothing was written`,
      t.src.path,
    );
  return out;
}

export function runContainerTask(files: FileCache, t: ContainerTask): unknown {
  return t.kind === 'zchunk' ? runCompressChunk(files, t) : runRestoreChunk(files, t);
}
