import { describe, expect, it } from 'vitest';
import { gaussian } from '../../test/quant-data.js';
import { params, runCodec } from '../../test/codec-harness.js';
import { bf16ToF32, f32ToBf16 } from '../quant/dtypes.js';
import { CODEC_IDS, type CodecParams } from '../quant/weight-codecs.js';
import { bitsPerWeight, computeMode, formatProblem, storedBytes, weightFormat, WEIGHT_FORMAT_IDS } from './weights.js';

const bf16 = (x: Float32Array) => x.map((v) => bf16ToF32(f32ToBf16(v)));

describe('the weight-format registry', () => {
  it('covers every format serving uses today', () => {
    for (const id of ['bf16', 'fp16', 'fp8', 'fp8-channel', 'fp8-block', 'fp8-e5m2', 'int8', 'int4', 'nf4', 'nf4-dq', 'fp4', 'nvfp4', 'mxfp4'])
      expect(WEIGHT_FORMAT_IDS).toContain(id);
  });

  // every format Sinan writes, every layout and source dtype that changes its bytes
  const cases: [string, Partial<CodecParams>][] = [];
  for (const id of CODEC_IDS) for (const source of ['BF16', 'F16', 'F32'] as const) cases.push([id, { source }]);
  for (const id of ['int4', 'int8'] as const)
    for (const sym of [true, false]) for (const source of ['BF16', 'F32'] as const) cases.push([id, { layout: 'compressed-tensors', sym, source }]);
  cases.push(['nf4', { blocksize: 128 }], ['nf4-dq', { blocksize: 32 }], ['int4', { groupSize: 64 }]);

  it.each(cases)('%s %o: the bytes the codec writes equal the registry, tensor by tensor', (id, o) => {
    for (const [out, inF] of [
      [96, 256],
      [264, 384],
    ] as const) {
      const p = params(out, inF, o);
      const x = bf16(gaussian(out * inF, out + inF).map((v) => v * 0.02));
      const r = runCodec(id as (typeof CODEC_IDS)[number], p, x, 5000);
      const reg = weightFormat(id)!.tensors(out, inF, {
        blocksize: p.blocksize,
        groupSize: p.groupSize,
        sym: p.sym,
        layout: p.layout,
        sourceDtype: p.source,
        nestedOffset: r.stats.nestedOffset,
      });
      expect([...r.written.keys()].sort()).toEqual(reg.map((t) => t.suffix).sort());
      for (const t of reg) expect(r.written.get(t.suffix), `${id} ${t.suffix}`).toBe(t.bytes);
      expect(storedBytes(id, out, inF, { ...p, sourceDtype: p.source, nestedOffset: r.stats.nestedOffset })).toBe(
        [...r.written.values()].reduce((a, b) => a + b, 0),
      );
    }
  });

  it('bits per weight: the published overheads (quant-specs 1.7, 2.1, 3.2)', () => {
    expect(bitsPerWeight('nf4', 4096, 4096)).toBeCloseTo(4.5, 3);
    // + the 1 KiB nested map, the 64-byte code map and the JSON, spread over 16 M weights: +0.0006
    expect(bitsPerWeight('nf4-dq', 4096, 4096)).toBeCloseTo(4 + 8 / 64 + 32 / (64 * 256) + (8 * (1024 + 64 + 190)) / 4096 ** 2, 4);
    expect(bitsPerWeight('int4', 4096, 4096)).toBeCloseTo(4 + 20 / 128 + 32 / 4096, 4); // GPTQ: fp16 scale + 4-bit zero per group, int32 g_idx per column
    expect(bitsPerWeight('int4', 4096, 4096, { layout: 'compressed-tensors' })).toBeCloseTo(4 + 16 / 128, 4);
    expect(bitsPerWeight('fp8', 4096, 4096)).toBeCloseTo(8, 4);
    expect(bitsPerWeight('fp8-block', 4096, 4096)).toBeCloseTo(8 + 32 / (128 * 128), 5);
    expect(bitsPerWeight('nvfp4', 4096, 4096)).toBeCloseTo(4.5, 4);
    expect(bitsPerWeight('mxfp4', 4096, 4096)).toBeCloseTo(4.25, 4);
  });

  it('says which shapes a format cannot store', () => {
    expect(weightFormat('int4')!.shapeProblem(4096, 4100)).toMatch(/group size 128 does not divide the input dimension 4100/);
    expect(weightFormat('int4')!.shapeProblem(4092, 4096)).toMatch(/output dimension 4092 is not a multiple of 8/);
    expect(weightFormat('int4')!.shapeProblem(4092, 4096, { layout: 'compressed-tensors' })).toBeNull();
    expect(weightFormat('int8')!.shapeProblem(4096, 4096, { groupSize: 100 })).toMatch(/does not divide/);
    expect(weightFormat('nf4')!.shapeProblem(7, 9)).toBeNull();
  });

  it('says which hardware runs a format, and its tensor-core precision', () => {
    const a100 = { id: 'a100', fp8: false, fp4: false };
    const b200 = { id: 'b200', fp8: true, fp4: true };
    expect(formatProblem('fp8', a100)).toMatch(/no FP8 tensor cores/);
    expect(formatProblem('fp8', b200)).toBeNull();
    expect(formatProblem('nvfp4', a100)).toMatch(/no FP4/);
    expect(formatProblem('mxfp4', a100)).toBeNull();
    expect(formatProblem('q9_X', a100)).toMatch(/unknown/);
    expect(computeMode('mxfp4', a100)).toBe('bf16');
    expect(computeMode('nvfp4', b200)).toBe('fp4');
    expect(computeMode('int4', b200)).toBe('bf16');
  });

  it('every format with a codec names a sinan quantize --format, and E5M2 has none (no loader reads it)', () => {
    for (const id of WEIGHT_FORMAT_IDS) {
      const f = weightFormat(id)!;
      if (f.codec) expect(['nf4', 'fp4', 'int4', 'int8', 'fp8', 'fp8-channel', 'fp8-block']).toContain(f.codec.format);
    }
    expect(weightFormat('fp8-e5m2')!.codec).toBeNull();
  });
});
