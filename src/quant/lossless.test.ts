import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainedLike } from '../../test/quant-data.js';
import { codeLengths, decode, decodeTables, encode, encoderTable } from './huffman.js';
import { chunkLayout, decodeChunk16, encodeChunk16, entropyBound, losslessWasmAvailable, splitValues, type Float16Kind } from './lossless.js';
import { losslessKernel } from './wasm-lossless.js';
import { mergeValues } from './lossless-layout.js';
import { xxh64, xxh64Js } from './xxh64.js';

const roundTrip = (sym: Uint8Array) => {
  const counts = new Float64Array(256);
  for (const s of sym) counts[s]!++;
  const lengths = codeLengths(counts);
  const out = new Uint8Array(sym.length);
  decode(encode(sym, encoderTable(lengths)), sym.length, decodeTables(lengths), out);
  return Buffer.from(out).equals(Buffer.from(sym));
};

describe('Huffman coding (LSB-first canonical codes)', () => {
  it('round-trips any byte sequence (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), roundTrip));
  });
  it('round-trips skewed sequences whose rare symbols get codes longer than the 12-bit table (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 3000 }), fc.integer({ min: 0, max: 2 ** 31 }), (picks, seed) => {
        let s = seed >>> 0;
        const sym = Uint8Array.from(picks, (p) => {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          return Math.min(Math.clz32(s | 1), p);
        });
        return roundTrip(sym);
      }),
    );
  });
  it('keeps code lengths within 16 bits on very skewed counts and satisfies Kraft with equality', () => {
    const counts = Array.from({ length: 256 }, (_, i) => 2 ** Math.min(i, 40));
    const l = codeLengths(counts);
    let kraft = 0;
    for (const x of l) if (x) kraft += 2 ** -x;
    expect(Math.max(...l)).toBe(16);
    expect(kraft).toBe(1);
  });
  it('emits the first code in the lowest bits of the first byte', () => {
    // two symbols, lengths 1: codes 0 and 1; "1, 0, 1, 1" -> bits 1,0,1,1 from bit 0 -> 0b1101
    const lengths = new Uint8Array(256);
    lengths[7] = 1;
    lengths[9] = 1;
    expect([...encode(Uint8Array.from([9, 7, 9, 9]), encoderTable(lengths))]).toEqual([0b1101]);
  });
  it('rejects a stream that ends before its last symbol', () => {
    const counts = Array.from({ length: 20 }, (_, i) => 2 ** (20 - i));
    const lengths = codeLengths(counts);
    const sym = Uint8Array.from({ length: 40 }, (_, i) => i % 20);
    const enc = encode(sym, encoderTable(lengths));
    expect(() => decode(enc.subarray(0, enc.length - 3), sym.length, decodeTables(lengths), new Uint8Array(40))).toThrow(/ends before/);
  });
});

