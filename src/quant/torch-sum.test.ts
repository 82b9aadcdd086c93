import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TorchSumF32, torchMeanF32 } from './torch-sum.js';

// torch.sum / torch.mean of these float32 values, printed by torch 2.13 (CPU, AVX2 build, torch.set_num_threads(1))
const values = (n: number) => Float32Array.from({ length: n }, (_, i) => (((i * 7919) % 10007) / 997) * 2 ** ((i % 13) - 6));
const REF: [number, number, number][] = [
  [5, 1.4980252981185913, 0.2996050715446472],
  [8, 24.63644027709961, 3.079555034637451],
  [100, 4712.048828125, 47.120487213134766],
  [1000, 49200.3828125, 49.200382232666016],
  [4097, 202675.78125, 49.46931457519531],
  [65536, 3233911.5, 49.34557342529297],
  [100003, 4934988.5, 49.34840393066406],
  [1048576, 51802800.0, 49.40299987792969],
];

describe("torch's float32 CPU sum (cascade, 8 lanes), reproduced bit for bit", () => {
  it.each(REF)('n = %d: sum %f, mean %f', (n, sum, mean) => {
    const s = new TorchSumF32(n);
    s.push(values(n));
    expect(s.result()).toBe(sum);
    expect(torchMeanF32(values(n))).toBe(mean);
  });

  it('differs from a plain float64 sum rounded once (so the order of additions is what is being matched)', () => {
    const x = values(1048576);
    let d = 0;
    for (const v of x) d += v;
    expect(Math.fround(d)).not.toBe(51802800.0);
  });

  it('gives the same result however the values are pushed in chunks (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70000 }), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 40 }), (n, cuts) => {
        const x = values(n);
        const whole = new TorchSumF32(n);
        whole.push(x);
        const parts = new TorchSumF32(n);
        let i = 0;
        let k = 0;
        while (i < n) {
          const m = Math.min(n - i, cuts[k++ % cuts.length]!);
          parts.push(x.subarray(i, i + m));
          i += m;
        }
        return parts.result() === whole.result();
      }),
      { numRuns: 50 },
    );
  });

  it('refuses more values than announced and a result before all arrived', () => {
    const s = new TorchSumF32(3);
    expect(() => s.result()).toThrow(/0 of 3/);
    expect(() => s.push([1, 2, 3, 4])).toThrow(/more than the 3/);
  });
});
