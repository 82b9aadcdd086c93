import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { boundFromCounts } from '../quant/lossless.js';
import { xxh64 } from '../quant/xxh64.js';
import {
  decodeFooter,
  decodeIndex,
  encodeFooter,
  encodeIndex,
  FOOTER_BYTES,
  IndexError,
  isContainer,
  MAGIC,
  MODE_BF16,
  MODE_FP16,
  MODE_RAW,
  type ChunkEntry,
  type ChunkMode,
} from './container-format.js';
import {
  compressPipelined,
  restoreBatch,
  writeFully,
  type CompressChunkResult,
  type CompressChunkTask,
  type RestoreBatchTask,
  type RestoreChunkTask,
} from './container-tasks.js';
import { CheckpointError, ioError, quoted } from './errors.js';
import { AtomicOutput, checkOutputPlacement, openRegular, readExact } from './files.js';
import { defaultWorkers, Pool } from './pool.js';
import { parseHeaderBytes, SafetensorsError, SafetensorsFile, type TensorInfo } from './safetensors.js';
import { FileCache, writeAt } from './tasks.js';

/**
 * `sinan compress` / `sinan decompress`: a safetensors file <-> the lossless container
 * (container-format.ts). Both stream a chunk (at most CHUNK_BYTES) at a time through a pool of
 * workers: compression writes the chunks in order as they come back; decompression pipelines
 * batches of chunks on each decoding thread (container-tasks.ts, restoreBatch), which restore,
 * verify and write them straight into the preallocated output. A failed decompression (a
 * checksum mismatch, a damaged index) leaves no output file.
 */

export const CHUNK_BYTES = 2 * 1024 * 1024;
/** Chunks a worker restores per task (128 MiB): long enough to keep its pipeline full. */
const RESTORE_BATCH = 16;

/**
 * Coding threads `compress` and `decompress` use by default: half the cores, since each thread
 * keeps about another core busy with its reads and writes (on 2 cores one pipelined thread is the
 * fastest; bench/quant-e2e.bench.ts measures both).
 */
export function defaultCodingThreads(): number {
  return Math.max(1, Math.floor(defaultWorkers() / 2));
}
/** 16-bit tensors below this size are stored raw (coding them cannot pay for the code table). */
const MIN_CODED_BYTES = 256;

export interface CompressOptions {
  workers?: number;
  force?: boolean;
}

export interface CompressionReport {
  input: string;
  output: string;
  bytesIn: number;
  bytesOut: number;
  ratio: number;
  /** Container bytes beyond the stored chunks: magic, the original header, index and footer. */
  overheadBytes: number;
  tensors: { name: string; dtype: string; bitsPerWeight: number; boundBitsPerWeight: number; ratio: number }[];
}

interface PlannedChunk {
  mode: ChunkMode;
  begin: number;
  end: number;
  /** the coded tensor, or null for a raw run */
  tensor: TensorInfo | null;
  names: string;
}

/** Chunks of the data section: coded chunks inside each large BF16/F16 tensor, raw runs over the rest. */
function planChunks(tensors: TensorInfo[]): PlannedChunk[] {
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  const out: PlannedChunk[] = [];
  let run: PlannedChunk | null = null;
  const flush = () => {
    if (run && run.end > run.begin) out.push(run);
    run = null;
  };
  for (const t of sorted) {
    const coded = (t.dtype === 'BF16' || t.dtype === 'F16') && t.end - t.begin >= MIN_CODED_BYTES;
    if (coded) {
      flush();
      for (let b = t.begin; b < t.end; b += CHUNK_BYTES)
        out.push({ mode: t.dtype === 'BF16' ? MODE_BF16 : MODE_FP16, begin: b, end: Math.min(t.end, b + CHUNK_BYTES), tensor: t, names: quoted(t.name) });
      continue;
    }
    for (let b = t.begin; b < t.end;) {
      run ??= { mode: MODE_RAW, begin: b, end: b, tensor: null, names: quoted(t.name) };
      const take = Math.min(t.end - b, CHUNK_BYTES - (run.end - run.begin));
      run.end += take;
      b += take;
      if (run.end - run.begin === CHUNK_BYTES) flush();
    }
  }
  flush();
  return out;
}