describe('lossless 16-bit chunks', () => {
  it('round-trip exactly, special values included, with either engine (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 4000 }).map((b) => b.subarray(0, b.length & ~1)),
        fc.constantFrom<Float16Kind>('bf16', 'fp16'),
        (bytes, kind) => {
          const payload = encodeChunk16(bytes, kind, 'js');
          const a = new Uint8Array(bytes.length);
          const b = new Uint8Array(bytes.length);
          decodeChunk16(payload, kind, a, 'js');
          decodeChunk16(payload, kind, b, 'wasm');
          return Buffer.from(a).equals(Buffer.from(bytes)) && Buffer.from(b).equals(Buffer.from(bytes));
        },
      ),
    );
  });

  it('the WebAssembly kernel is in use on this runtime (so the tests exercise it)', () => {
    expect(losslessWasmAvailable()).toBe(true);
  });

  it('the WebAssembly coder writes the scalar coder’s bytes, any bits and lengths (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }).map((b) => b.slice(0, b.length & ~1)),
        fc.constantFrom<Float16Kind>('bf16', 'fp16'),
        (bytes, kind) => Buffer.from(encodeChunk16(bytes, kind, 'wasm')).equals(Buffer.from(encodeChunk16(bytes, kind, 'js'))),
      ),
    );
  });

  it('the WebAssembly decoder restores skewed chunks exactly: one to four symbols per table step, codes of 1 to 16 bits, one-symbol codes (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.double({ min: 0.05, max: 4, noNaN: true }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom<Float16Kind>('bf16', 'fp16'),
        (count, spread, seed, kind) => {
          // the coded byte geometric around 120 (spread 0.05: nearly one symbol; 4: long tails), the rest random
          let st = seed;
          const rnd = () => ((st = (Math.imul(st, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
          const sym = new Uint8Array(count);
          const raw = new Uint8Array(count);
          for (let i = 0; i < count; i++) {
            sym[i] = (120 + Math.floor(-Math.log2(rnd()) * spread)) & 0xff;
            raw[i] = Math.floor(rnd() * 256);
          }
          const bytes = new Uint8Array(2 * count);
          mergeValues(sym, raw, kind, bytes);
          const payload = encodeChunk16(bytes, kind, 'js');
          const out = new Uint8Array(bytes.length);
          decodeChunk16(payload, kind, out, 'wasm');
          return Buffer.from(out).equals(Buffer.from(bytes));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('agree on a large chunk of trained-like weights with rare exponents (codes longer than 12 bits) and an odd count', () => {
    const n = 1_000_003;
    const bytes = trainedLike(n, 0.02, 'bf16', 11);
    let s = 3;
    for (let i = 2 * 990_000; i < bytes.length; i++) bytes[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
    const w = encodeChunk16(bytes, 'bf16', 'wasm');
    expect(Buffer.from(w).equals(Buffer.from(encodeChunk16(bytes, 'bf16', 'js')))).toBe(true);
    expect(Math.max(...chunkLayout(w, n).lengths)).toBeGreaterThan(12);
    const out = new Uint8Array(bytes.length);
    decodeChunk16(w, 'bf16', out, 'wasm');
    expect(Buffer.from(out).equals(Buffer.from(bytes))).toBe(true);
  });

  it('gets within 1% of the entropy bound, about 10.6 bits per weight, on trained-like BF16 weights', () => {
    const bytes = trainedLike(1 << 21, 0.02, 'bf16');
    const p = encodeChunk16(bytes, 'bf16');
    const bpw = (8 * p.length) / (1 << 21);
    const { boundBitsPerWeight, exponentBits } = entropyBound(bytes, 'bf16');
    expect(exponentBits).toBeGreaterThan(2.4);
    expect(exponentBits).toBeLessThan(2.8);
    expect(bpw).toBeLessThan(boundBitsPerWeight * 1.01);
    expect(bpw).toBeGreaterThan(boundBitsPerWeight);
  });

  it('codes FP16 by its high byte as well as by its 5-bit exponent (within 1% of the exponent bound)', () => {
    const bytes = trainedLike(1 << 20, 1, 'fp16');
    const bpw = (8 * encodeChunk16(bytes, 'fp16').length) / (1 << 20);
    // high byte = sign + 5-bit exponent + 2 mantissa bits; the 3 non-exponent bits are ~uniform
    const n = bytes.length / 2;
    const hist = new Float64Array(32);
    for (let i = 0; i < n; i++) hist[(bytes[2 * i + 1]! >> 2) & 31]!++;
    let h = 0;
    for (const c of hist) if (c) h -= (c / n) * Math.log2(c / n);
    expect(bpw).toBeLessThan((h + 11) * 1.01);
  });

  it('rejects damaged payloads with an error, never garbage or a hang', () => {
    const bytes = trainedLike(100_000, 0.02, 'bf16');
    const p = encodeChunk16(bytes, 'bf16');
    const out = new Uint8Array(bytes.length);
    for (const engine of ['js', 'wasm'] as const) {
      expect(() => decodeChunk16(p.subarray(0, p.length - 5), 'bf16', out, engine)).toThrow(/corrupt/);
      expect(() => decodeChunk16(p.subarray(0, 1000), 'bf16', out, engine)).toThrow(/corrupt/);
      const bad = p.slice();
      bad[100_000 + 12 + 32] = bad[100_000 + 12 + 32]! & 0xf0; // the first symbol's code length becomes 1: not a prefix code
      expect(() => decodeChunk16(bad, 'bf16', out, engine)).toThrow(/corrupt/);
    }
    // a flipped bit inside a stream decodes to wrong values (the container's checksum catches it) or fails
    const flip = p.slice();
    flip[p.length - 1000] = flip[p.length - 1000]! ^ 0x10;
    let ok = true;
    try {
      decodeChunk16(flip, 'bf16', out, 'wasm');
      ok = !Buffer.from(out).equals(Buffer.from(bytes));
    } catch {
      ok = true;
    }
    expect(ok).toBe(true);
  });

  it('the coded byte: BF16 exponent bits 14..7, FP16 high byte', () => {
    const sym = new Uint8Array(1);
    const raw = new Uint8Array(1);
    splitValues(Uint8Array.from([0x80, 0xbf]), 'bf16', sym, raw); // 0xBF80 = -1.0: exponent 127, sign 1, mantissa 0
    expect([sym[0], raw[0]]).toEqual([127, 0x80]);
    splitValues(Uint8Array.from([0x34, 0x12]), 'fp16', sym, raw);
    expect([sym[0], raw[0]]).toEqual([0x12, 0x34]);
  });
});

describe('XXH64', () => {
  it('gives the published values for the empty string and "abc"', () => {
    expect(xxh64Js(new Uint8Array(0))).toBe(0xef46db3751d8e999n);
    expect(xxh64Js(new TextEncoder().encode('abc'))).toBe(0x44bc2cf5ad770999n);
  });
  it('the WebAssembly kernel equals the BigInt reference at every length and alignment (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 7 }), (b, off) => {
        const shifted = new Uint8Array(b.length + off);
        shifted.set(b, off);
        return losslessKernel()!.xxh64(shifted.subarray(off)) === xxh64Js(b);
      }),
    );
  });
  it.skipIf(!existsSync('/usr/bin/zstd'))('agrees with the content checksum zstd writes (its low 32 bits)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinan-xxh-'));
    const data = trainedLike(300_000, 0.02, 'bf16');
    writeFileSync(join(dir, 'd'), data);
    execFileSync('/usr/bin/zstd', ['-q', '-1', '--check', '-f', join(dir, 'd'), '-o', join(dir, 'd.zst')]);
    const z = readFileSync(join(dir, 'd.zst'));
    expect(z.readUInt32LE(z.length - 4)).toBe(Number(xxh64(data) & 0xffffffffn));
  });
});
