import { describe, expect, it } from 'vitest';
import { model, trainJob } from '../../test/ctx.js';
import { evaluatePlan } from './report.js';
import { basePlan } from './types.js';

describe('gradient reduction groups', () => {
  const j8 = trainJob(model('llama-3.1-8b'), 'nvidia-h100-sxm', 8, 8192, 128);

  it('no replica, no data-parallel traffic (TP 8, DP 1, CP 1 on a dense model)', () => {
    const j70 = trainJob(model('llama-3.1-70b'), 'nvidia-h100-sxm', 8, 8192, 64);
    for (const zero of [0, 1, 2, 3] as const) {
      const r = evaluatePlan(j70, basePlan({ tensor: 8, sequenceParallel: true, zero }));
      expect(r.communication.dataBytesPerStep, `zero ${zero}`).toBe(0);
      expect(r.communication.dataBytesSentPerRank, `zero ${zero}`).toBe(0);
      expect(r.step.detail.dataSeconds, `zero ${zero}`).toBe(0);
    }
  });

  it('context ranks reduce their gradients like data ranks (CP 8 moves what DP 8 moves)', () => {
    for (const zero of [0, 1, 2] as const) {
      const cp = evaluatePlan(j8, basePlan({ context: 8, zero }));
      const dp = evaluatePlan(j8, basePlan({ data: 8, zero }));
      expect(cp.communication.dataBytesPerStep, `zero ${zero}`).toBeGreaterThan(0);
      expect(cp.communication.dataBytesPerStep, `zero ${zero}`).toBeCloseTo(dp.communication.dataBytesPerStep, -3);
      expect(cp.communication.dataBytesSentPerRank, `zero ${zero}`).toBeCloseTo(dp.communication.dataBytesSentPerRank, -3);
      expect(cp.step.detail.dataSeconds, `zero ${zero}`).toBeCloseTo(dp.step.detail.dataSeconds, 9);
    }
  });

  it('a ZeRO-1 rank sends (N-1)/N of the gradients and of the parameters', () => {
    const r = evaluatePlan(j8, basePlan({ data: 4, context: 2, zero: 1 }));
    expect(r.communication.dataBytesSentPerRank).toBeCloseTo((7 / 8) * r.communication.dataBytesPerStep, -3);
  });

  it('ZeRO-3 ranks send what they gather and reduce-scatter', () => {
    const r = evaluatePlan(j8, basePlan({ data: 8, zero: 3 }));
    expect(r.communication.dataBytesPerStep).toBeGreaterThan(0);
    expect(r.communication.dataBytesSentPerRank).toBeCloseTo((7 / 8) * r.communication.dataBytesPerStep, -3);
  });
});