export async function compressFile(
  input: string,
  output: string,
  o: CompressOptions = {},
  onProgress?: (done: number, total: number) => void,
): Promise<CompressionReport> {
  const f = new SafetensorsFile(input);
  const pool = new Pool(o.workers ?? defaultCodingThreads());
  try {
    checkOutputPlacement(output, [input], []);
    const out = new AtomicOutput(output, 'file', !!o.force);
    try {
      const prefix = f.readAt(0, f.header.dataStart);
      const chunks = planChunks(f.tensors);
      const h = await open(out.file(), 'w');
      const entries: ChunkEntry[] = [];
      const stats = new Map<TensorInfo, { stored: number; counts: Float64Array; raw: boolean }>();
      let pos = 0;
      try {
        await writeFully(h.fd, MAGIC, 0, out.file());
        await writeFully(h.fd, prefix, MAGIC.length, out.file());
        pos = MAGIC.length + prefix.length;
        /** Books chunk k's result (taken in chunk order); returns where its payload goes. */
        const record = (k: number, res: CompressChunkResult): number => {
          const c = chunks[k]!;
          const at = pos;
          pos += res.payload.length;
          entries.push({ mode: res.mode, origLen: c.end - c.begin, storedLen: res.payload.length, hash: res.hash });
          if (c.tensor) {
            const s = stats.get(c.tensor) ?? { stored: 0, counts: new Float64Array(256), raw: false };
            s.stored += res.payload.length;
            // a chunk stored raw has no histogram: the tensor's bound is then reported as 16 bits
            if (res.counts) for (let e = 0; e < 256; e++) s.counts[e]! += res.counts[e]!;
            else s.raw = true;
            stats.set(c.tensor, s);
          }
          onProgress?.(k + 1, chunks.length);
          return at;
        };
        const task = (k: number, copy: boolean): CompressChunkTask => {
          const c = chunks[k]!;
          return {
            kind: 'zchunk',
            src: { path: input, position: f.header.dataStart + c.begin, length: c.end - c.begin, tensor: `tensor ${c.names}` },
            mode: c.mode,
            copy,
          };
        };
        let writing: Promise<void> = Promise.resolve();
        const files = new FileCache();
        try {
          // one thread: code in order while the reads and writes run on I/O threads
          const piped =
            pool.size === 1 &&
            (await compressPipelined(
              files,
              chunks.map((_, k) => task(k, false)),
              { fd: h.fd, path: out.file() },
              record,
            ));
          if (!piped) {
            // results come back in any order; they are written in chunk order, one write in flight while the next chunk is coded
            const parked = new Map<number, CompressChunkResult>();
            let next = 0;
            const tasks = function* (): Generator<CompressChunkTask & { k: number }> {
              for (let k = 0; k < chunks.length; k++) yield { ...task(k, true), k };
            };
            await pool.runAll(tasks(), async (t, r: CompressChunkResult) => {
              parked.set(t.k, r);
              while (parked.has(next)) {
                const res = parked.get(next)!;
                parked.delete(next);
                const previous = writing;
                const at = record(next, res);
                writing = previous.then(() => writeFully(h.fd, res.payload, at, out.file()));
                next++;
                await previous;
              }
            });
          }
        } finally {
          files.closeAll();
        }
        await writing;
        const index = encodeIndex(entries);
        const meta = new Uint8Array(prefix.length + index.length);
        meta.set(prefix, 0);
        meta.set(index, prefix.length);
        await writeFully(h.fd, index, pos, out.file());
        await writeFully(h.fd, encodeFooter(pos, index.length, xxh64(meta)), pos + index.length, out.file());
        pos += index.length + FOOTER_BYTES;
      } finally {
        await h.close();
      }
      out.commit();
      const stored = entries.reduce((s, e) => s + e.storedLen, 0);
      return {
        input,
        output,
        bytesIn: f.header.fileSize,
        bytesOut: pos,
        ratio: f.header.fileSize / pos,
        overheadBytes: pos - stored,
        tensors: [...stats].map(([t, s]) => {
          const n = (t.end - t.begin) / 2;
          const bpw = (8 * s.stored) / n;
          const bound = s.raw ? 16 : boundFromCounts(s.counts).boundBitsPerWeight;
          return { name: t.name, dtype: t.dtype, bitsPerWeight: bpw, boundBitsPerWeight: bound, ratio: 16 / bpw };
        }),
      };
    } catch (e) {
      out.abort();
      throw e;
    }
  } finally {
    f.close();
    await pool.close();
  }
}

