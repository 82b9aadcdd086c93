import { describe, expect, it } from 'vitest';
import { gaussian } from '../../test/quant-data.js';
import { params, runCodec } from '../../test/codec-harness.js';
import { bf16ToF32, f32ToBf16 } from './dtypes.js';
import { CODEC_IDS, firstNonFinite, weightCodec, type CodecId } from './weight-codecs.js';

// relative RMS error on N(0,1) weights (research/quant-specs.md section 7), within 3%
const REF: Partial<Record<CodecId, number>> = {
  nf4: 0.092,
  'nf4-dq': 0.0921,
  fp4: 0.122,
  'fp4-dq': 0.1221,
  int4: 0.1107,
  int8: 0.00651,
  fp8: 0.02647,
  'fp8-channel': 0.02649,
  'fp8-block': 0.02648,
};

describe.each(CODEC_IDS)('weight codec %s', (id) => {
  const out = 256;
  const inF = 1024;
  const x = gaussian(out * inF, 17).map((v) => bf16ToF32(f32ToBf16(v)));

  it.each([
    ['BF16', 'gptq'],
    ['F32', 'compressed-tensors'],
  ] as const)('%s, %s: encoding range by range gives the bytes of one whole-tensor pass', (source, layout) => {
    const p = params(out, inF, { source, layout });
    const whole = runCodec(id, p, x);
    const align = weightCodec(id).align(p);
    for (const range of [align, 3 * align, 5 * align + 7]) {
      const parts = runCodec(id, p, x, range);
      for (const [suffix, bytes] of whole.tensors)
        expect(Buffer.from(parts.tensors.get(suffix)!).equals(Buffer.from(bytes)), `${suffix} in ranges of ${range}`).toBe(true);
      expect(parts.sqErr).toBeCloseTo(whole.sqErr, 6);
    }
  });

  it('reports the reference error on Gaussian weights', () => {
    const r = runCodec(id, params(out, inF), x);
    const ref = REF[id]!;
    expect(Math.abs(Math.sqrt(r.sqErr / r.sqRef) - ref) / ref).toBeLessThan(0.03);
  });
});

describe('non-finite values', () => {
  it('are found wherever they are', () => {
    expect(firstNonFinite(Float32Array.from([1, 2, 3]))).toBe(-1);
    expect(firstNonFinite(Float32Array.from([1, NaN, 3]))).toBe(1);
    expect(firstNonFinite(Float32Array.from([1, 2, -Infinity]))).toBe(2);
  });
});
