import { closeSync, openSync, writeSync } from 'node:fs';
import { toFloat32Checked } from '../quant/dtypes.js';
import { weightCodec, type CodecId, type CodecParams, type CodecStats, type Piece } from '../quant/weight-codecs.js';
import { CheckpointError, ioError } from './errors.js';
import { openRegular, readExact } from './files.js';

/**
 * The units of work of the checkpoint engine, as plain data so that a worker thread or the main
 * thread runs them alike: read a byte range of a source file, compute, write pieces at absolute
 * offsets of a preallocated output file. Each runner keeps its open files between tasks.
 */

export interface SourceRange {
  path: string;
  /** Absolute file offset and byte length. */
  position: number;
  length: number;
  /** Tensor name, for messages. */
  tensor: string;
}

export interface ScanTask {
  kind: 'scan';
  src: SourceRange;
  codec: CodecId;
  params: CodecParams;
}

export interface EncodeTask {
  kind: 'encode';
  src: SourceRange;
  /** First element of the range within the tensor. */
  e0: number;
  codec: CodecId;
  params: CodecParams;
  stats: CodecStats;
  out: string;
  /** Absolute offset of each stored tensor (by suffix) in `out`. */
  targets: Record<string, number>;
}

export interface CopyTask {
  kind: 'copy';
  src: SourceRange;
  out: string;
  position: number;
}

export type Task = ScanTask | EncodeTask | CopyTask | AnalyzeTask;

export interface ScanResult {
  absmax?: Float32Array;
  amax?: number;
  /** Index (within the range) of the first NaN or infinity, or -1. */
  nonFinite: number;
}

export interface EncodeResult {
  sqErr: number;
  sqRef: number;
  nonFinite: number;
  /** Bytes written per suffix. */
  written: Record<string, number>;
}

export interface CopyResult {
  written: number;
}

/** Open files of one runner (a worker thread or the main thread). */
export class FileCache {
  private readonly readers = new Map<string, number>();
  private readonly writers = new Map<string, number>();
  reader(path: string): number {
    let fd = this.readers.get(path);
    if (fd === undefined) {
      fd = openRegular(path, 'safetensors file').fd;
      this.readers.set(path, fd);
    }
    return fd;
  }
  writer(path: string): number {
    let fd = this.writers.get(path);
    if (fd === undefined) {
      try {
        fd = openSync(path, 'r+');
      } catch (e) {
        throw ioError(e, path, 'cannot open the output');
      }
      this.writers.set(path, fd);
    }
    return fd;
  }
  private readonly scratchBytes = new Map<string, Uint8Array>();
  /** A reusable buffer of at least `bytes` bytes (one per name per runner: fresh pages cost page faults). */
  scratch(name: string, bytes: number): Uint8Array {
    let b = this.scratchBytes.get(name);
    if (!b || b.length < bytes) {
      b = new Uint8Array(Math.max(bytes, Math.ceil((b?.length ?? 0) * 1.25)));
      this.scratchBytes.set(name, b);
    }
    return b.subarray(0, bytes);
  }
  floats(name: string, n: number): Float32Array {
    const b = this.scratch(name, 4 * n);
    return new Float32Array(b.buffer, b.byteOffset, n);
  }
  closeAll(): void {
    for (const fd of [...this.readers.values(), ...this.writers.values()]) closeSync(fd);
    this.readers.clear();
    this.writers.clear();
  }
}

function readSource(files: FileCache, src: SourceRange, buf?: Uint8Array): Uint8Array {
  const out = buf ? buf.subarray(0, src.length) : new Uint8Array(src.length);
  readExact(files.reader(src.path), out, src.position, src.path, () => `tensor ${JSON.stringify(src.tensor.slice(0, 100))}`);
  return out;
}

export function writeAt(fd: number, data: Uint8Array, position: number, file: string): void {
  let off = 0;
  while (off < data.byteLength) {
    try {
      off += writeSync(fd, data, off, data.byteLength - off, position + off);
    } catch (e) {
      throw ioError(e, file, 'cannot write the output');
    }
  }
}

export function writePiece(fd: number, file: string, base: number, p: Piece): number {
  if (p.rowBytes === undefined) {
    writeAt(fd, p.data, base + p.offset, file);
    return p.data.byteLength;
  }
  const rows = p.data.byteLength / p.rowBytes;
  for (let k = 0; k < rows; k++) writeAt(fd, p.data.subarray(k * p.rowBytes, (k + 1) * p.rowBytes), base + p.offset + k * p.stride!, file);
  return p.data.byteLength;
}

