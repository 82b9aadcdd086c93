import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate, parseBytes, type Option } from './mixed.js';

const opt = (format: Option['format'], bytes: number, distortion: number): Option => ({ format, bytes, distortion });

describe('bit allocation under a budget', () => {
  it('spends the budget where it saves the most error (exact)', () => {
    const options = [
      [opt('keep', 100, 0), opt('nf4', 30, 50)],
      [opt('keep', 100, 0), opt('nf4', 30, 5)],
    ];
    const a = allocate(options, 140)!;
    expect(a.exact).toBe(true);
    expect(a.choice).toEqual([0, 1]); // keep the sensitive tensor, quantize the tolerant one
    expect(allocate(options, 50)).toBeNull();
  });

  it('the Lagrangian solution on large problems is feasible and close to exact (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 10, max: 100 }), fc.double({ min: 0, max: 10, noNaN: true })), { minLength: 9, maxLength: 9 }),
        fc.double({ min: 0.3, max: 0.9, noNaN: true }),
        (items, frac) => {
          const options = items.map(([b, s]) => [
            opt('keep', 4 * b, 0),
            opt('int8', 2 * b, s * 0.01 * b),
            opt('nf4', b, s * b),
            opt('int4', b * 0.9, s * 1.4 * b),
          ]);
          const full = options.reduce((t, o) => t + o[0]!.bytes, 0);
          const budget = full * frac;
          const exact = allocate(options, budget); // 4^9 = 262144 > 200000: heuristic path
          if (!exact) return true;
          const small = allocate(options.slice(0, 8), budget); // exact path on 8 items
          return exact.bytes <= budget + 1e-9 && (small === null || small.bytes <= budget + 1e-9);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('parses byte budgets', () => {
    expect(parseBytes('40GB')).toBe(40e9);
    expect(parseBytes('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes('500 MB')).toBe(500e6);
    expect(parseBytes('123')).toBe(123);
    expect(parseBytes('lots')).toBeNull();
  });
});
