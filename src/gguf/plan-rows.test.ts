import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { permuteWithinHeads, recipeRows, unpermuteWithinHeads } from './plan-rows.js';
import { memorySource } from './tensor-source.js';

describe('llama Q/K rotary permutation', () => {
  it('interleaves the two halves of each head: rows [a0 a1 b0 b1] -> [a0 b0 a1 b1]', () => {
    const x = Float32Array.from({ length: 8 }, (_, i) => i); // 2 heads x 4 rows x 1 column
    expect(Array.from(permuteWithinHeads(x, 8, 2, 1))).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
  });

  it('is undone by unpermuteWithinHeads', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), (heads, halfHd, cols) => {
        const rows = heads * 2 * halfHd;
        const x = Float32Array.from({ length: rows * cols }, (_, i) => i);
        expect(Array.from(unpermuteWithinHeads(permuteWithinHeads(x, rows, heads, cols), rows, heads, cols))).toEqual(Array.from(x));
      }),
    );
  });

  it('row ranges read through the recipe equal the same rows of the whole permuted tensor (any chunking)', () => {
    const heads = 3;
    const rows = heads * 8;
    const cols = 5;
    const data = Float32Array.from({ length: rows * cols }, (_, i) => i * 0.5);
    const src = memorySource({ w: { shape: [rows, cols], data }, b: { shape: [rows], data: data.slice(0, rows) } });
    const whole = permuteWithinHeads(data, rows, heads, cols);
    const read = recipeRows({ kind: 'rope-permute', hf: 'w', heads }, src);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: rows - 1 }), fc.integer({ min: 1, max: rows }), (first, n) => {
        const count = Math.min(n, rows - first);
        expect(Array.from(read(first, count))).toEqual(Array.from(whole.subarray(first * cols, (first + count) * cols)));
      }),
    );
    expect(Array.from(recipeRows({ kind: 'rope-permute', hf: 'b', heads }, src)(0, 1))).toEqual(
      Array.from(permuteWithinHeads(data.slice(0, rows), rows, heads, 1)),
    );
  });

  it('stacked experts are read across expert boundaries in order', () => {
    const e = (k: number) => ({ shape: [3, 2], data: Float32Array.from({ length: 6 }, (_, i) => 10 * k + i) });
    const src = memorySource({ e0: e(0), e1: e(1), e2: e(2) });
    const read = recipeRows({ kind: 'stack', hf: ['e0', 'e1', 'e2'] }, src);
    expect(Array.from(read(2, 4))).toEqual([4, 5, 10, 11, 12, 13, 14, 15]);
  });
});
