import { closeSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { DTYPE_BITS, tensorBytes, type DType } from '../quant/dtypes.js';
import { isContainer } from './container-format.js';
import { quoted, SafetensorsError } from './errors.js';
import { openRegular, otherKind, parseJsonText, pathKind, readExact, readSmallText } from './files.js';
import { HeaderSyntaxError, parseHeaderJson } from './header-json.js';
import { streamFileAtomic } from '../util/files.js';

export { SafetensorsError } from './errors.js';

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}), then the
 * data. Reading follows the reference reader's rules exactly (header-json.ts; at most
 * 100,000,000 header bytes; the data section covered by the tensors with no hole or overlap and
 * nothing after) and never loads a whole file: tensors are read whole or by byte range. Sizes
 * and offsets are exact up to 2^53.
 */

/** The reference reader's header limit (safetensors `MAX_HEADER_SIZE`), for reading and writing. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte range inside the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  tensors: TensorInfo[];
  metadata: Record<string, string>;
  /** Absolute file offset where the data section starts. */
  dataStart: number;
  fileSize: number;
  /** The header's JSON bytes as stored (padding included). */
  headerLength: number;
}

/** Parses and validates the header of an open file. */
export function readHeader(fd: number, file: string, fileSize: number): SafetensorsHeader {
  if (fileSize < 8) throw new SafetensorsError(`file is ${fileSize} bytes, shorter than the 8-byte header length`, file);
  const lenBuf = new Uint8Array(8);
  readExact(fd, lenBuf, 0, file, () => 'the header length');
  const n = new DataView(lenBuf.buffer).getBigUint64(0, true);
  if (isContainer(lenBuf))
    throw new SafetensorsError('is a Sinan lossless container (sinan compress output), not a safetensors file: restore it with sinan decompress first', file);
  // a length beyond both the format's limit and the file is not a cut-short safetensors file but another kind of file
  if (n > BigInt(MAX_HEADER_BYTES) && n > BigInt(fileSize))
    throw new SafetensorsError(`not a safetensors file: its first 8 bytes give a header length of ${n} bytes but the file has only ${fileSize} bytes`, file);
  if (n > BigInt(MAX_HEADER_BYTES))
    throw new SafetensorsError(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit of the format's reference reader`, file);
  const headerLen = Number(n);
  if (8 + headerLen > fileSize) throw new SafetensorsError(`header length ${headerLen} runs past the end of the ${fileSize}-byte file (truncated?)`, file);
  const hb = new Uint8Array(headerLen);
  readExact(fd, hb, 8, file, () => 'the header');
  return parseHeaderBytes(hb, fileSize, file);
}

/** Validates a header's JSON bytes (what follows the 8-byte length) for a file of `fileSize` bytes. */
export function parseHeaderBytes(hb: Uint8Array, fileSize: number, file: string): SafetensorsHeader {
  const headerLen = hb.length;
  if (headerLen > MAX_HEADER_BYTES)
    throw new SafetensorsError(`header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit of the format's reference reader`, file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(hb);
  } catch {
    throw new SafetensorsError('header is not valid UTF-8 JSON (invalid UTF-8)', file);
  }
  if (text.charCodeAt(0) === 0xfeff) throw new SafetensorsError('header is not valid UTF-8 JSON (it starts with a byte-order mark)', file);
  let parsed;
  try {
    parsed = parseHeaderJson(text);
  } catch (e) {
    if (e instanceof HeaderSyntaxError) throw new SafetensorsError(`header is not valid UTF-8 JSON (${e.message})`, file);
    throw e;
  }
  const dataStart = 8 + headerLen;
  const dataLen = fileSize - dataStart;
  const tensors: TensorInfo[] = [];
  for (const [name, t] of parsed.tensors) {
    let elems = 1;
    for (const d of t.shape) elems *= d;
    if (!Number.isSafeInteger(elems)) throw new SafetensorsError(`tensor ${quoted(name)} of shape [${t.shape.join(', ')}] has more than 2^53 elements`, file);
    const bytes = tensorBytes(t.dtype, elems);
    if (bytes === null)
      throw new SafetensorsError(`tensor ${quoted(name)}: ${elems} ${t.dtype} values (${DTYPE_BITS[t.dtype]} bits) do not end on a byte boundary`, file);
    if (t.end < t.begin) throw new SafetensorsError(`tensor ${quoted(name)} ends before it begins`, file);
    if (bytes !== t.end - t.begin)
      throw new SafetensorsError(`tensor ${quoted(name)} of shape [${t.shape.join(', ')}] ${t.dtype} needs ${bytes} bytes but spans ${t.end - t.begin}`, file);
    if (t.end > dataLen) throw new SafetensorsError(`tensor ${quoted(name)} ends at byte ${t.end}, past the ${dataLen}-byte data section`, file);
    tensors.push({ name, dtype: t.dtype, shape: t.shape, begin: t.begin, end: t.end });
  }
  // the data section must be covered exactly, without overlaps or holes (the reference sorts by offsets)
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of sorted) {
    if (t.begin < cursor) throw new SafetensorsError(`tensor ${quoted(t.name)} overlaps the previous tensor`, file);
    if (t.begin > cursor) throw new SafetensorsError(`a hole of ${t.begin - cursor} bytes precedes tensor ${quoted(t.name)}`, file);
    cursor = t.end;
  }
  if (cursor !== dataLen) throw new SafetensorsError(`${dataLen - cursor} bytes after the last tensor are not described by the header`, file);
  return { tensors, metadata: parsed.metadata, dataStart, fileSize, headerLength: headerLen };
}

