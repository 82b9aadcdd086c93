import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { f32ToBf16, f32ToF16 } from './dtypes.js';
import { codeLengths, decode, encode } from './huffman.js';
import { boundFromCounts, compress16, compressedBitsPerWeight, decompress16, entropyBound, losslessWasmAvailable, type Float16Kind } from './lossless.js';

function trainedLike(n: number, std: number, kind: Float16Kind, seed = 5): Uint8Array {
  let s = seed >>> 0;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const out = new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r()) * std;
    const v = kind === 'bf16' ? f32ToBf16(g) : f32ToF16(g);
    out[2 * i] = v & 0xff;
    out[2 * i + 1] = v >>> 8;
  }
  return out;
}

describe('Huffman coding', () => {
  it('round-trips any byte sequence (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), (sym) => {
        const counts = new Float64Array(256);
        for (const s of sym) counts[s]!++;
        const lengths = codeLengths(counts);
        return Buffer.from(decode(encode(sym, lengths).bytes, sym.length, lengths)).equals(Buffer.from(sym));
      }),
    );
  });
  it('round-trips skewed sequences whose rare symbols get codes longer than the fast table (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 3000 }), fc.integer({ min: 0, max: 2 ** 31 }), (picks, seed) => {
        // geometric-like symbol frequencies: symbol k appears about 2^-k of the time
        let s = seed >>> 0;
        const sym = Uint8Array.from(picks, (p) => {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          return Math.min(Math.clz32(s | 1), p);
        });
        const counts = new Float64Array(256);
        for (const x of sym) counts[x]!++;
        const lengths = codeLengths(counts);
        return Buffer.from(decode(encode(sym, lengths).bytes, sym.length, lengths)).equals(Buffer.from(sym));
      }),
    );
  });
  it('decodes codes of every length up to 16 bits and rejects a truncated stream', () => {
    const counts = Array.from({ length: 20 }, (_, i) => 2 ** (20 - i));
    const lengths = codeLengths(counts);
    expect(Math.max(...lengths)).toBeGreaterThan(11);
    const sym = Uint8Array.from({ length: 40 }, (_, i) => i % 20);
    const enc = encode(sym, lengths).bytes;
    expect(Array.from(decode(enc, sym.length, lengths))).toEqual(Array.from(sym));
    expect(() => decode(enc.subarray(0, enc.length - 3), sym.length, lengths)).toThrow(/ends before/);
  });
  it('keeps code lengths within 16 bits on very skewed counts and satisfies Kraft', () => {
    const counts = Array.from({ length: 256 }, (_, i) => 2 ** Math.min(i, 40));
    const l = codeLengths(counts);
    let kraft = 0;
    for (const x of l) if (x) kraft += 2 ** -x;
    expect(Math.max(...l)).toBeLessThanOrEqual(16);
    expect(kraft).toBeLessThanOrEqual(1 + 1e-12);
  });
});