export interface ContainerInfo {
  prefix: Uint8Array;
  tensors: TensorInfo[];
  chunks: (ChunkEntry & { position: number; dataBegin: number })[];
  originalSize: number;
}

/** Reads and verifies a container's footer, index and prefix (nothing is trusted before its checksum). */
export function readContainer(fd: number, path: string, size: number): ContainerInfo {
  if (size < MAGIC.length + 8 + FOOTER_BYTES) throw new CheckpointError('invalid_file', `is ${size} bytes, too short for a Sinan container`, path);
  const magic = new Uint8Array(8);
  readExact(fd, magic, 0, path, () => 'the magic');
  if (!isContainer(magic)) throw new CheckpointError('invalid_file', 'is not a file written by sinan compress', path);
  if (magic[6] !== MAGIC[6])
    throw new CheckpointError(
      'unsupported',
      `was written by another version of sinan compress (container version ${magic[6]}); this one reads version ${MAGIC[6]}`,
      path,
    );
  const foot = new Uint8Array(FOOTER_BYTES);
  readExact(fd, foot, size - FOOTER_BYTES, path, () => 'the footer');
  const footer = decodeFooter(foot);
  if (!footer) throw new CheckpointError('integrity', 'has no valid footer (truncated or damaged)', path);
  const lenBuf = new Uint8Array(8);
  readExact(fd, lenBuf, MAGIC.length, path, () => 'the header length');
  const n = new DataView(lenBuf.buffer).getBigUint64(0, true);
  const prefixLen = 8 + Number(n);
  if (n > 100_000_000n || MAGIC.length + prefixLen > footer.indexOffset || footer.indexOffset + footer.indexLength + FOOTER_BYTES !== size)
    throw new CheckpointError('integrity', 'its footer, index and header do not fit together (truncated or damaged)', path);
  const meta = new Uint8Array(prefixLen + footer.indexLength);
  readExact(fd, meta.subarray(0, prefixLen), MAGIC.length, path, () => 'the original header');
  readExact(fd, meta.subarray(prefixLen), footer.indexOffset, path, () => 'the index');
  if (xxh64(meta) !== footer.hash) throw new CheckpointError('integrity', 'its header or index does not match its checksum (the file is damaged)', path);
  let chunks: ChunkEntry[];
  try {
    chunks = decodeIndex(meta.subarray(prefixLen));
  } catch (e) {
    if (e instanceof IndexError) throw new CheckpointError('integrity', `its index is damaged (${e.message})`, path);
    throw e;
  }
  const dataLen = chunks.reduce((s, c) => s + c.origLen, 0);
  // the original header must be a valid safetensors header for a data section of dataLen bytes
  const prefix = meta.subarray(0, prefixLen);
  const header = parsePrefix(prefix, prefixLen + dataLen, path);
  // chunks: stored back to back between the prefix and the index; coded ones inside one 16-bit tensor
  let position = MAGIC.length + prefixLen;
  let dataBegin = 0;
  const sorted = [...header.tensors].sort((a, b) => a.begin - b.begin);
  let ti = 0;
  const placed = chunks.map((c) => {
    const p = { ...c, position, dataBegin };
    if (c.mode !== MODE_RAW) {
      while (ti < sorted.length && sorted[ti]!.end <= dataBegin) ti++;
      const t = sorted[ti];
      const want = c.mode === MODE_BF16 ? 'BF16' : 'F16';
      if (!t || t.begin > dataBegin || t.end < dataBegin + c.origLen || t.dtype !== want || c.origLen % 2)
        throw new CheckpointError('integrity', `its index places a ${want} chunk at data byte ${dataBegin}, where no ${want} tensor lies`, path);
      if (c.storedLen > 3 * (c.origLen / 2) + 200)
        throw new CheckpointError('integrity', `its chunk at data byte ${dataBegin} is larger than any coded chunk can be`, path);
    }
    position += c.storedLen;
    dataBegin += c.origLen;
    return p;
  });
  if (position !== footer.indexOffset)
    throw new CheckpointError('integrity', `its chunks end at byte ${position}, not where the index begins (${footer.indexOffset})`, path);
  return { prefix, tensors: header.tensors, chunks: placed, originalSize: prefixLen + dataLen };
}

