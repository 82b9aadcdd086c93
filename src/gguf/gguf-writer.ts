import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { streamFileAtomic } from '../util/files.js';
import { createCodec } from './codecs.js';
import { GGML_TYPE_INFO, rowBytes, tensorBytes, type GgmlType } from './ggml-types.js';
import { ByteSink, encodeKv, kv, type GgufKv } from './gguf-metadata.js';

/**
 * The GGUF v3 file writer (ggml/docs/gguf.md; layout as ggml's gguf.cpp reads it): magic "GGUF",
 * version 3, tensor and key/value counts (uint64), the key/value pairs, the tensor infos (name,
 * dimension count, ne[] with ne[0] fastest, ggml type, data offset), zero padding to the
 * alignment, then each tensor's data at its offset, each followed by padding so the next starts
 * aligned (ggml requires offset[i] = offset[i-1] + pad(bytes[i-1]), and the last tensor padded too).
 *
 * Streaming: tensor data is produced a chunk of rows at a time, quantized into a reused buffer and
 * written straight to the file. Memory beyond the metadata is bounded by one chunk: at most
 * `chunkBytes` of float32 input rows (16 MiB by default, or one row if a row is larger) plus their
 * quantized bytes (never more than the input), whatever the tensor or file size. Atomic: the file
 * is written to a temporary file in the target folder and renamed over the target only when
 * complete; on any error it is removed and the target is left as it was.
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** GGML_MAX_DIMS */
export const GGUF_MAX_DIMS = 4;
/** GGML_MAX_NAME - 1: tensor names longer than 63 bytes are rejected by ggml. */
export const GGUF_MAX_NAME_BYTES = 63;

export interface GgufTensorSpec {
  /** GGUF tensor name, e.g. `blk.0.attn_q.weight`. */
  name: string;
  /** ggml dimensions, ne[0] fastest (a PyTorch [out, in] weight has ne = [in, out]). */
  ne: readonly number[];
  type: GgmlType;
  /** Rows `firstRow .. firstRow+rowCount-1` of ne[0] float32 values each; rows = ne[1]*ne[2]*ne[3]. */
  readRows(firstRow: number, rowCount: number): Float32Array;
}

export interface WriteGgufOptions {
  /** Data alignment (power of two); written as `general.alignment` when not the default 32. */
  alignment?: number;
  /** Float32 input per chunk (bytes); the memory bound of the data phase. Default 16 MiB. */
  chunkBytes?: number;
  /** Replace an existing file at the target (never one of `inputs`). Default false. */
  overwrite?: boolean;
  /** Files the tensors are read from; the target may never be one of them. */
  inputs?: readonly string[];
  /** Called after each tensor is written. */
  onTensor?: (name: string, index: number, count: number) => void;
}

export interface GgufTensorRecord {
  name: string;
  type: GgmlType;
  ne: number[];
  /** Offset from the start of the data section. */
  offset: number;
  /** Stored bytes, before padding (ggml_nbytes). */
  bytes: number;
}

export interface GgufWriteResult {
  path: string;
  fileBytes: number;
  dataOffset: number;
  alignment: number;
  tensors: GgufTensorRecord[];
}

export class GgufWriteError extends Error {
  constructor(
    message: string,
    readonly tensor?: string,
  ) {
    super(tensor ? `tensor '${tensor}': ${message}` : message);
    this.name = 'GgufWriteError';
  }
}

function pad(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function checkTensors(tensors: readonly GgufTensorSpec[]): void {
  const seen = new Set<string>();
  for (const t of tensors) {
    const nameBytes = Buffer.byteLength(t.name, 'utf8');
    if (!nameBytes) throw new GgufWriteError('tensor names must not be empty');
    if (nameBytes > GGUF_MAX_NAME_BYTES) throw new GgufWriteError(`name is ${nameBytes} bytes; ggml reads at most ${GGUF_MAX_NAME_BYTES}`, t.name);
    if (seen.has(t.name)) throw new GgufWriteError('name appears twice', t.name);
    seen.add(t.name);
    if (!(t.type in GGML_TYPE_INFO)) throw new GgufWriteError(`unknown ggml type ${String(t.type)}`, t.name);
    if (t.ne.length < 1 || t.ne.length > GGUF_MAX_DIMS) throw new GgufWriteError(`has ${t.ne.length} dimensions; GGUF allows 1 to ${GGUF_MAX_DIMS}`, t.name);
    for (const d of t.ne) if (!Number.isSafeInteger(d) || d < 1) throw new GgufWriteError(`dimension ${d} is not a positive integer`, t.name);
    const bs = GGML_TYPE_INFO[t.type].blockSize;
    if (t.ne[0]! % bs !== 0) throw new GgufWriteError(`rows of ${t.ne[0]} values do not fit ${t.type}, whose blocks hold ${bs}`, t.name);
  }
}

function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  if (!existsSync(a) || !existsSync(b)) return false;
  const sa = statSync(a);
  const sb = statSync(b);
  return sa.dev === sb.dev && sa.ino === sb.ino;
}

