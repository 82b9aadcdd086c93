import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ggmlDequantize, ggmlInfo, ggufCheckMissing } from '../../test/gguf-check.js';
import { testRows } from '../../test/gguf-data.js';
import { dequantizeRows, quantizeRows } from './codecs.js';
import { GGML_TYPE_INFO, GGML_TYPES, type GgmlType } from './ggml-types.js';
import { kv, type GgufKv } from './gguf-metadata.js';
import { ggufFileBytes, writeGgufFile, type GgufTensorSpec } from './gguf-writer.js';

const missing = ggufCheckMissing();
if (missing) console.warn(missing);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gguf-writer-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tensorFrom(name: string, type: GgmlType, ne: number[], x: Float32Array, calls?: number[]): GgufTensorSpec {
  const cols = ne[0]!;
  return {
    name,
    type,
    ne,
    readRows: (first, count) => {
      calls?.push(count);
      return x.slice(first * cols, (first + count) * cols);
    },
  };
}

const EVERY_KIND: GgufKv[] = [
  kv.str('general.architecture', 'test'),
  kv.u8('test.u8', 255),
  kv.i8('test.i8', -128),
  kv.u16('test.u16', 65535),
  kv.i16('test.i16', -32768),
  kv.u32('test.u32', 4294967295),
  kv.i32('test.i32', -2147483648),
  kv.f32('test.f32', 0.1),
  kv.f64('test.f64', 0.1),
  kv.u64('test.u64', 18446744073709551615n),
  kv.i64('test.i64', -9223372036854775808n),
  kv.bool('test.bool', true),
  kv.str('test.string', 'héllo "quoted" \\ 中文'),
  kv.arr('test.arr_str', 'string', ['a', '', 'Ġb']),
  kv.arr('test.arr_i32', 'int32', [1, -2, 3]),
  kv.arr('test.arr_f32', 'float32', [0.5, -1.5]),
  kv.arr('test.arr_bool', 'bool', [true, false]),
  kv.arr('test.arr_u8', 'uint8', [1, 2, 3]),
];

