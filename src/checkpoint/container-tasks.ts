import { read as fsRead, write as fsWrite } from 'node:fs';
import { decodeChunk16, encodeChunk16, splitValues, type Float16Kind } from '../quant/lossless.js';
import { createLosslessKernel, losslessKernel, type LosslessKernel } from '../quant/wasm-lossless.js';
import { xxh64 } from '../quant/xxh64.js';
import { CheckpointError, ioError } from './errors.js';
import { endedEarly, readExact } from './files.js';
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

/** One chunk of a decompression (restored inside a RestoreBatchTask). */
export interface RestoreChunkTask {
  src: SourceRange;
  mode: ChunkMode;
  origLen: number;
  hash: bigint;
  out: string;
  position: number;
  /** Which tensor(s) the chunk holds, for messages. */
  what: string;
}

export type ContainerTask = CompressChunkTask | RestoreBatchTask;

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
  read(files, t.src, sourceTarget(k, t));
  return compressLoaded(k, t);
}

/** Where a chunk's source bytes are read to: the kernel's value buffer. */
function sourceTarget(k: LosslessKernel, t: CompressChunkTask): Uint8Array {
  return k.valuesBuffer(Math.ceil(t.src.length / 2)).subarray(0, t.src.length);
}

/** Hashes and codes the chunk loaded into k (sourceTarget); the payload is a view of k's memory unless t.copy. */
function compressLoaded(k: LosslessKernel, t: CompressChunkTask): CompressChunkResult {
  const n = t.src.length;
  const count = Math.ceil(n / 2);
  const values = k.valuesBuffer(count).subarray(0, n);
  const hash = k.xxh64(values);
  if (t.mode !== MODE_RAW) {
    const payload = k.encodeLoaded(count, kindOf(t.mode));
    if (payload.length < n) return { mode: t.mode, payload: t.copy ? payload.slice() : payload, hash, counts: k.lastCounts() };
    // coding did not pay: the source bytes are still in the kernel's value buffer
  }
  const raw = k.valuesBuffer(count).subarray(0, n);
  return { mode: MODE_RAW, payload: t.copy ? raw.slice() : raw, hash };
}

/**
 * Compresses chunks in order on this thread with the file I/O off it (see ringPipeline); `place`
 * is told each result in order and returns where in `out` its payload goes. Null without the
 * WebAssembly kernel (the caller then runs runCompressChunk).
 */
export async function compressPipelined(
  files: FileCache,
  chunks: CompressChunkTask[],
  out: { fd: number; path: string },
  place: (i: number, r: CompressChunkResult) => number,
): Promise<boolean> {
  const ks = kernelRing();
  if (!ks) return false;
  await ringPipeline(
    ks,
    chunks.length,
    (i, k) => {
      const c = chunks[i]!;
      return readFully(files.reader(c.src.path), sourceTarget(k, c), c.src.position, c.src.path, c.src.tensor);
    },
    (i, k) => {
      const r = compressLoaded(k, { ...chunks[i]!, copy: false });
      return { data: r.payload, fd: out.fd, position: place(i, r), path: out.path };
    },
  );
  return true;
}

const damaged = (t: RestoreChunkTask, why: string) =>
  new CheckpointError('integrity', `the chunk of ${t.what} at byte ${t.src.position} ${why}; nothing was written`, t.src.path);

/** Where a chunk's stored bytes are read to: the kernel's payload (coded) or value (raw) buffer. */
function loadTarget(k: LosslessKernel, t: RestoreChunkTask): Uint8Array {
  if (t.mode === MODE_RAW) return k.valuesBuffer(Math.ceil(t.origLen / 2)).subarray(0, t.origLen);
  try {
    return k.payloadBuffer(t.src.length, t.origLen / 2);
  } catch (e) {
    throw damaged(t, `is damaged (${(e as Error).message})`);
  }
}

/** Restores the chunk loaded into k (loadTarget) and checks it against its checksum; returns a view of k's memory. */
function restoreLoaded(k: LosslessKernel, t: RestoreChunkTask): Uint8Array {
  let out: Uint8Array;
  if (t.mode === MODE_RAW) out = k.valuesBuffer(Math.ceil(t.origLen / 2)).subarray(0, t.origLen);
  else
    try {
      out = k.decodeLoaded(t.src.length, t.origLen / 2, kindOf(t.mode));
    } catch (e) {
      throw damaged(t, `is damaged (${(e as Error).message})`);
    }
  if (k.xxh64(out) !== t.hash) throw damaged(t, 'does not match its checksum (the file is damaged)');
  return out;
}

/** Reads, restores and verifies one chunk with the scalar decoder (where WebAssembly is missing). */
function restoreChunkJs(files: FileCache, t: RestoreChunkTask): Uint8Array {
  if (t.mode === MODE_RAW) {
    const out = read(files, t.src, new Uint8Array(t.origLen));
    if (xxh64(out) !== t.hash) throw damaged(t, 'does not match its checksum (the file is damaged)');
    return out;
  }
  const payload = read(files, t.src, new Uint8Array(t.src.length));
  const out = new Uint8Array(t.origLen);
  try {
    decodeChunk16(payload, kindOf(t.mode), out, 'js');
  } catch (e) {
    throw damaged(t, `is damaged (${(e as Error).message})`);
  }
  if (xxh64(out) !== t.hash) throw damaged(t, 'does not match its checksum (the file is damaged)');
  return out;
}

