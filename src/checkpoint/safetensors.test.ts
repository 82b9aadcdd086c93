import fc from 'fast-check';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEADER_CASES as cases } from '../../test/header-cases.js';
import { Checkpoint, layoutHeader, MAX_HEADER_BYTES, SafetensorsError, SafetensorsFile, writeSafetensors } from './safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'sinan-st-'));

/** Builds a file by hand from the format's definition (independent of the writer). */
function raw(header: unknown, data: Uint8Array, lenOverride?: bigint): Uint8Array {
  const hb = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lenOverride ?? BigInt(hb.length));
  return new Uint8Array(Buffer.concat([len, hb, Buffer.from(data)]));
}

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const open = (p: string) => {
  const f = new SafetensorsFile(p);
  f.close();
  return f;
};

describe('safetensors reading', () => {
  it('reads a hand-built file', () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
    const p = file('ok.safetensors', raw({ __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }, data));
    const f = new SafetensorsFile(p);
    expect(f.tensors[0]).toMatchObject({ name: 'w', dtype: 'F32', shape: [2, 2] });
    expect(f.header.metadata).toEqual({ format: 'pt' });
    expect(new Float32Array(f.read('w').slice().buffer)).toEqual(new Float32Array([1, 2, 3, 4]));
    f.close();
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['shorter than 8 bytes', new Uint8Array(5), /shorter than the 8-byte/],
    [
      'a huge header length',
      raw({}, new Uint8Array(0), 1n << 60n),
      /not a safetensors file: its first 8 bytes give a header length of 1152921504606846976 bytes but the file has only 10 bytes/,
    ],
    [
      'a text file',
      new TextEncoder().encode('hello world, this is a plain text file\n'),
      /not a safetensors file: its first 8 bytes give a header length of 8031924123371070824 bytes but the file has only 39 bytes/,
    ],
    ['a header past the end (truncated)', raw({ w: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4)).slice(0, 20), /runs past the end/],
    ['offsets past the data', raw({ w: { dtype: 'U8', shape: [8], data_offsets: [0, 8] } }, new Uint8Array(4)), /past the 4-byte data section/],
    [
      'overlapping tensors',
      raw({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [2, 6] } }, new Uint8Array(6)),
      /overlaps/,
    ],
    ['a hole', raw({ a: { dtype: 'U8', shape: [2], data_offsets: [2, 4] } }, new Uint8Array(4)), /hole/],
    ['trailing bytes', raw({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(4)), /not described/],
    ['a shape that does not match its bytes', raw({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs 12 bytes/],
    ['an unknown dtype', raw({ a: { dtype: 'F7', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /unknown dtype/],
    ['a negative dimension', raw({ a: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }, new Uint8Array(0)), /shape of tensor "a" holds a negative number/],
    ['JSON garbage', new Uint8Array([4, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7b, 0x7b, 0x7b]), /not valid UTF-8 JSON/],
  ];
  it.each(bad)('rejects %s', (_name, bytes, msg) => {
    const p = file(`bad-${Math.random().toString(36).slice(2)}.safetensors`, bytes);
    expect(() => open(p)).toThrow(SafetensorsError);
    expect(() => open(p)).toThrow(msg);
  });

  it('never crashes on random bytes (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const p = file('fuzz.safetensors', bytes);
        try {
          open(p);
        } catch (e) {
          return e instanceof SafetensorsError;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('never crashes on corrupted valid files (mutation fuzz)', () => {
    const good = raw(
      { a: { dtype: 'BF16', shape: [2, 3], data_offsets: [0, 12] }, b: { dtype: 'I32', shape: [2], data_offsets: [12, 20] } },
      new Uint8Array(20),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: good.length }), (pos, val, cut) => {
        const b = good.slice(0, cut);
        if (pos < b.length) b[pos] = val;
        const p = file('mut.safetensors', b);
        try {
          open(p);
        } catch (e) {
          return e instanceof SafetensorsError;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe('safetensors writing', () => {
  it('round-trips through the reader and pads the header to 8 bytes', () => {
    const p = join(dir, 'w.safetensors');
    writeSafetensors(
      p,
      [
        { name: 'x', dtype: 'BF16', shape: [2, 2], data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) },
        { name: 'y', dtype: 'U8', shape: [3], data: () => new Uint8Array([9, 9, 9]) },
      ],
      { note: 'hi' },
    );
    const bytes = readFileSync(p);
    expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
    const f = new SafetensorsFile(p);
    expect([...f.read('y')]).toEqual([9, 9, 9]);
    expect(f.header.metadata).toEqual({ note: 'hi' });
    f.close();
  });

  it('leaves no output and no temporary file when interrupted', () => {
    const sub = mkdtempSync(join(tmpdir(), 'sinan-int-'));
    const p = join(sub, 'out.safetensors');
    expect(() =>
      writeSafetensors(p, [
        { name: 'a', dtype: 'U8', shape: [2], data: new Uint8Array(2) },
        {
          name: 'b',
          dtype: 'U8',
          shape: [2],
          data: () => {
            throw new Error('disk on fire');
          },
        },
      ]),
    ).toThrow(/disk on fire/);
    expect(existsSync(p)).toBe(false);
    expect(readdirSync(sub)).toEqual([]);
  });

  it('opens sharded checkpoints through their index', () => {
    const sub = mkdtempSync(join(tmpdir(), 'sinan-shard-'));
    writeSafetensors(join(sub, 'model-00001-of-00002.safetensors'), [{ name: 'a', dtype: 'U8', shape: [1], data: new Uint8Array([1]) }]);
    writeSafetensors(join(sub, 'model-00002-of-00002.safetensors'), [{ name: 'b', dtype: 'U8', shape: [1], data: new Uint8Array([2]) }]);
    writeFileSync(
      join(sub, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } }),
    );
    const c = new Checkpoint(sub);
    expect(c.tensors.map((t) => t.name).sort()).toEqual(['a', 'b']);
    expect([...c.read('b')]).toEqual([2]);
    c.close();
    writeFileSync(join(sub, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: '../evil.safetensors' } }));
    expect(() => new Checkpoint(sub)).toThrow(/outside the folder/);
  });
});

/** A file from raw header text, one byte per character (independent of Sinan's writer). */
function fromText(header: string, data: Uint8Array = new Uint8Array(0)): string {
  const hb = Buffer.from(header, 'latin1');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hb.length));
  return file(`h-${Math.random().toString(36).slice(2)}.safetensors`, new Uint8Array(Buffer.concat([len, hb, Buffer.from(data)])));
}

describe('the header rules of the reference reader (huggingface/safetensors 0.8, checked with its Python binding)', () => {
  it.each(cases)('%s', (_what, header, data, accepted) => {
    const p = fromText(header, data);
    if (accepted) expect(() => open(p)).not.toThrow();
    else expect(() => open(p)).toThrow(SafetensorsError);
  });

  it('keeps the last of two definitions of a name, as the reference does', () => {
    const p = fromText(
      '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}',
      new Uint8Array([1, 2, 3, 4]),
    );
    const f = new SafetensorsFile(p);
    expect([...f.read('a')]).toEqual([1, 2, 3, 4]);
    f.close();
  });

  it('reads and writes headers up to 100,000,000 bytes, the reference limit, and no more', () => {
    expect(MAX_HEADER_BYTES).toBe(100_000_000);
    // metadata that makes the header 100,000,008 bytes: the writer refuses before writing anything
    const big = { note: 'x'.repeat(100_000_008 - '{"__metadata__":{"note":""}}'.length) };
    expect(() => layoutHeader([], big)).toThrow(/would be 100000008 bytes, more than the 100000000 the format's reference reader accepts/);
    expect(layoutHeader([], { note: 'x'.repeat(100_000_000 - '{"__metadata__":{"note":""}}'.length) }).prefix.length).toBe(8 + 100_000_000);
    // a file long enough to hold that header (sparse: nothing is written past the first 10 bytes), so it is the limit that refuses it
    const p = join(dir, 'over.safetensors');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(100_000_001n);
    writeFileSync(p, Buffer.concat([len, Buffer.from('{}')]));
    truncateSync(p, 8 + 100_000_001);
    expect(() => open(p)).toThrow(/exceeds the 100000000-byte limit/);
  });
});

describe('ranged reads', () => {
  it('read any byte range of a tensor, and refuse one outside it', () => {
    const p = join(dir, 'r.safetensors');
    writeSafetensors(p, [{ name: 'w', dtype: 'U8', shape: [4, 5], data: Uint8Array.from({ length: 20 }, (_, i) => i) }]);
    const f = new SafetensorsFile(p);
    expect([...f.readRange('w', 7, 3)]).toEqual([7, 8, 9]);
    expect([...f.readRows('w', 2, 3)]).toEqual([10, 11, 12, 13, 14]);
    expect(() => f.readRange('w', 18, 3)).toThrow(/outside tensor/);
    f.close();
  });

  it('address data beyond 4 GiB exactly (a sparse file with a 5 GB tensor first)', () => {
    const p = join(dir, 'big.safetensors');
    const big = 5_000_000_000;
    const header = JSON.stringify({ pad: { dtype: 'U8', shape: [big], data_offsets: [0, big] }, w: { dtype: 'U8', shape: [8], data_offsets: [big, big + 8] } });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    writeFileSync(p, Buffer.concat([len, Buffer.from(header)]));
    const fd = openSync(p, 'r+');
    writeSync(fd, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 0, 8, 8 + header.length + big);
    closeSync(fd);
    const f = new SafetensorsFile(p);
    expect(f.info('pad')!.end).toBe(big);
    expect([...f.read('w')]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...f.readRange('pad', big - 4, 4)]).toEqual([0, 0, 0, 0]);
    f.close();
    rmSync(p);
  });
});
