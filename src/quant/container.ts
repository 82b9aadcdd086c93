import { closeSync, openSync, readSync } from 'node:fs';
import { streamFileAtomic } from '../util/files.js';
import { boundFromCounts, compress16, compressedBitsPerWeight, decompress16, entropyBound, type Compressed } from './lossless.js';
import { SafetensorsError, SafetensorsFile, writeSafetensors, type TensorToWrite } from './safetensors.js';

/**
 * A losslessly compressed safetensors file is itself a valid safetensors file of U8 blobs:
 * the original header bytes, and per 16-bit float tensor its Huffman-coded exponents, raw
 * sign+mantissa bits and code lengths (other tensors copied). Decompression rebuilds the
 * original file byte for byte.
 */

export interface CompressionReport {
  input: string;
  output: string;
  bytesIn: number;
  bytesOut: number;
  ratio: number;
  tensors: { name: string; dtype: string; bitsPerWeight: number; boundBitsPerWeight: number; ratio: number }[];
}

export function compressFile(input: string, output: string, onProgress?: (done: number, total: number) => void): CompressionReport {
  const f = new SafetensorsFile(input);
  try {
    const hdrLen = f.header.dataStart - 8;
    const headerBytes = readRange(f, 8, hdrLen);
    const order = [...f.tensors].sort((a, b) => a.begin - b.begin);
    const out: TensorToWrite[] = [{ name: '__sinan__.header', dtype: 'U8', shape: [hdrLen], data: headerBytes }];
    const meta: [string, { kind: string; count: number } | null][] = []; // in data order
    const reports: CompressionReport['tensors'] = [];
    const comp = new Map<string, Compressed>();
    let done = 0;
    for (const t of order) {
      if (t.dtype === 'BF16' || t.dtype === 'F16') {
        const kind = t.dtype === 'BF16' ? 'bf16' : 'fp16';
        const bytes = f.read(t.name);
        const c = compress16(bytes, kind);
        comp.set(t.name, c);
        meta.push([t.name, { kind, count: c.count }]);
        const bpw = compressedBitsPerWeight(c);
        reports.push({
          name: t.name,
          dtype: t.dtype,
          bitsPerWeight: bpw,
          boundBitsPerWeight: (c.counts ? boundFromCounts(c.counts, kind) : entropyBound(bytes, kind)).boundBitsPerWeight,
          ratio: 16 / bpw,
        });
        out.push({ name: `${t.name}::lengths`, dtype: 'U8', shape: [c.lengths.length], data: c.lengths });
        out.push({ name: `${t.name}::exp`, dtype: 'U8', shape: [c.exponents.length], data: c.exponents });
        out.push({ name: `${t.name}::raw`, dtype: 'U8', shape: [c.raw.length], data: c.raw });
      } else {
        meta.push([t.name, null]);
        out.push({ name: `${t.name}::raw`, dtype: 'U8', shape: [t.end - t.begin], data: () => f.read(t.name) });
      }
      onProgress?.(++done, order.length);
    }
    writeSafetensors(output, out, { sinan_compressed: '1', sinan_tensors: JSON.stringify(meta) });
    const bytesIn = f.header.fileSize;
    const outFile = new SafetensorsFile(output);
    const bytesOut = outFile.header.fileSize;
    outFile.close();
    return { input, output, bytesIn, bytesOut, ratio: bytesIn / bytesOut, tensors: reports };
  } finally {
    f.close();
  }
}

function readRange(f: SafetensorsFile, pos: number, len: number): Uint8Array {
  const fd = openSync(f.path, 'r');
  try {
    const buf = new Uint8Array(len);
    let off = 0;
    while (off < len) {
      const n = readSync(fd, buf, off, len - off, pos + off);
      if (n === 0) throw new SafetensorsError('unexpected end of file', f.path);
      off += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

export function decompressFile(input: string, output: string): { input: string; output: string; bytes: number } {
  const f = new SafetensorsFile(input);
  try {
    if (f.header.metadata.sinan_compressed !== '1') throw new SafetensorsError('not a file written by sinan compress', input);
    let meta: [string, { kind: 'bf16' | 'fp16'; count: number } | null][];
    try {
      meta = JSON.parse(f.header.metadata.sinan_tensors ?? '[]');
      if (!Array.isArray(meta)) throw new Error('not a list');
    } catch {
      throw new SafetensorsError('damaged sinan_tensors metadata', input);
    }
    const header = f.read('__sinan__.header');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    let bytes = 8 + header.length;
    streamFileAtomic(output, (put) => {
      put(len);
      put(header);
      for (const [name, m] of meta) {
        let data: Uint8Array;
        if (m)
          data = decompress16({
            kind: m.kind,
            count: m.count,
            lengths: f.read(`${name}::lengths`),
            exponents: f.read(`${name}::exp`),
            raw: f.read(`${name}::raw`),
          });
        else data = f.read(`${name}::raw`);
        put(data);
        bytes += data.length;
      }
    });
    // the rebuilt file must parse as the original did
    new SafetensorsFile(output).close();
    return { input, output, bytes };
  } finally {
    f.close();
  }
}
