import { describe, expect, it } from 'vitest';
import type { PlannedTensor } from './hf-model.js';
import { decideTypes, fallbackType, guessFileType } from './type-choice.js';

const tensor = (name: string, ne: number[], keepF32: string | null = null): PlannedTensor => ({
  name,
  ne,
  layer: 0,
  role: name,
  keepF32,
  recipe: { kind: 'tensor', hf: name },
});

describe('llama.cpp type rules', () => {
  it('k-quant rows that are not a multiple of 256 fall back as llama-quant.cpp does', () => {
    expect(fallbackType('Q2_K', 96)).toBe('IQ4_NL');
    expect(fallbackType('Q3_K', 96)).toBe('IQ4_NL');
    expect(fallbackType('Q4_K', 96)).toBe('Q5_0');
    expect(fallbackType('Q5_K', 96)).toBe('Q5_1');
    expect(fallbackType('Q6_K', 96)).toBe('Q8_0');
    expect(fallbackType('Q4_K', 100)).toBe('F16'); // not even a multiple of 32
    expect(fallbackType('Q8_0', 100)).toBe('F16'); // the converter's QuantError fallback
    expect(fallbackType('Q4_K', 512)).toBe('Q4_K');
    expect(fallbackType('BF16', 7)).toBe('BF16');
  });

  it('keeps F32 tensors F32, notes what changed, and refuses a map that leaves tensors without a type', () => {
    const ts = [tensor('a', [256, 4]), tensor('n', [256], 'a norm'), tensor('b', [320, 4])];
    const d = decideTypes(
      ts,
      new Map([
        ['a', 'Q4_K'],
        ['n', 'Q4_K'],
        ['b', 'Q6_K'],
      ]),
    );
    expect(d.map((x) => x.type)).toEqual(['Q4_K', 'F32', 'Q8_0']);
    expect(d[1]!.note).toMatch(/kept F32 \(a norm\)/);
    expect(d[2]!.note).toMatch(/falls back to Q8_0/);
    expect(() => decideTypes(ts, new Map([['a', 'Q4_K']]))).toThrow(/no ggml type given for 1 tensor\(s\): b/);
    expect(decideTypes(ts, new Map(), 'Q8_0').map((x) => x.type)).toEqual(['Q8_0', 'F32', 'Q8_0']);
  });

  it('general.file_type follows the loader rule: most frequent type, first to reach the count', () => {
    expect(guessFileType(['Q4_K', 'Q6_K', 'Q4_K'])).toBe(15);
    expect(guessFileType(['Q6_K', 'Q4_K', 'Q4_K', 'Q6_K'])).toBe(15); // Q4_K reaches 2 first
    expect(guessFileType(['Q6_K', 'Q4_K', 'Q6_K'])).toBe(18);
    expect(guessFileType(['Q8_0'])).toBe(7);
    expect(guessFileType([])).toBe(0);
  });
});