/** The header (everything before the data section, padding included) and the tensor layout. */
export function ggufHeader(
  metadata: readonly GgufKv[],
  tensors: readonly GgufTensorSpec[],
  alignment = GGUF_DEFAULT_ALIGNMENT,
): { header: Uint8Array; records: GgufTensorRecord[] } {
  if (!Number.isSafeInteger(alignment) || alignment < 1 || (alignment & (alignment - 1)) !== 0)
    throw new GgufWriteError(`alignment ${alignment} is not a power of two`);
  checkTensors(tensors);
  const kvs = [...metadata];
  const keys = new Set<string>();
  for (const p of kvs) {
    if (keys.has(p.key)) throw new GgufWriteError(`metadata key '${p.key}' appears twice`);
    keys.add(p.key);
  }
  if (keys.has('general.alignment')) {
    const a = kvs.find((p) => p.key === 'general.alignment')!.value;
    if (a.type !== 'uint32' || a.value !== alignment)
      throw new GgufWriteError(`general.alignment must be uint32 ${alignment}, the alignment the data is written with`);
  } else if (alignment !== GGUF_DEFAULT_ALIGNMENT) kvs.push(kv.u32('general.alignment', alignment));
  const s = new ByteSink();
  s.u32(GGUF_MAGIC);
  s.u32(GGUF_VERSION);
  s.u64(tensors.length);
  s.u64(kvs.length);
  for (const p of kvs) encodeKv(s, p);
  const records: GgufTensorRecord[] = [];
  let offset = 0;
  for (const t of tensors) {
    const bytes = tensorBytes(t.type, t.ne);
    records.push({ name: t.name, type: t.type, ne: [...t.ne], offset, bytes });
    s.str(t.name);
    s.u32(t.ne.length);
    for (const d of t.ne) s.u64(d);
    s.u32(GGML_TYPE_INFO[t.type].id);
    s.u64(offset);
    offset += pad(bytes, alignment);
  }
  s.zeros(pad(s.length, alignment) - s.length);
  return { header: s.result(), records };
}

/** Exact size in bytes of the GGUF file these tensors and metadata make. */
export function ggufFileBytes(metadata: readonly GgufKv[], tensors: readonly GgufTensorSpec[], alignment = GGUF_DEFAULT_ALIGNMENT): number {
  const { header, records } = ggufHeader(metadata, tensors, alignment);
  return header.length + records.reduce((a, r) => a + pad(r.bytes, alignment), 0);
}

/** Checks a quantized chunk: no fp16 scale overflowed (ggml would store inf/NaN scales and dequantize to inf/NaN). */
function checkHalfFields(type: GgmlType, out: Uint8Array, n: number, name: string, firstRow: number, rowB: number): void {
  const info = GGML_TYPE_INFO[type];
  if (!info.halfFields.length) return;
  for (let b = 0; b < n / info.blockBytes; b++)
    for (const f of info.halfFields) {
      const o = b * info.blockBytes + f;
      if ((out[o + 1]! & 0x7c) === 0x7c) {
        const row = firstRow + Math.floor(o / rowB);
        throw new GgufWriteError(
          `row ${row}: a ${type} block scale overflows fp16 (values beyond about 65504 x the type's largest level); store this tensor as F32 or BF16`,
          name,
        );
      }
    }
}

function checkRows(x: Float32Array, expected: number, type: GgmlType, name: string, firstRow: number, cols: number): void {
  if (x.length !== expected) throw new GgufWriteError(`the source gave ${x.length} values for rows starting at ${firstRow}, expected ${expected}`, name);
  const f16 = type === 'F16';
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v - v !== 0) throw new GgufWriteError(`row ${firstRow + Math.floor(i / cols)} holds a non-finite value (${v})`, name);
    if (f16 && (v >= 65520 || v <= -65520))
      throw new GgufWriteError(`row ${firstRow + Math.floor(i / cols)} holds ${v}, beyond the F16 range; store it as BF16 or F32`, name);
  }
}

/**
 * Writes a GGUF file: metadata pairs in the order given, tensors in the order given, streamed.
 * Refuses a target that is one of `inputs` (by path or inode), and an existing target unless
 * `overwrite`. Values must be finite; a quantized block whose fp16 scale would overflow is an
 * error naming the tensor and row.
 */
export function writeGgufFile(path: string, metadata: readonly GgufKv[], tensors: readonly GgufTensorSpec[], options: WriteGgufOptions = {}): GgufWriteResult {
  const alignment = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  const chunkBytes = options.chunkBytes ?? 16 << 20;
  for (const input of options.inputs ?? []) if (sameFile(path, input)) throw new GgufWriteError(`refusing to write ${path}: it is an input of this conversion`);
  if (existsSync(path) && !options.overwrite) throw new GgufWriteError(`refusing to overwrite ${path}; pass overwrite to replace it`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new GgufWriteError(`${path} is a folder`);
  const { header, records } = ggufHeader(metadata, tensors, alignment);
  let written = 0;
  streamFileAtomic(path, (put) => {
    put(header);
    written += header.length;
    const zeros = new Uint8Array(alignment);
    tensors.forEach((t, ti) => {
      const rec = records[ti]!;
      const cols = t.ne[0]!;
      const rows = rec.ne.slice(1).reduce((a, b) => a * b, 1);
      const rb = rowBytes(t.type, cols);
      const perChunk = Math.max(1, Math.min(rows, Math.floor(chunkBytes / (4 * cols))));
      const codec = createCodec(t.type);
      const out = new Uint8Array(perChunk * rb);
      for (let r = 0; r < rows; r += perChunk) {
        const n = Math.min(perChunk, rows - r);
        const x = t.readRows(r, n);
        checkRows(x, n * cols, t.type, t.name, r, cols);
        for (let i = 0; i < n; i++) codec.quantize(x, i * cols, cols, out, i * rb);
        checkHalfFields(t.type, out, n * rb, t.name, r, rb);
        put(out.subarray(0, n * rb));
      }
      const padding = pad(rec.bytes, alignment) - rec.bytes;
      if (padding) put(zeros.subarray(0, padding));
      written += rec.bytes + padding;
      options.onTensor?.(t.name, ti, tensors.length);
    });
  });
  return { path, fileBytes: written, dataOffset: header.length, alignment, tensors: records };
}
