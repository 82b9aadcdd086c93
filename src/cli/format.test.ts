import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { num } from './format.js';

describe('num', () => {
  it('prints a value that is not zero as something other than 0 (two significant figures below the digits asked)', () => {
    expect(num(0.0047)).toBe('0.0047');
    expect(num(0.0047, 1)).toBe('0.0047');
    expect(num(0.25, 1)).toBe('0.3');
    expect(num(0)).toBe('0');
    expect(num(1234.5)).toBe('1,235');
    fc.assert(
      fc.property(fc.double({ min: -1e5, max: 1e5, noNaN: true }), fc.integer({ min: 0, max: 3 }), (x, d) => {
        if (x === 0) return;
        expect(Number(num(x, d).replace(/,/g, ''))).not.toBe(0);
      }),
    );
  });
});
