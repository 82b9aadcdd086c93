import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acc as accelerator, ctx } from '../../test/ctx.js';
import { allGatherSeconds, allReduceSeconds, allToAllSeconds, sendRecvSeconds } from './collective.js';
import { fabricFor, place } from './topology.js';

const h100 = fabricFor(accelerator('nvidia-h100-sxm'), 8, ctx.calibration);

describe('placement of parallel groups on the fabric', () => {
  it('keeps a group inside one scale-up domain when it fits', () => {
    expect(place(8, 1, h100)).toEqual({ size: 8, local: 8, nodes: 1 });
    expect(place(4, 2, h100)).toEqual({ size: 4, local: 4, nodes: 1 });
  });
  it('spreads strided groups over domains', () => {
    expect(place(16, 8, h100)).toEqual({ size: 16, local: 1, nodes: 16 });
    expect(place(32, 2, h100)).toEqual({ size: 32, local: 4, nodes: 8 });
  });
});

describe('alpha-beta collectives', () => {
  it('matches NCCL bus bandwidth for a large 8-GPU ring all-gather (~370 GB/s)', () => {
    const bytes = 8e9;
    const t = allGatherSeconds(bytes, place(8, 1, h100), h100);
    const busBw = (bytes * 7) / 8 / t;
    expect(busBw / 1e9).toBeGreaterThan(350);
    expect(busBw / 1e9).toBeLessThan(380);
  });

  it('costs more across nodes than inside one', () => {
    const bytes = 1e9;
    expect(allReduceSeconds(bytes, place(16, 8, h100), h100)).toBeGreaterThan(allReduceSeconds(bytes, place(8, 1, h100), h100));
    expect(sendRecvSeconds(bytes, true, h100)).toBeGreaterThan(sendRecvSeconds(bytes, false, h100));
  });

  it('is monotone in message size and never negative', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e10, noNaN: true }),
        fc.double({ min: 0, max: 1e10, noNaN: true }),
        fc.constantFrom(2, 4, 8, 64, 512),
        (a, b, n) => {
          const [lo, hi] = a < b ? [a, b] : [b, a];
          const pl = place(n, 1, h100);
          return (
            allReduceSeconds(lo, pl, h100) <= allReduceSeconds(hi, pl, h100) &&
            allGatherSeconds(lo, pl, h100) <= allGatherSeconds(hi, pl, h100) &&
            allToAllSeconds(lo, pl, h100) <= allToAllSeconds(hi, pl, h100) &&
            allReduceSeconds(lo, pl, h100) >= 0
          );
        },
      ),
    );
  });
});
