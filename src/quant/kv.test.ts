import { describe, expect, it } from 'vitest';
import { dequantizeKv, kvBitsPerElement, quantizeKv } from './kv.js';
import { gaussian, relRmse as rel } from '../../test/quant-data.js';

const T = 4096;
const D = 128;

// Reference numbers: research/quant-specs.md 4.4 (KIVI quantizer, T = 4096, D = 128), within 3%.
describe('KV-cache quantization (KIVI)', () => {
  const x = gaussian(T * D, 3);
  it.each([
    [2, 32, 0.394],
    [4, 32, 0.0782],
    [4, 128, 0.0996],
    [8, 32, 0.0046],
  ])('%d bits, group %d: relative RMS %f on N(0,1), per token and per channel', (bits, group, ref) => {
    for (const axis of ['per-token', 'per-channel'] as const) {
      const err = rel(x, dequantizeKv(quantizeKv(x, T, D, axis, bits, group)));
      expect(Math.abs(err - ref) / ref).toBeLessThan(0.03);
    }
  });

  it('per-channel keys beat per-token keys when a few channels are outliers', () => {
    const k = x.slice();
    for (let t = 0; t < T; t++) for (const c of [3, 40, 77, 101]) k[t * D + c] = k[t * D + c]! * 10 + 5;
    const perChannel = rel(k, dequantizeKv(quantizeKv(k, T, D, 'per-channel', 4, 32)));
    const perToken = rel(k, dequantizeKv(quantizeKv(k, T, D, 'per-token', 4, 32)));
    expect(perChannel).toBeLessThan(perToken);
    expect(Math.abs(perChannel - 0.072) / 0.072).toBeLessThan(0.1);
  });

  it('keeps the residual window exact and quantizes only whole key groups', () => {
    const q = quantizeKv(x, 100, D, 'per-channel', 2, 32, 10);
    expect(q.quantizedTokens).toBe(64); // 90 quantizable tokens, whole groups of 32
    const y = dequantizeKv(q);
    for (let i = 64 * D; i < 100 * D; i++) expect(y[i]).toBe(x[i]);
    const v = quantizeKv(x, 100, D, 'per-token', 2, 32, 10);
    expect(v.quantizedTokens).toBe(90);
    expect(kvBitsPerElement(4, 32)).toBe(5);
  });
});
