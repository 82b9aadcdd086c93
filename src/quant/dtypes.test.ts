import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bf16ToF32, e4m3ToF32, e5m2ToF32, f16ToF32, f32ToBf16, f32ToE4m3, f32ToE5m2, f32ToF16, toFloat32 } from './dtypes.js';

// Test vectors from research/quant-specs.md 3.1 (PyTorch c10 semantics), not from this code.
describe('FP8 encodings', () => {
  const e4: [number, number][] = [
    [0, 0x00],
    [-0, 0x80],
    [2 ** -9, 0x01],
    [2 ** -10, 0x00],
    [3 * 2 ** -10, 0x02],
    [7 * 2 ** -9, 0x07],
    [2 ** -6, 0x08],
    [1.0, 0x38],
    [1.0625, 0x38],
    [1.1875, 0x3a],
    [240, 0x77],
    [448, 0x7e],
    [464, 0x7e],
    [465, 0x7f],
    [480, 0x7f],
    [1e6, 0x7f],
    [-448, 0xfe],
  ];
  it.each(e4)('E4M3FN(%s) = %s', (x, code) => expect(f32ToE4m3(x)).toBe(code));
  const e5: [number, number][] = [
    [2 ** -16, 0x01],
    [2 ** -15, 0x02],
    [2 ** -14, 0x04],
    [1.0, 0x3c],
    [1.125, 0x3c],
    [57344, 0x7b],
    [61439, 0x7b],
    [61440, 0x7c],
    [65536, 0x7c],
    [-2, 0xc0],
  ];
  it.each(e5)('E5M2(%s) = %s', (x, code) => expect(f32ToE5m2(x)).toBe(code));
  it('saturates to the largest finite value when asked', () => {
    expect(f32ToE4m3(1e6, true)).toBe(0x7e);
    expect(f32ToE4m3(-500, true)).toBe(0xfe);
    expect(f32ToE5m2(1e9, true)).toBe(0x7b);
  });
  it('decodes every code back to itself', () => {
    for (let c = 0; c < 256; c++) {
      const v = e4m3ToF32(c);
      if (!Number.isNaN(v)) expect(f32ToE4m3(v)).toBe(c === 0x80 ? 0x80 : c);
      const w = e5m2ToF32(c);
      if (!Number.isNaN(w)) expect(f32ToE5m2(w)).toBe(c);
    }
    expect(e4m3ToF32(0x7e)).toBe(448);
    expect(e5m2ToF32(0x7b)).toBe(57344);
  });
  it('rounds to the nearest representable value', () => {
    fc.assert(
      fc.property(fc.float({ min: -440, max: 440, noNaN: true }), (x) => {
        const y = e4m3ToF32(f32ToE4m3(x));
        // relative error at most half an ulp of a 3-bit mantissa (or the subnormal step)
        return Math.abs(y - x) <= Math.max(Math.abs(x) * 2 ** -4, 2 ** -10) + 1e-12;
      }),
    );
  });
});

describe('16-bit floats', () => {
  it('bf16 rounds to nearest even and round-trips its values', () => {
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(bf16ToF32(f32ToBf16(1 + 2 ** -8))).toBe(1); // tie to even
    expect(bf16ToF32(f32ToBf16(1 + 3 * 2 ** -8))).toBe(1 + 2 ** -6);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (h) => {
        const v = bf16ToF32(h);
        return Number.isNaN(v) || f32ToBf16(v) === h;
      }),
    );
  });
  it('fp16 matches IEEE half precision', () => {
    expect(f32ToF16(1)).toBe(0x3c00);
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(65520)).toBe(0x7c00);
    expect(f32ToF16(2 ** -24)).toBe(0x0001);
    expect(f32ToF16(-2)).toBe(0xc000);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (h) => {
        const v = f16ToF32(h);
        return Number.isNaN(v) || f32ToF16(v) === h;
      }),
    );
  });
});

describe('fast FP8 encoder', () => {
  it('equals the reference encoder on every kind of float32 (property)', async () => {
    const { f32ToE4m3Fast } = await import('./dtypes.js');
    fc.assert(
      fc.property(fc.float({ noNaN: false }), fc.boolean(), (x, sat) => f32ToE4m3Fast(x, sat) === f32ToE4m3(x, sat)),
      { numRuns: 20000 },
    );
    for (const x of [0, -0, 2 ** -9, 2 ** -10, 3 * 2 ** -10, 1.0625, 1.1875, 448, 464, 465, 480, 15 * 2 ** -10, 2 ** -6 - 2 ** -12]) {
      expect(f32ToE4m3Fast(x)).toBe(f32ToE4m3(x));
      expect(f32ToE4m3Fast(x, true)).toBe(f32ToE4m3(x, true));
    }
  });
});

describe('toFloat32 fast paths', () => {
  // element by element from the definitions, for any byte offset
  const slow = (b: Uint8Array, dtype: 'BF16' | 'F16' | 'F32'): number[] => {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const out: number[] = [];
    if (dtype === 'F32') for (let i = 0; i < b.length / 4; i++) out.push(dv.getFloat32(4 * i, true));
    else for (let i = 0; i < b.length / 2; i++) out.push(dtype === 'BF16' ? bf16ToF32(dv.getUint16(2 * i, true)) : f16ToF32(dv.getUint16(2 * i, true)));
    return out;
  };
  it('decode BF16, F16 and F32 exactly as the per-element definitions, aligned or not (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom('BF16', 'F16', 'F32'),
        (raw, shift, dtype) => {
          const size = dtype === 'F32' ? 4 : 2;
          const len = raw.length - (raw.length % size);
          const buf = new Uint8Array(len + shift);
          buf.set(raw.subarray(0, len), shift);
          const view = buf.subarray(shift);
          const fast = Array.from(toFloat32(view, dtype as 'BF16' | 'F16' | 'F32'));
          const ref = slow(view, dtype as 'BF16' | 'F16' | 'F32');
          expect(fast.length).toBe(ref.length);
          for (let i = 0; i < ref.length; i++) expect(Object.is(fast[i], ref[i]) || (Number.isNaN(fast[i]) && Number.isNaN(ref[i]))).toBe(true);
        },
      ),
    );
  });
});

describe('the array E4M3 encoder', () => {
  it('equals the per-value saturating encoder for any float32 bits (property)', async () => {
    const { encodeE4m3Saturating, f32ToE4m3Fast } = await import('./dtypes.js');
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 1, maxLength: 500 }), (bits) => {
        const v = new Float32Array(bits.buffer.slice(0));
        const out = new Uint8Array(v.length);
        encodeE4m3Saturating(v, out);
        return v.every((x, i) => out[i] === f32ToE4m3Fast(x, true));
      }),
    );
  });
});
