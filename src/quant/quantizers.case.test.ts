import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dequantize4bit, quantize4bit } from './bnb.js';
import { dequantizeFp8, quantizeFp8 } from './fp8q.js';
import { dequantizeInt, packGptq, quantizeInt, roundHalfEven } from './intq.js';
import { gaussian, relRmse } from '../../test/quant-data.js';

/**
 * Conformance suite shared by every weight quantizer: the same invariants and the reference
 * errors of research/quant-specs.md section 7 (N(0,1), within 2%).
 */
interface Quantizer {
  name: string;
  refRmse: number;
  run: (w: Float32Array, rows: number, cols: number) => Float32Array;
}

const quantizers: Quantizer[] = [
  {
    name: 'nf4 bs64',
    refRmse: 0.092,
    run: (w) => {
      const q = quantize4bit(w, 64);
      return dequantize4bit(q.packed, q.absmax, w.length);
    },
  },
  { name: 'int4 sym g128', refRmse: 0.1107, run: (w, r, c) => dequantizeInt(quantizeInt(w, r, c, 4, 128, true)) },
  { name: 'int4 asym g128', refRmse: 0.1005, run: (w, r, c) => dequantizeInt(quantizeInt(w, r, c, 4, 128, false)) },
  { name: 'int4 sym g32', refRmse: 0.0948, run: (w, r, c) => dequantizeInt(quantizeInt(w, r, c, 4, 32, true)) },
  { name: 'int8 sym g128', refRmse: 0.00651, run: (w, r, c) => dequantizeInt(quantizeInt(w, r, c, 8, 128, true)) },
  { name: 'fp8 e4m3 per tensor', refRmse: 0.02647, run: (w, r, c) => dequantizeFp8(quantizeFp8(w, r, c, 'tensor'), r, c) },
  { name: 'fp8 e4m3 per channel', refRmse: 0.02649, run: (w, r, c) => dequantizeFp8(quantizeFp8(w, r, c, 'channel'), r, c) },
  { name: 'fp8 e4m3 128x128 blocks', refRmse: 0.02648, run: (w, r, c) => dequantizeFp8(quantizeFp8(w, r, c, 'block'), r, c) },
  { name: 'fp8 e5m2 per tensor', refRmse: 0.0527, run: (w, r, c) => dequantizeFp8(quantizeFp8(w, r, c, 'tensor', 'e5m2'), r, c) },
];

const rows = 1024;
const cols = 1024;
const W = gaussian(rows * cols, 11);

describe.each(quantizers)('quantizer conformance: $name', (q) => {
  it('matches the reference error on Gaussian weights (within 2%)', () => {
    expect(Math.abs(relRmse(W, q.run(W, rows, cols)) - q.refRmse) / q.refRmse).toBeLessThan(0.02);
  });
  it('keeps zeros at zero and the shape and sign of values (property)', () => {
    fc.assert(
      fc.property(fc.float32Array({ minLength: 256, maxLength: 256, noNaN: true, noDefaultInfinity: true, min: -100, max: 100 }), (arr) => {
        const y = q.run(arr, 2, 128);
        if (y.length !== arr.length) return false;
        for (let i = 0; i < arr.length; i++) {
          if (arr[i] === 0 && y[i] !== 0 && !q.name.startsWith('int4 asym')) return false;
          if (Math.abs(arr[i]!) > 1e-3 * Math.max(...arr.map(Math.abs)) && y[i] !== 0 && Math.sign(y[i]!) !== Math.sign(arr[i]!) && !q.name.includes('asym'))
            return false;
        }
        return true;
      }),
      { numRuns: 40 },
    );
  });
  it('is deterministic', () => {
    const a = q.run(W.subarray(0, 128 * 128), 128, 128);
    const b = q.run(W.subarray(0, 128 * 128), 128, 128);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });
});

describe('GPTQ rules and packing (quant-specs 2.1)', () => {
  it('rounds half to even like torch.round', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map((v) => roundHalfEven(v) + 0)).toEqual([0, 2, 2, 0, -2, 2, 3]);
  });
  it('symmetric 4-bit: scale 2*absmax/15, zero 8, -absmax -> 0 (code of -8)', () => {
    const w = Float32Array.from([-1.5, 0, 0.75, 1.5]);
    const q = quantizeInt(w, 1, 4, 4, 4, true);
    expect(q.zeros[0]).toBe(8);
    expect(q.scales[0]).toBeCloseTo(0.2, 3);
    expect(q.q[0]).toBe(0);
    expect(q.q[1]).toBe(8);
  });
  it('packs the lowest input index into the lowest bits and stores zero - 1', () => {
    const rowsN = 8;
    const colsN = 8;
    const w = Float32Array.from({ length: rowsN * colsN }, (_, k) => ((k % colsN) - 3.5) / 4);
    const q = quantizeInt(w, rowsN, colsN, 4, 8, true);
    const p = packGptq(q);
    expect(p.qweight.length).toBe((colsN / 8) * rowsN);
    for (let j = 0; j < 8; j++) expect((p.qweight[0]! >>> (4 * j)) & 0xf).toBe(q.q[j]);
    expect(p.qzeros[0]! & 0xf).toBe(7); // zero 8 stored as 7
    expect(Array.from(p.gIdx)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
