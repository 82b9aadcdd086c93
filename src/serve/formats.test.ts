import { describe, expect, it } from 'vitest';
import { acc } from '../../test/ctx.js';
import { storedBytes } from '../formats/weights.js';
import { formatProblem, kvBytesPerElement, weightBytesPerElement } from './formats.js';

describe("serving's view of the format registry", () => {
  it('prices a weight at exactly the bytes the registry says the codec stores', () => {
    for (const f of ['bf16', 'fp8-channel', 'int8', 'int4', 'nf4', 'nf4-dq', 'fp8-block'])
      expect(weightBytesPerElement(f, 4096, 11008) * 4096 * 11008).toBeCloseTo(storedBytes(f, 4096, 11008), 3);
    expect(weightBytesPerElement('bf16', 4096, 4096)).toBe(2);
  });
  it('keeps a weight the format cannot store in that shape in 16 bits, as the checkpoint engine does', () => {
    // 100 input features: no group of 128 divides them
    expect(weightBytesPerElement('int4', 256, 100)).toBe(2);
  });
  it('KV formats as the KIVI codec stores them: fp8 1 byte, int4 with fp16 scale and minimum per 32', () => {
    expect(kvBytesPerElement('fp8')).toBe(1);
    expect(kvBytesPerElement('int4')).toBeCloseTo(0.5 + 4 / 32);
  });
  it('refuses formats the accelerator cannot run', () => {
    expect(formatProblem('fp8', acc('nvidia-a100-80gb-sxm'))).toMatch(/FP8/);
    expect(formatProblem('nvfp4', acc('nvidia-h100-sxm'))).toMatch(/FP4/);
    expect(formatProblem('nvfp4', acc('nvidia-b200-hgx'))).toBeNull();
    expect(formatProblem('int4', acc('nvidia-a10'))).toBeNull();
  });
});