describe('lossless BF16/FP16 compression', () => {
  it('round-trips exactly, special values included (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 4000 }).filter((b) => b.length % 2 === 0),
        fc.constantFrom<Float16Kind>('bf16', 'fp16'),
        (bytes, kind) => Buffer.from(decompress16(compress16(bytes, kind))).equals(Buffer.from(bytes)),
      ),
    );
  });

  it('gets within 1% of the entropy bound, about 11 bits per weight, on trained-like BF16 weights', () => {
    const bytes = trainedLike(1 << 21, 0.02, 'bf16');
    const c = compress16(bytes, 'bf16');
    const { boundBitsPerWeight, exponentBits } = entropyBound(bytes, 'bf16');
    const bpw = compressedBitsPerWeight(c);
    expect(bpw).toBeLessThanOrEqual(boundBitsPerWeight * 1.01);
    expect(bpw).toBeGreaterThanOrEqual(boundBitsPerWeight * 0.999);
    expect(exponentBits).toBeGreaterThan(2);
    expect(exponentBits).toBeLessThan(3.2);
    expect(bpw).toBeGreaterThan(10.3);
    expect(bpw).toBeLessThan(11.3);
    expect(Buffer.from(decompress16(c)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('reports the same entropy bound from the coder’s histogram as from the bytes, on both coders', () => {
    for (const [kind, engine] of [
      ['bf16', 'wasm'],
      ['bf16', 'js'],
      ['fp16', 'js'],
    ] as const) {
      const bytes = trainedLike(80_000, 0.02, kind, 4);
      const c = compress16(bytes, kind, engine);
      expect(boundFromCounts(c.counts!, kind).boundBitsPerWeight).toBeCloseTo(entropyBound(bytes, kind).boundBitsPerWeight, 12);
    }
  });

  it('compresses FP16 too', () => {
    const bytes = trainedLike(1 << 18, 0.02, 'fp16');
    const c = compress16(bytes, 'fp16');
    expect(compressedBitsPerWeight(c)).toBeLessThan(16);
    expect(compressedBitsPerWeight(c)).toBeLessThanOrEqual(entropyBound(bytes, 'fp16').boundBitsPerWeight * 1.01);
    expect(Buffer.from(decompress16(c)).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe('WebAssembly BF16 decoder', () => {
  it('is in use on this runtime (so these tests exercise it)', () => {
    expect(losslessWasmAvailable()).toBe(true);
  });

  it('restores exactly what the scalar decoder restores, for any BF16 bits (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 3000 }).map((b) => b.subarray(0, b.length & ~1)),
        (bytes) => {
          const c = compress16(bytes, 'bf16');
          const w = decompress16(c, 'wasm');
          return Buffer.from(w).equals(Buffer.from(bytes)) && Buffer.from(w).equals(Buffer.from(decompress16(c, 'js')));
        },
      ),
    );
  });

  it('the WebAssembly coder writes the scalar coder’s bytes, for any BF16 bits (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 3000 }).map((b) => b.slice(0, b.length & ~1)),
        (bytes) => {
          const w = compress16(bytes, 'bf16', 'wasm');
          const j = compress16(bytes, 'bf16', 'js');
          return (
            Buffer.from(w.exponents).equals(Buffer.from(j.exponents)) &&
            Buffer.from(w.raw).equals(Buffer.from(j.raw)) &&
            Buffer.from(w.lengths).equals(Buffer.from(j.lengths))
          );
        },
      ),
    );
  });

  it('accepts BF16 bytes at an odd offset inside their buffer', () => {
    const bytes = trainedLike(70_000, 0.02, 'bf16');
    const odd = new Uint8Array(bytes.length + 1);
    odd.set(bytes, 1);
    const w = compress16(odd.subarray(1), 'bf16', 'wasm');
    expect(Buffer.from(w.exponents).equals(Buffer.from(compress16(bytes, 'bf16', 'js').exponents))).toBe(true);
    expect(Buffer.from(decompress16(w)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('decodes across chunks, with codes longer than its 12-bit pair table', () => {
    // trained-like weights plus a tail of uniformly random bits: rare exponents get 13-16 bit codes
    const n = 200_003;
    const bytes = trainedLike(n, 0.02, 'bf16', 11);
    let s = 3;
    for (let i = 2 * 198_000; i < bytes.length; i++) bytes[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
    const c = compress16(bytes, 'bf16');
    expect(Math.max(...c.lengths)).toBeGreaterThan(12);
    expect(Buffer.from(decompress16(c, 'wasm')).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.from(decompress16(c)).equals(Buffer.from(bytes))).toBe(true);
    const js = compress16(bytes, 'bf16', 'js');
    expect(Buffer.from(c.exponents).equals(Buffer.from(js.exponents))).toBe(true);
    expect(Buffer.from(decompress16(js, 'js')).equals(Buffer.from(bytes))).toBe(true);
  });

  it('rejects a truncated stream and short raw bytes with an error, not garbage', () => {
    const bytes = trainedLike(100_000, 0.02, 'bf16');
    const c = compress16(bytes, 'bf16');
    expect(() => decompress16({ ...c, exponents: c.exponents.subarray(0, c.exponents.length >> 1) }, 'wasm')).toThrow(/corrupt bitstream/);
    expect(() => decompress16({ ...c, raw: c.raw.subarray(0, 10) }, 'wasm')).toThrow(/corrupt stream/);
  });
});

describe('compressed checkpoint files', () => {
  it('compress then decompress rebuilds the original file byte for byte', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { writeSafetensors } = await import('./safetensors.js');
    const { compressFile, decompressFile } = await import('./container.js');
    const dir = mkdtempSync(join(tmpdir(), 'sinan-z-'));
    const src = join(dir, 'm.safetensors');
    writeSafetensors(
      src,
      [
        { name: 'a.weight', dtype: 'BF16', shape: [256, 256], data: trainedLike(65536, 0.02, 'bf16') },
        { name: '0', dtype: 'F16', shape: [1000], data: trainedLike(1000, 1, 'fp16') },
        { name: 'ids', dtype: 'I64', shape: [3], data: new Uint8Array(24).fill(7) },
      ],
      { format: 'pt' },
    );
    const r = compressFile(src, join(dir, 'm.sinanz.safetensors'));
    expect(r.ratio).toBeGreaterThan(1.35);
    expect(r.tensors.find((t) => t.name === 'a.weight')!.bitsPerWeight).toBeLessThanOrEqual(
      r.tensors.find((t) => t.name === 'a.weight')!.boundBitsPerWeight * 1.01 + 0.05,
    );
    decompressFile(join(dir, 'm.sinanz.safetensors'), join(dir, 'back.safetensors'));
    expect(readFileSync(join(dir, 'back.safetensors')).equals(readFileSync(src))).toBe(true);
    expect(() => decompressFile(src, join(dir, 'x.safetensors'))).toThrow(/not a file written by sinan compress/);
  });
});