/** An open safetensors file; tensors are read on demand, whole or by byte range. */
export class SafetensorsFile {
  readonly header: SafetensorsHeader;
  private fd: number;
  private readonly byName: Map<string, TensorInfo>;
  constructor(readonly path: string) {
    const { fd, size } = openRegular(path, 'safetensors file');
    this.fd = fd;
    try {
      this.header = readHeader(this.fd, path, size);
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
  private need(name: string): TensorInfo {
    const t = this.byName.get(name);
    if (!t) throw new SafetensorsError(`no tensor named ${quoted(name)}`, this.path);
    return t;
  }
  /** The raw little-endian bytes of one tensor. */
  read(name: string): Uint8Array {
    const t = this.need(name);
    return this.readRange(name, 0, t.end - t.begin);
  }
  /** `byteLength` bytes of a tensor from `byteOffset` (into `into` when given). */
  readRange(name: string, byteOffset: number, byteLength: number, into?: Uint8Array): Uint8Array {
    const t = this.need(name);
    if (!Number.isSafeInteger(byteOffset) || !Number.isSafeInteger(byteLength) || byteOffset < 0 || byteLength < 0 || byteOffset + byteLength > t.end - t.begin)
      throw new RangeError(`bytes [${byteOffset}, ${byteOffset + byteLength}) are outside tensor ${quoted(name)} (${t.end - t.begin} bytes)`);
    const buf = into ? into.subarray(0, byteLength) : new Uint8Array(byteLength);
    readExact(this.fd, buf, this.header.dataStart + t.begin + byteOffset, this.path, () => `tensor ${quoted(name)}`);
    return buf;
  }
  /** Rows [r0, r1) of a tensor (along its first dimension). */
  readRows(name: string, r0: number, r1: number): Uint8Array {
    const t = this.need(name);
    const rowBytes = (t.end - t.begin) / Math.max(1, t.shape[0] ?? 1);
    return this.readRange(name, r0 * rowBytes, (r1 - r0) * rowBytes);
  }
  /** Raw bytes of the file (e.g. its header). */
  readAt(position: number, length: number): Uint8Array {
    const buf = new Uint8Array(length);
    readExact(this.fd, buf, position, this.path, () => `bytes ${position}-${position + length}`);
    return buf;
  }
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export const INDEX_FILE = 'model.safetensors.index.json';

/** A checkpoint: one .safetensors file, or a folder with an index (model.safetensors.index.json) or shards. */
export class Checkpoint {
  readonly files: SafetensorsFile[] = [];
  /** The index file, when the checkpoint has one. */
  readonly index: string | null;
  private readonly where = new Map<string, SafetensorsFile>();
  constructor(readonly path: string) {
    const { files, index, weightMap } = checkpointFiles(path);
    this.index = index;
    try {
      for (const f of files) {
        const sf = new SafetensorsFile(f);
        this.files.push(sf);
        for (const t of sf.tensors) {
          if (this.where.has(t.name)) throw new SafetensorsError(`tensor ${quoted(t.name)} appears in two shards (also in ${this.where.get(t.name)!.path})`, f);
          this.where.set(t.name, sf);
        }
      }
      if (weightMap) {
        // the index and the shards must agree: every listed tensor in its shard, every shard tensor listed
        for (const [name, shard] of Object.entries(weightMap)) {
          const f = this.where.get(name);
          const expected = join(path, shard);
          if (!f || f.path !== expected)
            throw new SafetensorsError(
              `the index places tensor ${quoted(name)} in shard ${quoted(shard)}, which ${f ? `does not hold it (it is in ${f.path})` : 'does not hold it'}`,
              index!,
            );
        }
        for (const sf of this.files)
          for (const t of sf.tensors)
            if (!Object.hasOwn(weightMap, t.name))
              throw new SafetensorsError(`shard holds tensor ${quoted(t.name)}, which the index ${index} does not list`, sf.path);
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
  private need(name: string): SafetensorsFile {
    const f = this.where.get(name);
    if (!f) throw new SafetensorsError(`no tensor named ${quoted(name)}`, this.path);
    return f;
  }
  read(name: string): Uint8Array {
    return this.need(name).read(name);
  }
  readRange(name: string, byteOffset: number, byteLength: number, into?: Uint8Array): Uint8Array {
    return this.need(name).readRange(name, byteOffset, byteLength, into);
  }
  metadata(): Record<string, string> {
    return Object.assign({}, ...this.files.map((f) => f.header.metadata));
  }
  /** Real paths of every file read (symlink targets), for output-safety checks. */
  realFiles(): string[] {
    const out = this.files.map((f) => f.path);
    if (this.index) out.push(this.index);
    return out.map((p) => {
      try {
        return realpathSync(p);
      } catch {
        return p;
      }
    });
  }
  close(): void {
    for (const f of this.files) f.close();
  }
}

/** The .safetensors files of a checkpoint path: the one file, the shards its index names, or every shard in the folder. */
export function checkpointFiles(path: string): { files: string[]; index: string | null; weightMap: Record<string, string> | null } {
  const kind = pathKind(path);
  if (kind === 'none') throw new SafetensorsError('no such file or folder', path);
  if (kind === 'other') throw new SafetensorsError(`is ${otherKind(path)}, not a safetensors file or a checkpoint folder`, path);
  if (kind === 'file') return { files: [path], index: null, weightMap: null };
  const index = join(path, INDEX_FILE);
  const indexKind = pathKind(index);
  if (indexKind !== 'none') {
    const json = parseJsonText(readSmallText(index, 'index'), index, 'index') as { weight_map?: unknown };
    const wm = json && typeof json === 'object' ? json.weight_map : undefined;
    if (!wm || typeof wm !== 'object' || Array.isArray(wm)) throw new SafetensorsError('index has no weight_map object', index);
    const entries = Object.entries(wm as Record<string, unknown>);
    if (!entries.length) throw new SafetensorsError('index has an empty weight_map', index);
    for (const [name, shard] of entries) {
      if (typeof shard !== 'string') throw new SafetensorsError(`weight_map entry for ${quoted(name)} is not a file name`, index);
      if (shard === '' || shard.includes('/') || shard.includes('\\') || shard === '.' || shard === '..' || shard.includes('\0'))
        throw new SafetensorsError(`index names a shard outside the folder: ${quoted(shard)}`, index);
    }
    const weightMap = wm as Record<string, string>;
    const names = [...new Set(Object.values(weightMap))].sort();
    return { files: names.map((n) => join(path, n)), index, weightMap };
  }
  let entries: string[];
  try {
    entries = readdirSync(path);
  } catch (e) {
    throw new SafetensorsError(`cannot list the folder (${(e as NodeJS.ErrnoException).code ?? 'error'})`, path);
  }
  const fs = entries.filter((n) => n.endsWith('.safetensors')).sort();
  if (!fs.length) throw new SafetensorsError('folder has no .safetensors files', path);
  return { files: fs.map((n) => join(path, n)), index: null, weightMap: null };
}

export interface PlannedTensor {
  name: string;
  dtype: DType;
  shape: number[];
}

/** Lone UTF-16 surrogates cannot be written as JSON the reference reader accepts. */
function wellFormed(s: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

export interface HeaderLayout {
  /** 8-byte length + JSON (space-padded to a multiple of 8). */
  prefix: Uint8Array;
  /** Data offsets of each tensor, in the order given. */
  offsets: { name: string; begin: number; end: number }[];
  dataBytes: number;
}

/** Lays out tensors in the order given and builds the header bytes (refused past the reference limit). */
export function layoutHeader(tensors: PlannedTensor[], metadata: Record<string, string> = {}, file = '(output)'): HeaderLayout {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const offsets: HeaderLayout['offsets'] = [];
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === '__metadata__' || seen.has(t.name) || !wellFormed(t.name))
      throw new SafetensorsError(`cannot write a tensor named ${quoted(t.name)} (reserved, repeated or not valid Unicode)`, file);
    seen.add(t.name);
    const elems = t.shape.reduce((a, b) => a * b, 1);
    const bytes = tensorBytes(t.dtype, elems);
    if (bytes === null || !Number.isSafeInteger(elems)) throw new SafetensorsError(`tensor ${quoted(t.name)} has no whole-byte size`, file);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offsets.push({ name: t.name, begin: offset, end: offset + bytes });
    offset += bytes;
  }
  for (const [k, v] of Object.entries(metadata))
    if (!wellFormed(k) || !wellFormed(v)) throw new SafetensorsError(`metadata ${quoted(k)} is not valid Unicode`, file);
  let json = JSON.stringify(header);
  while (Buffer.byteLength(json) % 8 !== 0) json += ' ';
  const hb = Buffer.from(json, 'utf8');
  if (hb.length > MAX_HEADER_BYTES)
    throw new SafetensorsError(
      `the header would be ${hb.length} bytes, more than the ${MAX_HEADER_BYTES} the format's reference reader accepts (too many tensors or too much metadata)`,
      file,
    );
  const prefix = new Uint8Array(8 + hb.length);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(hb.length), true);
  prefix.set(hb, 8);
  return { prefix, offsets, dataBytes: offset };
}

export interface TensorToWrite extends PlannedTensor {
  /** The bytes, or a function producing them when the writer reaches this tensor. */
  data: Uint8Array | (() => Uint8Array);
}

/** Writes a small safetensors file atomically (temporary file in the same folder, then rename), tensors in the order given. */
export function writeSafetensors(path: string, tensors: TensorToWrite[], metadata: Record<string, string> = {}): void {
  const layout = layoutHeader(tensors, metadata, path);
  streamFileAtomic(path, (put) => {
    put(layout.prefix);
    tensors.forEach((t, k) => {
      const data = typeof t.data === 'function' ? t.data() : t.data;
      const want = layout.offsets[k]!.end - layout.offsets[k]!.begin;
      if (data.byteLength !== want) throw new Error(`tensor '${t.name}' has ${data.byteLength} bytes, expected ${want}`);
      put(data);
    });
  });
}