/** Chunks of one decompression handed to one thread: restored in order, reads ahead and writes behind. */
export interface RestoreBatchTask {
  kind: 'unzbatch';
  chunks: RestoreChunkTask[];
}

/** Kernels one thread's pipeline cycles through: one being worked in, one being read into, one being written from. */
const RING = 3;
let ring: LosslessKernel[] | null | undefined;
function kernelRing(): LosslessKernel[] | null {
  if (ring === undefined) {
    const first = losslessKernel();
    ring = first ? [first, ...Array.from({ length: RING - 1 }, () => createLosslessKernel()!)] : null;
  }
  return ring;
}

/**
 * Runs n steps in order on this thread with the file I/O off it: while step i works in one
 * kernel's memory, step i + 1's input is read into the next kernel's and step i - 1's output is
 * written from the previous one's, each straight from kernel memory (no copy). Resolves once
 * every output is written, to the seconds this thread spent in `work` (its coding time, without
 * waiting for I/O); on an error, once nothing is in flight any more.
 */
async function ringPipeline(
  ks: LosslessKernel[],
  n: number,
  load: (i: number, k: LosslessKernel) => Promise<void>,
  work: (i: number, k: LosslessKernel) => { data: Uint8Array; fd: number; position: number; path: string },
): Promise<number> {
  const quiet = <T>(p: Promise<T>) => (p.catch(() => undefined), p);
  const writes: Promise<void>[] = ks.map(() => Promise.resolve());
  let reading: Promise<void> = n > 0 ? quiet(load(0, ks[0]!)) : Promise.resolve();
  let busy = 0;
  try {
    for (let i = 0; i < n; i++) {
      await reading;
      if (i + 1 < n) {
        await writes[(i + 1) % ks.length]; // the kernel read into next is no longer being written from
        reading = quiet(load(i + 1, ks[(i + 1) % ks.length]!));
      }
      const t0 = performance.now();
      const w = work(i, ks[i % ks.length]!);
      busy += performance.now() - t0;
      writes[i % ks.length] = quiet(writeFully(w.fd, w.data, w.position, w.path));
    }
    await Promise.all(writes);
    return busy / 1000;
  } catch (e) {
    await Promise.allSettled([reading, ...writes]);
    throw e;
  }
}

/** Restores chunks in order on this thread, reading ahead and writing behind (ringPipeline); one at a time without WebAssembly. */
export async function restoreBatch(files: FileCache, t: RestoreBatchTask, onChunk?: () => void): Promise<{ written: number; codingSeconds: number }> {
  let written = 0;
  const ks = kernelRing();
  if (!ks) {
    const t0 = performance.now();
    for (const c of t.chunks) {
      writeAt(files.writer(c.out), restoreChunkJs(files, c), c.position, c.out);
      written += c.origLen;
      onChunk?.();
    }
    return { written, codingSeconds: (performance.now() - t0) / 1000 };
  }
  const codingSeconds = await ringPipeline(
    ks,
    t.chunks.length,
    (i, k) => {
      const c = t.chunks[i]!;
      return readFully(files.reader(c.src.path), loadTarget(k, c), c.src.position, c.src.path, c.src.tensor);
    },
    (i, k) => {
      const c = t.chunks[i]!;
      const out = restoreLoaded(k, c);
      written += c.origLen;
      onChunk?.();
      return { data: out, fd: files.writer(c.out), position: c.position, path: c.out };
    },
  );
  return { written, codingSeconds };
}

/** Reads buf.length bytes at position, off this thread. */
async function readFully(fd: number, buf: Uint8Array, position: number, path: string, what: string): Promise<void> {
  for (let off = 0; off < buf.length;) {
    let n: number;
    try {
      n = await new Promise<number>((res, rej) => fsRead(fd, buf, off, buf.length - off, position + off, (e, b) => (e ? rej(e) : res(b))));
    } catch (e) {
      throw ioError(e, path, `cannot read ${what}`);
    }
    if (n === 0) throw endedEarly(position + off, what, path);
    off += n;
  }
}

/** Writes all of buf at position, off this thread (positional writes may be short). */
export async function writeFully(fd: number, buf: Uint8Array, position: number, path: string): Promise<void> {
  for (let off = 0; off < buf.length;) {
    try {
      off += await new Promise<number>((res, rej) => fsWrite(fd, buf, off, buf.length - off, position + off, (e, b) => (e ? rej(e) : res(b))));
    } catch (e) {
      throw ioError(e, path, 'cannot write the output');
    }
  }
}

export function runContainerTask(files: FileCache, t: ContainerTask): unknown {
  return t.kind === 'zchunk' ? runCompressChunk(files, t) : restoreBatch(files, t);
}
