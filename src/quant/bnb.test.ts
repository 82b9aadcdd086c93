import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dequantize4bit, doubleDequantize, doubleQuantize, dynamicMap, nf4SimdAvailable, pythonFloat, quantize4bit, quantize4bitBf16 } from './bnb.js';
import { f32ToBf16, toFloat32 } from './dtypes.js';
import { gaussian, relRmse as rmse } from '../../test/quant-data.js';

describe('NF4 (bitsandbytes, byte for byte)', () => {
  it('reproduces the reference test vector (quant-specs 1.8)', () => {
    const x = Float32Array.from({ length: 64 }, (_, i) => (((i * 37) % 64) - 31.5) / 16);
    const { packed, absmax } = quantize4bit(x, 64, 'nf4');
    expect(absmax[0]).toBe(1.96875);
    expect(Buffer.from(packed).toString('hex')).toBe('091c3e60a2d4f81b2e5f91c3e60a1d4f71b2e5f81c3e60a1d4e70b2d4f81c2e5');
    const y = dequantize4bit(packed, absmax, 64);
    expect(y[0]).toBe(-1.96875);
    expect(y[1]).toBeCloseTo(0.3168313205, 8);
    expect(y[2]).toBeCloseTo(-1.370629549, 8);
  });

  it('puts even elements in the high nibble and pads an odd tail', () => {
    const { packed } = quantize4bit(Float32Array.from([1, -1, 1]), 64);
    expect([...packed]).toEqual([0xf0, 0xf0]);
  });

  it('codes an all-zero block as the CUDA kernel does (byte 0x00, absmax 0) and dequantizes it to zero', () => {
    const { packed, absmax } = quantize4bit(new Float32Array(64), 64);
    expect(packed.every((b) => b === 0)).toBe(true);
    expect(absmax[0]).toBe(0);
    expect([...dequantize4bit(packed, absmax, 64)].every((v) => v === 0)).toBe(true);
  });

  // Reference errors on N(0,1) from research/quant-specs.md section 7 (within 2%).
  const x = gaussian(1 << 20, 7);
  it.each([
    ['nf4', 64, 0.092],
    ['nf4', 32, 0.0873],
    ['nf4', 128, 0.0956],
    ['fp4', 64, 0.122],
  ] as const)('%s blocksize %d has relative RMSE %f on Gaussian data', (type, bs, ref) => {
    const q = quantize4bit(x, bs, type);
    expect(Math.abs(rmse(x, dequantize4bit(q.packed, q.absmax, x.length, bs, type)) - ref) / ref).toBeLessThan(0.02);
  });

  it('double quantization keeps the error (0.0921) and costs 8 + 32/256 bits per block', () => {
    const q = quantize4bit(x, 64);
    const dq = doubleQuantize(q.absmax);
    expect(dq.codes.length).toBe(q.absmax.length);
    expect(dq.nestedAbsmax.length).toBe(Math.ceil(q.absmax.length / 256));
    const y = dequantize4bit(q.packed, doubleDequantize(dq), x.length);
    expect(Math.abs(rmse(x, y) - 0.0921) / 0.0921).toBeLessThan(0.02);
  });

  it('the dynamic map has 256 entries from -0.99296875 to 1.0 with an exact 0 at 127', () => {
    const m = dynamicMap();
    expect(m.length).toBe(256);
    expect(m[0]).toBeCloseTo(-0.99296875, 7);
    expect(m[127]).toBe(0);
    expect(m[255]).toBe(1);
    for (let i = 1; i < 256; i++) expect(m[i]!).toBeGreaterThan(m[i - 1]!);
  });

  it('round trip stays within half a code step times absmax (property)', () => {
    fc.assert(
      fc.property(fc.float32Array({ minLength: 1, maxLength: 300, noNaN: true, noDefaultInfinity: true, min: -1e4, max: 1e4 }), (arr) => {
        const q = quantize4bit(arr, 64);
        const y = dequantize4bit(q.packed, q.absmax, arr.length);
        for (let i = 0; i < arr.length; i++) {
          const a = q.absmax[Math.floor(i / 64)]!;
          if (Math.abs(y[i]! - arr[i]!) > 0.1609 * a + 1e-30) return false; // widest NF4 gap is 0.3039 (half 0.152)
        }
        return true;
      }),
    );
  });
});

describe('Python float repr (quant_state JSON)', () => {
  it.each([
    [0.02, '0.02'],
    [1, '1.0'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [123456.5, '123456.5'],
    [1e16, '1e+16'],
    [Math.fround(0.1), '0.10000000149011612'],
  ])('%s -> %s', (x, s) => expect(pythonFloat(x)).toBe(s));
});

describe('NF4 straight from BF16 bytes (WebAssembly SIMD kernel)', () => {
  const same = (bytes: Uint8Array, bs: number, type: 'nf4' | 'fp4' = 'nf4') => {
    const ref = quantize4bit(toFloat32(bytes, 'BF16'), bs, type);
    const got = quantize4bitBf16(bytes, bs, type);
    expect(Buffer.from(got.packed).equals(Buffer.from(ref.packed))).toBe(true);
    expect(Buffer.from(got.absmax.buffer).equals(Buffer.from(ref.absmax.buffer))).toBe(true);
  };

  it('is in use on this runtime (so the tests below exercise it, not the fallback)', () => {
    expect(nf4SimdAvailable()).toBe(true);
  });

  it('gives the scalar coder’s bytes for any BF16 bit patterns, block sizes and tails (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }).map((b) => b.subarray(0, b.length & ~1)),
        fc.constantFrom(8, 16, 24, 64, 128, 256, 40, 7),
        fc.constantFrom('nf4' as const, 'fp4' as const),
        (bytes, bs, type) => same(bytes, bs, type),
      ),
    );
  });

  it('matches on many chunks of Gaussian weights, and on blocks of zeros, infinities and NaNs', () => {
    const n = 300_000 + 50; // several 64 K-value chunks and a partial block
    const x = gaussian(n, 7);
    const bytes = new Uint8Array(2 * n);
    for (let i = 0; i < n; i++) {
      const v = f32ToBf16(x[i]! * 0.02);
      bytes[2 * i] = v & 0xff;
      bytes[2 * i + 1] = v >>> 8;
    }
    bytes.fill(0, 0, 128); // an all-zero block: scale 0, codes from 0 * Infinity = NaN
    bytes.set([0x80, 0x7f], 200); // +Infinity
    bytes.set([0xc0, 0x7f], 400); // NaN
    for (const bs of [64, 4096]) same(bytes, bs);
  });
});
