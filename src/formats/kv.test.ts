import { describe, expect, it } from 'vitest';
import { gaussian } from '../../test/quant-data.js';
import { packKv, quantizeKv } from '../quant/kv.js';
import { kvBytesPerElement, kvBytesPerToken, kvCacheBytes } from './kv.js';

describe('the KV-cache format registry', () => {
  it.each([
    ['int4', 4, 'per-channel', 32, 0],
    ['int4', 4, 'per-token', 32, 0],
    ['int8', 8, 'per-channel', 32, 128],
    ['int8', 8, 'per-token', 64, 128],
    ['int4', 4, 'per-channel', 128, 40],
  ] as const)('%s %s %s group %d residual %d: the bytes KIVI stores equal the registry', (id, bits, axis, group, residual) => {
    const T = 1000;
    const D = 128;
    const q = quantizeKv(gaussian(T * D, 3), T, D, axis, bits, group, residual);
    const s = packKv(q);
    const stored = s.codes.byteLength + s.scale.byteLength + s.min.byteLength + s.residual.byteLength;
    expect(kvCacheBytes(id, T, D, { group, residual, axis })).toBe(stored);
  });

  it('states what the codec stores per element: int4 with fp16 scale and minimum per 32 is 0.625 bytes', () => {
    expect(kvBytesPerElement('int4')).toBe(0.625);
    expect(kvBytesPerElement('int8', { group: 128 })).toBeCloseTo(1.03125, 6);
    expect(kvBytesPerElement('fp8')).toBe(1);
    expect(kvBytesPerElement('bf16')).toBe(2);
  });

  it('prices K and V separately', () => {
    const kv = kvBytesPerToken({ k: { format: 'int8' }, v: { format: 'int4' } }, 128, 8);
    expect(kv).toBeCloseTo(8 * 128 * (1.125 + 0.625), 6);
  });
});