describe('writeGgufFile', () => {
  it('writes every metadata value type and every tensor type as ggml reads them; ggml dequantizes to our values bit for bit', () => {
    const tensors: GgufTensorSpec[] = [];
    const inputs = new Map<string, Float32Array>();
    GGML_TYPES.forEach((t, i) => {
      const cols = 512;
      const rows = 3 + (i % 3);
      const x = testRows('gaussian', rows, cols, i + 1);
      inputs.set(`t.${t}`, x);
      tensors.push(tensorFrom(`t.${t}`, t, [cols, rows], x));
    });
    const x3 = testRows('uniform', 2 * 3 * 4, 64, 3);
    tensors.push(tensorFrom('t.three_d', 'Q8_0', [64, 3, 8], x3));
    const one = Float32Array.of(1, 2, 3, 4, 5);
    tensors.push(tensorFrom('t.norm', 'F32', [5], one));
    const path = join(dir, 'all.gguf');
    const res = writeGgufFile(path, EVERY_KIND, tensors);
    expect(readFileSync(path).length).toBe(res.fileBytes);
    expect(res.fileBytes).toBe(ggufFileBytes(EVERY_KIND, tensors));
    if (missing) return;
    const info = ggmlInfo(path);
    expect(info.version).toBe(3);
    expect(info.alignment).toBe(32);
    expect(info.dataOffset).toBe(res.dataOffset);
    const m = info.metadata;
    expect(m['test.u8']).toBe(255);
    expect(m['test.i8']).toBe(-128);
    expect(m['test.u16']).toBe(65535);
    expect(m['test.i16']).toBe(-32768);
    expect(m['test.u32']).toBe(4294967295);
    expect(m['test.i32']).toBe(-2147483648);
    expect(m['test.f32']).toBeCloseTo(0.1, 8);
    expect(m['test.f64']).toBe(0.1);
    expect(m['test.bool']).toBe(true);
    expect(m['test.string']).toBe('héllo "quoted" \\ 中文');
    expect(m['test.arr_str']).toEqual({ type: 'array', of: 'str', n: 3, head: ['a', '', 'Ġb'] });
    expect(m['test.arr_i32']).toEqual({ type: 'array', of: 'i32', n: 3, head: [1, -2, 3] });
    expect(m['test.arr_f32']).toEqual({ type: 'array', of: 'f32', n: 2, head: [0.5, -1.5] });
    expect(m['test.arr_bool']).toEqual({ type: 'array', of: 'bool', n: 2, head: [true, false] });
    expect(m['test.arr_u8']).toEqual({ type: 'array', of: 'u8', n: 3, head: [1, 2, 3] });
    // 64-bit integers lose precision in JSON.parse; compare ggml's printed digits
    expect(info.raw).toContain('"test.u64":18446744073709551615');
    expect(info.raw).toContain('"test.i64":-9223372036854775808');
    expect(info.tensors.map((t) => t.name)).toEqual(tensors.map((t) => t.name));
    for (const [i, t] of info.tensors.entries()) {
      const rec = res.tensors[i]!;
      expect(t.type).toBe(GGML_TYPE_INFO[rec.type].ggmlName);
      expect(t.ne.slice(0, rec.ne.length)).toEqual(rec.ne);
      expect(t.ne.slice(rec.ne.length).every((d) => d === 1)).toBe(true);
      expect(t.offset).toBe(rec.offset);
      expect(t.bytes).toBe(rec.bytes);
      expect(t.offset % 32).toBe(0);
    }
    for (const t of GGML_TYPES) {
      const x = inputs.get(`t.${t}`)!;
      const rows = x.length / 512;
      const ours = dequantizeRows(t, quantizeRows(t, x, rows, 512), rows, 512);
      const theirs = ggmlDequantize(path, `t.${t}`);
      expect(Buffer.from(theirs.buffer).equals(Buffer.from(ours.buffer)), `${t} dequantized bits`).toBe(true);
    }
    expect(Array.from(ggmlDequantize(path, 't.norm'))).toEqual([1, 2, 3, 4, 5]);
  });

  it('writes general.alignment and aligns every tensor when the alignment is not 32', () => {
    const x = testRows('gaussian', 3, 32, 1);
    const tensors = [tensorFrom('a', 'Q4_0', [32, 3], x), tensorFrom('b', 'F16', [32, 3], x), tensorFrom('c', 'Q8_0', [32, 3], x)];
    const path = join(dir, 'a64.gguf');
    const res = writeGgufFile(path, [kv.str('general.architecture', 'test')], tensors, { alignment: 64 });
    expect(res.dataOffset % 64).toBe(0);
    expect(res.tensors.map((t) => t.offset)).toEqual([0, 64, 256]);
    if (missing) return;
    const info = ggmlInfo(path);
    expect(info.alignment).toBe(64);
    expect(info.metadata['general.alignment']).toBe(64);
    expect(info.tensors.map((t) => t.offset)).toEqual([0, 64, 256]);
  });

  it('streams: rows are requested in chunks within the bound, and the bytes do not depend on the chunk size', () => {
    const x = testRows('gaussian', 40, 256, 2);
    const calls: number[] = [];
    const small = writeGgufFile(join(dir, 'small.gguf'), [], [tensorFrom('w', 'Q4_K', [256, 40], x, calls)], { chunkBytes: 7 * 256 * 4 });
    expect(Math.max(...calls)).toBe(7);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(40);
    const big = writeGgufFile(join(dir, 'big.gguf'), [], [tensorFrom('w', 'Q4_K', [256, 40], x)]);
    expect(readFileSync(small.path).equals(readFileSync(big.path))).toBe(true);
    const oneRow: number[] = [];
    writeGgufFile(join(dir, 'row.gguf'), [], [tensorFrom('w', 'Q8_0', [256, 40], x, oneRow)], { chunkBytes: 10 });
    expect(new Set(oneRow)).toEqual(new Set([1]));
  });

  it('leaves nothing behind and keeps the old file when a tensor fails midway', () => {
    const path = join(dir, 'out.gguf');
    writeFileSync(path, 'previous');
    const failing: GgufTensorSpec = {
      name: 'w',
      type: 'Q8_0',
      ne: [32, 100],
      readRows: (first, count) => {
        if (first >= 50) throw new Error('disk on fire');
        return new Float32Array(32 * count);
      },
    };
    expect(() => writeGgufFile(path, [], [failing], { chunkBytes: 32 * 4 * 10, overwrite: true })).toThrow('disk on fire');
    expect(readFileSync(path, 'utf8')).toBe('previous');
    expect(readdirSync(dir)).toEqual(['out.gguf']);
  });

  it('refuses to overwrite an input (also through another path to it) or an existing file', () => {
    const input = join(dir, 'model.safetensors');
    writeFileSync(input, 'weights');
    const t = tensorFrom('w', 'F32', [4], new Float32Array(4));
    expect(() => writeGgufFile(input, [], [t], { inputs: [input], overwrite: true })).toThrow(/input of this conversion/);
    expect(() => writeGgufFile(join(dir, '.', 'model.safetensors'), [], [t], { inputs: [input], overwrite: true })).toThrow(/input/);
    expect(() => writeGgufFile(input, [], [t])).toThrow(/refusing to overwrite/);
    expect(readFileSync(input, 'utf8')).toBe('weights');
  });

  it('rejects non-finite values, F16 overflow and overflowing block scales, naming tensor and row', () => {
    const bad = new Float32Array(64);
    bad[40] = NaN;
    expect(() => writeGgufFile(join(dir, 'a.gguf'), [], [tensorFrom('w', 'Q8_0', [32, 2], bad)])).toThrow(/tensor 'w': row 1 holds a non-finite value/);
    const big = new Float32Array(32).fill(1e5);
    expect(() => writeGgufFile(join(dir, 'b.gguf'), [], [tensorFrom('w', 'F16', [32], big)])).toThrow(/beyond the F16 range/);
    const huge = new Float32Array(256).fill(3e9);
    expect(() => writeGgufFile(join(dir, 'c.gguf'), [], [tensorFrom('w', 'Q4_K', [256], huge)])).toThrow(/row 0: a Q4_K block scale overflows fp16/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('rejects malformed layouts before writing anything', () => {
    const t = (name: string, type: GgmlType, ne: number[]) => tensorFrom(name, type, ne, new Float32Array(1024));
    const p = join(dir, 'x.gguf');
    expect(() => writeGgufFile(p, [], [t('w', 'Q4_K', [128, 2])])).toThrow(/rows of 128 values do not fit Q4_K/);
    expect(() => writeGgufFile(p, [], [t('w', 'F32', [4]), t('w', 'F32', [4])])).toThrow(/appears twice/);
    expect(() => writeGgufFile(p, [], [t('x'.repeat(64), 'F32', [4])])).toThrow(/at most 63/);
    expect(() => writeGgufFile(p, [], [t('w', 'F32', [1, 1, 1, 1, 1])])).toThrow(/1 to 4/);
    expect(() => writeGgufFile(p, [kv.u8('k', 256)], [])).toThrow(/'k'.*uint8/);
    expect(() => writeGgufFile(p, [kv.str('k', 'a'), kv.str('k', 'b')], [])).toThrow(/appears twice/);
    expect(() => writeGgufFile(p, [], [], { alignment: 48 })).toThrow(/power of two/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
