import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { goodputClosedForm, goodputMonteCarlo, optimalInterval } from './goodput.js';
import { poissonTail, sparePlan } from './reliability.js';

describe('Monte Carlo agrees with the closed form', () => {
  it.each([
    ['frequent failures, long restarts', 6 * 3600, 900, 20],
    ['Llama 3 rate, 10-minute restarts, fast async checkpoints', 3.09 * 3600, 606, 0.01],
    ['rare failures, slow synchronous checkpoints', 48 * 3600, 1800, 600],
  ])('%s: within 0.2 points of the closed form', (_name, mtbi, restart, delta) => {
    const g = {
      totalSeconds: 54 * 86400,
      mtbiSeconds: mtbi,
      restartSeconds: restart,
      blockingSeconds: delta,
      intervalSeconds: Math.max(60, optimalInterval(delta, mtbi)),
    };
    const cf = goodputClosedForm(g).effectiveTrainingTime;
    const mc = goodputMonteCarlo(g, 2000, 7);
    expect(Math.abs(mc.mean - cf)).toBeLessThan(0.002);
    expect(mc.ci95[0]).toBeLessThanOrEqual(mc.mean);
    expect(mc.meanInterruptions).toBeGreaterThan(10);
  });
  it('a checkpoint interval longer than the run loses at most the work done, as the simulation does', () => {
    // one day, interval 100,000 minutes: a failure loses the run so far (half of it on average), not half an interval
    for (const mtbi of [50 * 86400, 20 * 86400, 5 * 86400, 0.5 * 86400]) {
      const g = { totalSeconds: 86400, mtbiSeconds: mtbi, restartSeconds: 600, blockingSeconds: 1, intervalSeconds: 6e6 };
      const cf = goodputClosedForm(g);
      expect(cf.lost.recompute, `mtbi ${mtbi}`).toBeLessThanOrEqual((g.totalSeconds / mtbi) * (g.totalSeconds / 2));
      // first order in the failure count: exact enough while a failure in the run is unlikely (the plan warns otherwise)
      if (mtbi >= 5 * 86400) expect(Math.abs(goodputMonteCarlo(g, 4000, 3).mean - cf.effectiveTrainingTime), `mtbi ${mtbi}`).toBeLessThan(0.01);
    }
  });
  it('is reproducible for a seed and always within [0, 1]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 600, max: 1e6, noNaN: true }), (seed, mtbi) => {
        const g = { totalSeconds: 86400 * 3, mtbiSeconds: mtbi, restartSeconds: 300, blockingSeconds: 10, intervalSeconds: 900 };
        const a = goodputMonteCarlo(g, 50, seed);
        const b = goodputMonteCarlo(g, 50, seed);
        return a.mean === b.mean && a.mean >= 0 && a.mean <= 1;
      }),
      { numRuns: 30 },
    );
  });
});

describe('spares and blast radius', () => {
  it('Poisson tail is a probability and falls with more spares', () => {
    expect(poissonTail(2, 0)).toBeCloseTo(1 - Math.exp(-2));
    expect(poissonTail(2, 5)).toBeLessThan(poissonTail(2, 1));
  });
  it('node-granular replacement takes 8x the capacity offline of single-GPU replacement', () => {
    const node = sparePlan(16384, 54, 4.74e-4, 0.78, 8, 4, 24);
    const gpu = sparePlan(16384, 54, 4.74e-4, 0.78, 1, 4, 24);
    expect(node.deviceHoursInRepair / gpu.deviceHoursInRepair).toBeCloseTo(8);
    expect(node.blastRadius).toBe(8);
  });
});