/** Validates the stored original header as if it began a file of `fileSize` bytes. */
function parsePrefix(prefix: Uint8Array, fileSize: number, path: string): { tensors: TensorInfo[] } {
  try {
    return parseHeaderBytes(prefix.subarray(8), fileSize, path);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError('integrity', `its stored header is not valid safetensors (${e.detail})`, path);
    throw e;
  }
}

export interface DecompressReport {
  input: string;
  output: string;
  /** bytes restored (the original file's size) */
  bytes: number;
  /** decoding threads */
  threads: number;
  /** wall-clock seconds, from opening the input to the output in place */
  seconds: number;
  /** seconds the decoding threads spent restoring and verifying chunks, summed over threads (their I/O waits excluded) */
  decodingSeconds: number;
}

export async function decompressFile(
  input: string,
  output: string,
  o: CompressOptions = {},
  onProgress?: (done: number, total: number) => void,
): Promise<DecompressReport> {
  const started = performance.now();
  const { fd, size } = openRegular(input, 'container');
  let info: ContainerInfo;
  try {
    info = readContainer(fd, input, size);
  } finally {
    closeSync(fd);
  }
  checkOutputPlacement(output, [input], []);
  const out = new AtomicOutput(output, 'file', !!o.force);
  const pool = new Pool(o.workers ?? defaultCodingThreads());
  try {
    const path = out.file();
    let ofd: number;
    try {
      ofd = openSync(path, 'w');
      writeAt(ofd, info.prefix, 0, path);
      ftruncateSync(ofd, info.originalSize);
      closeSync(ofd);
    } catch (e) {
      throw e instanceof CheckpointError ? e : ioError(e, path, 'cannot create the output');
    }
    const sorted = [...info.tensors].sort((a, b) => a.begin - b.begin);
    // chunks come in file order: one sweep over the tensors names them all (at most four looked at per chunk)
    let first = 0;
    const what = (begin: number, end: number) => {
      while (first < sorted.length && sorted[first]!.end <= begin) first++;
      const names: string[] = [];
      for (let j = first; j < sorted.length && sorted[j]!.begin < end && names.length < 4; j++) if (sorted[j]!.end > begin) names.push(quoted(sorted[j]!.name));
      return names.length === 1 ? `tensor ${names[0]}` : `tensors ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''}`;
    };
    const tasks: RestoreChunkTask[] = info.chunks.map((c) => ({
      src: { path: input, position: c.position, length: c.storedLen, tensor: 'a chunk' },
      mode: c.mode,
      origLen: c.origLen,
      hash: c.hash,
      out: path,
      position: info.prefix.length + c.dataBegin,
      what: what(c.dataBegin, c.dataBegin + c.origLen),
    }));
    let done = 0;
    let decodingSeconds = 0;
    if (pool.size === 1) {
      // one thread decodes, in order, while its reads and writes run on I/O threads
      const files = new FileCache();
      try {
        decodingSeconds = (await restoreBatch(files, { kind: 'unzbatch', chunks: tasks }, () => onProgress?.(++done, tasks.length))).codingSeconds;
      } finally {
        files.closeAll();
      }
    } else {
      // each worker pipelines a batch of consecutive chunks the same way
      const batches = function* (): Generator<RestoreBatchTask> {
        for (let i = 0; i < tasks.length; i += RESTORE_BATCH) yield { kind: 'unzbatch', chunks: tasks.slice(i, i + RESTORE_BATCH) };
      };
      await pool.runAll(
        batches(),
        (b, r: { codingSeconds: number }) => {
          decodingSeconds += r.codingSeconds;
          onProgress?.((done += b.chunks.length), tasks.length);
        },
        pool.size,
      );
    }
    out.commit();
    const seconds = (performance.now() - started) / 1000;
    return { input, output, bytes: info.originalSize, threads: pool.size, seconds, decodingSeconds };
  } catch (e) {
    out.abort();
    throw e;
  } finally {
    await pool.close();
  }
}
