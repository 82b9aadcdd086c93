import { describe, expect, it } from 'vitest';
import { acc } from '../../test/ctx.js';

const accelerator = (id: string) => acc(id);
import { formatProblem, kvBytesPerElement, WEIGHTS } from './formats.js';

describe('weight formats', () => {
  const P = 100e9;
  it('NF4 block 64 with fp32 scales: 6.25 GB of scales for 100B parameters', () => {
    const scaleBytes = (P * (WEIGHTS.nf4.bits(4096) - 4)) / 8;
    expect(Math.abs(scaleBytes - 6.25e9) / 6.25e9).toBeLessThanOrEqual(0.01);
  });
  it('double quantization: 1.5625 + 0.0244 GB', () => {
    const scaleBytes = (P * (WEIGHTS['nf4-dq'].bits(4096) - 4)) / 8;
    expect(Math.abs(scaleBytes - (1.5625e9 + 0.0244e9)) / 1.587e9).toBeLessThanOrEqual(0.01);
  });
  it('NF4 (with double quantization) is 3.8-4.0x smaller than BF16, scales included', () => {
    const ratio = WEIGHTS.bf16.bits(4096) / WEIGHTS['nf4-dq'].bits(4096);
    expect(ratio).toBeGreaterThanOrEqual(3.8);
    expect(ratio).toBeLessThanOrEqual(4.0);
  });
  it('knows the block formats: MXFP4 4.25, NVFP4 4.5, FP8 128x128 ~8.002 bits', () => {
    expect(WEIGHTS.mxfp4.bits(4096)).toBe(4.25);
    expect(WEIGHTS.nvfp4.bits(4096)).toBe(4.5);
    expect(WEIGHTS['fp8-block'].bits(4096)).toBeCloseTo(8.00195, 4);
  });
  it('KV formats: fp8 1 byte, int4 with group scales ~0.56', () => {
    expect(kvBytesPerElement('fp8', 128)).toBe(1);
    expect(kvBytesPerElement('int4', 128)).toBeCloseTo(0.5625);
  });
  it('refuses formats the accelerator cannot run', () => {
    expect(formatProblem('fp8', accelerator('nvidia-a100-80gb-sxm')!)).toMatch(/FP8/);
    expect(formatProblem('nvfp4', accelerator('nvidia-h100-sxm')!)).toMatch(/FP4/);
    expect(formatProblem('nvfp4', accelerator('nvidia-b200-hgx')!)).toBeNull();
    expect(formatProblem('int4', accelerator('nvidia-a10')!)).toBeNull();
  });
});
