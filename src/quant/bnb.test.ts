import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  dequantize4bit,
  doubleDequantize,
  doubleQuantize,
  doubleQuantizeInto,
  dynamicMap,
  nf4SimdAvailable,
  pythonFloat,
  quantize4bit,
  quantize4bitBf16,
  quantize4bitInto,
  quantStateJson,
} from './bnb.js';
import { f32ToBf16, toFloat32 } from './dtypes.js';
import { gaussian, relRmse as rmse } from '../../test/quant-data.js';

/** SHA-256 prefix of the 256 float32 values bitsandbytes' create_dynamic_map() returned on this machine. */
const DYNAMIC_MAP_SHA = 'e732639a65f497b4';

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

  it('puts even elements in the high nibble and pads an odd tail with the code of 0', () => {
    const { packed } = quantize4bit(Float32Array.from([1, -1, 1]), 64);
    expect([...packed]).toEqual([0xf0, 0xf7]);
  });

  it('codes an all-zero block as the CPU backend does (scale clamped to 1e-38: code 7, byte 0x77, absmax 0) and dequantizes it to zero', () => {
    const { packed, absmax } = quantize4bit(new Float32Array(64), 64);
    expect(packed.every((b) => b === 0x77)).toBe(true);
    expect(absmax[0]).toBe(0);
    expect([...dequantize4bit(packed, absmax, 64)].every((v) => v === 0)).toBe(true);
  });

  it('pads an odd count with the code of 0 and divides the partial last block by its (clamped) absmax', () => {
    const { packed, absmax } = quantize4bit(Float32Array.from([0.5, -1, 0.25]), 64);
    expect(absmax[0]).toBe(1);
    expect(packed[1]! & 0xf).toBe(7); // the pad value 0 -> NF4 code 7
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

describe('byte-identical to bitsandbytes.functional.quantize_4bit (CPU backend, torch 2.13, one thread)', () => {
  // Reference values printed by bitsandbytes 0.50 (../shared/tools/python) for these exact inputs;
  // the inputs are exact in float32 (integers times powers of two), so both sides see the same values.
  const data = (n: number) => Float32Array.from({ length: n }, (_, i) => (((i * 7919) % 2003) - 1001) * 2 ** -10 * (1 + ((i >> 6) % 5)));
  const sha = (a: ArrayBufferView) =>
    createHash('sha256')
      .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
      .digest('hex')
      .slice(0, 16);
  it.each([
    [19200, 64, 'nf4', '7586e85a22f30d34', '4fc1f324f75f7b53', [1.9836034774780273, 1.9787206649780273], 2.9040918350219727],
    [19200, 128, 'nf4', '5ff580c82eafad9d', 'fbf02dc9dd211ede', [1.7641797065734863], 3.6782422065734863],
    [19201, 64, 'nf4', '0457a88a7352ddf4', 'dd8719fbc747b8f6', [1.9930083751678467, 2.8214447498321533], 2.8946869373321533],
  ] as const)('n=%d blocksize %d %s with compress_statistics=True', (n, bs, type, packedSha, codesSha, nested, offset) => {
    const q = quantize4bit(data(n), bs, type);
    expect(sha(q.packed)).toBe(packedSha);
    const dq = doubleQuantize(q.absmax);
    expect(dq.offset).toBe(offset);
    expect(sha(dq.codes)).toBe(codesSha);
    expect([...dq.nestedAbsmax]).toEqual(nested);
  });
  it('FP4 without double quantization', () => {
    const q = quantize4bit(data(19200), 64, 'fp4');
    expect(sha(q.packed)).toBe('f8996852a09cff9e');
    expect(sha(q.absmax)).toBe('b6352923650a582f');
  });
  it('builds the dynamic map bit for bit as create_dynamic_map(signed=True) does on an FMA-capable CPU build of torch', () => {
    const m = new Uint32Array(dynamicMap().buffer);
    // entries where torch's fused-multiply-add linspace differs from separate float32 multiply and add
    // (indices and bits printed by bitsandbytes on this machine's torch, AVX2 build)
    expect([m[18], m[20], m[23], m[25], m[28], m[30], m[34], m[39]]).toEqual([
      3208472166, 3208000308, 3207292518, 3206820660, 3206112870, 3205641012, 3204697292, 3202587034,
    ]);
    expect(createHash('sha256').update(new Uint8Array(m.buffer)).digest('hex').slice(0, 16)).toBe(DYNAMIC_MAP_SHA);
  });
  it('writes the quant_state JSON with Python separators and key order', () => {
    expect(quantStateJson('nf4', 64, 'bfloat16', [4096, 4096], 0.02)).toBe(
      '{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [4096, 4096], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.02}',
    );
    expect(quantStateJson('fp4', 64, 'float16', [8, 8], null)).toBe('{"quant_type": "fp4", "blocksize": 64, "dtype": "float16", "shape": [8, 8]}');
  });
});

describe('streaming: a tensor quantized range by range gives the whole-tensor bytes', () => {
  it('4-bit codes and absmax, and double quantization of the scales, for any split into whole blocks (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 600 }), fc.constantFrom(32, 64), (blocksPerRange, tail, bs) => {
        const n = 256 * bs * 2 + tail;
        const x = gaussian(n, 5 + tail);
        const whole = quantize4bit(x, bs);
        const dqWhole = doubleQuantize(whole.absmax);
        const packed = new Uint8Array(whole.packed.length);
        const absmax = new Float32Array(whole.absmax.length);
        const step = blocksPerRange * bs;
        for (let e0 = 0; e0 < n; e0 += step) {
          const e1 = Math.min(n, e0 + step);
          quantize4bitInto(x.subarray(e0, e1), bs, 'nf4', packed.subarray(e0 / 2), absmax.subarray(e0 / bs), e1 === n);
        }
        const codes = new Uint8Array(absmax.length);
        const nested = new Float32Array(Math.ceil(absmax.length / 256));
        for (let b0 = 0; b0 < absmax.length; b0 += 256)
          doubleQuantizeInto(absmax.subarray(b0, b0 + 256), dqWhole.offset, codes.subarray(b0), nested.subarray(b0 / 256), b0 + 256 >= absmax.length);
        return (
          Buffer.from(packed).equals(Buffer.from(whole.packed)) &&
          Buffer.from(absmax.buffer).equals(Buffer.from(whole.absmax.buffer)) &&
          Buffer.from(codes).equals(Buffer.from(dqWhole.codes)) &&
          Buffer.from(nested.buffer).equals(Buffer.from(dqWhole.nestedAbsmax.buffer))
        );
      }),
      { numRuns: 20 },
    );
  });
});