/** The range's values as float32, read and converted into the runner's scratch buffers, and where the first NaN or infinity is (-1: none). */
function values(files: FileCache, src: SourceRange, source: CodecParams['source']): { raw: Uint8Array; x: Float32Array; bad: number } {
  const raw = readSource(files, src, files.scratch('raw', src.length));
  const n = src.length / (source === 'F32' ? 4 : 2);
  const x = files.floats('x', n);
  return { raw, x, bad: toFloat32Checked(raw, source, x) };
}

export function runScan(files: FileCache, t: ScanTask): ScanResult {
  const { x, bad } = values(files, t.src, t.params.source);
  if (bad >= 0) return { nonFinite: bad };
  const r = weightCodec(t.codec).scan!(x, t.params);
  return typeof r === 'number' ? { amax: r, nonFinite: -1 } : { absmax: r, nonFinite: -1 };
}

export function runEncode(files: FileCache, t: EncodeTask): EncodeResult {
  const { raw, x, bad } = values(files, t.src, t.params.source);
  if (bad >= 0) return { sqErr: 0, sqRef: 0, nonFinite: bad, written: {} };
  const r = weightCodec(t.codec).encode(x, raw, t.e0, t.params, t.stats);
  const fd = files.writer(t.out);
  const written: Record<string, number> = {};
  for (const p of r.pieces) {
    const base = t.targets[p.suffix];
    if (base === undefined) throw new Error(`codec ${t.codec} wrote an unplanned tensor ${p.suffix}`);
    written[p.suffix] = (written[p.suffix] ?? 0) + writePiece(fd, t.out, base, p);
  }
  return { sqErr: r.sqErr, sqRef: r.sqRef, nonFinite: -1, written };
}

const COPY_CHUNK = 16 * 1024 * 1024;

export function runCopy(files: FileCache, t: CopyTask): CopyResult {
  const fd = files.writer(t.out);
  const buf = files.scratch('copy', Math.min(COPY_CHUNK, t.src.length));
  for (let off = 0; off < t.src.length; off += COPY_CHUNK) {
    const n = Math.min(COPY_CHUNK, t.src.length - off);
    const part = readSource(files, { ...t.src, position: t.src.position + off, length: n }, buf);
    writeAt(fd, part, t.position + off, t.out);
  }
  return { written: t.src.length };
}

export function runTask(files: FileCache, t: Task): ScanResult | EncodeResult | CopyResult | AnalyzeResult {
  switch (t.kind) {
    case 'scan':
      return runScan(files, t);
    case 'encode':
      return runEncode(files, t);
    case 'copy':
      return runCopy(files, t);
    case 'analyze':
      return runAnalyze(files, t);
  }
}

/** Errors cross the worker boundary as plain data. */
export interface TaskError {
  error: string;
  code?: string;
  detail?: string;
  file?: string;
}

export function taskError(e: unknown): TaskError {
  if (e instanceof CheckpointError) return { error: e.message, code: e.code, detail: e.detail, ...(e.file ? { file: e.file } : {}) };
  return { error: e instanceof Error ? e.message : String(e) };
}

export function fromTaskError(t: TaskError): Error {
  if (t.code) return new CheckpointError(t.code as CheckpointError['code'], t.detail ?? t.error, t.file);
  return new Error(t.error);
}

/** Measure a range's error in several codecs (no output): `sinan mixed`'s analysis. */
export interface AnalyzeTask {
  kind: 'analyze';
  src: SourceRange;
  e0: number;
  codecs: { codec: CodecId; params: CodecParams; stats: CodecStats }[];
}

export interface AnalyzeResult {
  /** Sum of squared errors per codec, in the order given. */
  sqErr: number[];
  sqRef: number;
  nonFinite: number;
}

export function runAnalyze(files: FileCache, t: AnalyzeTask): AnalyzeResult {
  const { raw, x, bad } = values(files, t.src, t.codecs[0]!.params.source);
  if (bad >= 0) return { sqErr: [], sqRef: 0, nonFinite: bad };
  let sqRef = 0;
  const sqErr = t.codecs.map((c) => {
    const r = weightCodec(c.codec).encode(x, raw, t.e0, c.params, c.stats);
    sqRef = r.sqRef;
    return r.sqErr;
  });
  return { sqErr, sqRef, nonFinite: -1 };
}
