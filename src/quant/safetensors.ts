import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readTextFile, streamFileAtomic } from '../util/files.js';
import { DTYPE_BYTES, DTYPES, type DType } from './dtypes.js';

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}), then
 * the data. Reading validates everything before touching tensor bytes and never loads a
 * whole file; writing goes to a temporary file renamed over the target.
 */

export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte range inside the data section. */
  begin: number;
  end: number;
}

export class SafetensorsError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

export interface SafetensorsHeader {
  tensors: TensorInfo[];
  metadata: Record<string, string>;
  /** Absolute file offset where the data section starts. */
  dataStart: number;
  fileSize: number;
}

function readExact(fd: number, buf: Uint8Array, position: number): void {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) throw new Error('unexpected end of file');
    off += n;
  }
}

/** Parses and validates the header of an open file. */
export function readHeader(fd: number, file: string): SafetensorsHeader {
  const fileSize = fstatSync(fd).size;
  if (fileSize < 8) throw new SafetensorsError(`file is ${fileSize} bytes, shorter than the 8-byte header length`, file);
  const lenBuf = new Uint8Array(8);
  readExact(fd, lenBuf, 0);
  const n = new DataView(lenBuf.buffer).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`, file);
  const headerLen = Number(n);
  if (8 + headerLen > fileSize) throw new SafetensorsError(`header length ${headerLen} runs past the end of the ${fileSize}-byte file (truncated?)`, file);
  const hb = new Uint8Array(headerLen);
  readExact(fd, hb, 8);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(hb));
  } catch (e) {
    throw new SafetensorsError(`header is not valid UTF-8 JSON (${(e as Error).message})`, file);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SafetensorsError('header must be a JSON object', file);
  const dataStart = 8 + headerLen;
  const dataLen = fileSize - dataStart;
  const tensors: TensorInfo[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
        throw new SafetensorsError('__metadata__ must map strings to strings', file);
      }
      metadata = v as Record<string, string>;
      continue;
    }
    const t = v as Record<string, unknown>;
    if (typeof t !== 'object' || t === null) throw new SafetensorsError(`tensor '${name}' has no description`, file);
    const dtype = t.dtype;
    if (typeof dtype !== 'string' || !(DTYPES as readonly string[]).includes(dtype))
      throw new SafetensorsError(`tensor '${name}' has unknown dtype ${JSON.stringify(dtype)}`, file);
    const shape = t.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
      throw new SafetensorsError(`tensor '${name}' has an invalid shape`, file);
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || off.some((d) => !Number.isSafeInteger(d) || d < 0))
      throw new SafetensorsError(`tensor '${name}' has invalid data_offsets`, file);
    const [begin, end] = off as [number, number];
    if (end < begin) throw new SafetensorsError(`tensor '${name}' ends before it begins`, file);
    if (end > dataLen) throw new SafetensorsError(`tensor '${name}' ends at byte ${end}, past the ${dataLen}-byte data section`, file);
    let elems = 1;
    for (const d of shape as number[]) elems *= d;
    const bytes = elems * DTYPE_BYTES[dtype as DType];
    if (!Number.isSafeInteger(bytes) || bytes !== end - begin)
      throw new SafetensorsError(`tensor '${name}' of shape [${shape.join(', ')}] ${dtype} needs ${bytes} bytes but spans ${end - begin}`, file);
    tensors.push({ name, dtype: dtype as DType, shape: shape as number[], begin, end });
  }
  // the data section must be covered exactly, without overlaps or holes
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of sorted) {
    if (t.begin < cursor) throw new SafetensorsError(`tensor '${t.name}' overlaps the previous tensor`, file);
    if (t.begin > cursor) throw new SafetensorsError(`a hole of ${t.begin - cursor} bytes precedes tensor '${t.name}'`, file);
    cursor = t.end;
  }
  if (cursor !== dataLen) throw new SafetensorsError(`${dataLen - cursor} bytes after the last tensor are not described by the header`, file);
  return { tensors, metadata, dataStart, fileSize };
}

/** An open safetensors file; tensors are read on demand. */
export class SafetensorsFile {
  readonly header: SafetensorsHeader;
  private fd: number;
  private readonly byName: Map<string, TensorInfo>;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    try {
      this.header = readHeader(this.fd, path);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
    this.byName = new Map(this.header.tensors.map((t) => [t.name, t]));
  }
  get tensors(): TensorInfo[] {
    return this.header.tensors;
  }
  info(name: string): TensorInfo | undefined {
    return this.byName.get(name);
  }
  /** The raw little-endian bytes of one tensor. */
  read(name: string): Uint8Array {
    const t = this.byName.get(name);
    if (!t) throw new SafetensorsError(`no tensor named '${name}'`, this.path);
    const buf = new Uint8Array(t.end - t.begin);
    readExact(this.fd, buf, this.header.dataStart + t.begin);
    return buf;
  }
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** A checkpoint: one .safetensors file, or a folder with an index (model.safetensors.index.json) or shards. */
export class Checkpoint {
  readonly files: SafetensorsFile[] = [];
  private readonly where = new Map<string, SafetensorsFile>();
  constructor(readonly path: string) {
    const list = checkpointFiles(path);
    try {
      for (const f of list) {
        const sf = new SafetensorsFile(f);
        this.files.push(sf);
        for (const t of sf.tensors) {
          if (this.where.has(t.name)) throw new SafetensorsError(`tensor '${t.name}' appears in two shards`, f);
          this.where.set(t.name, sf);
        }
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }
  get tensors(): TensorInfo[] {
    return this.files.flatMap((f) => f.tensors);
  }
  fileOf(name: string): SafetensorsFile | undefined {
    return this.where.get(name);
  }
  read(name: string): Uint8Array {
    const f = this.where.get(name);
    if (!f) throw new SafetensorsError(`no tensor named '${name}'`, this.path);
    return f.read(name);
  }
  metadata(): Record<string, string> {
    return Object.assign({}, ...this.files.map((f) => f.header.metadata));
  }
  close(): void {
    for (const f of this.files) f.close();
  }
}

/** The .safetensors files of a checkpoint path (index first, then every shard in the folder). */
export function checkpointFiles(path: string): string[] {
  if (!existsSync(path)) throw new SafetensorsError('no such file or folder', path);
  if (!statSync(path).isDirectory()) return [path];
  const index = join(path, 'model.safetensors.index.json');
  if (existsSync(index)) {
    let json: { weight_map?: Record<string, string> };
    try {
      json = JSON.parse(readTextFile(index));
    } catch (e) {
      throw new SafetensorsError(`index is not valid JSON (${(e as Error).message})`, index);
    }
    const names = [...new Set(Object.values(json.weight_map ?? {}))];
    if (!names.length) throw new SafetensorsError('index has no weight_map', index);
    for (const n of names)
      if (n.includes('/') || n.includes('\\') || n === '..') throw new SafetensorsError(`index names a shard outside the folder: ${n}`, index);
    return names.sort().map((n) => join(path, n));
  }
  const fs = readdirSync(path)
    .filter((n) => n.endsWith('.safetensors'))
    .sort();
  if (!fs.length) throw new SafetensorsError('folder has no .safetensors files', path);
  return fs.map((n) => join(path, n));
}

export interface TensorToWrite {
  name: string;
  dtype: DType;
  shape: number[];
  /** The bytes, or a function producing them when the writer reaches this tensor. */
  data: Uint8Array | (() => Uint8Array);
}

/** Writes a safetensors file atomically (temporary file in the same folder, then rename). */
export function writeSafetensors(path: string, tensors: TensorToWrite[], metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    let elems = 1;
    for (const d of t.shape) elems *= d;
    const bytes = elems * DTYPE_BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const hb = Buffer.from(json, 'utf8');
  streamFileAtomic(path, (put) => {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(hb.length));
    put(len);
    put(hb);
    for (const t of tensors) {
      const data = typeof t.data === 'function' ? t.data() : t.data;
      const expect = (header[t.name] as { data_offsets: [number, number] }).data_offsets;
      if (data.byteLength !== expect[1] - expect[0]) throw new Error(`tensor '${t.name}' has ${data.byteLength} bytes, expected ${expect[1] - expect[0]}`);
      put(data);
    }
  });
}
