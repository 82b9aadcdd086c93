import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pipelineSchedule } from './schedule.js';

describe('pipeline schedule', () => {
  it('1F1B takes (m + p - 1)(tf + tb) and idles (p - 1)/(m + p - 1) of the time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 24 }), fc.double({ min: 0.1, max: 3, noNaN: true }), (p, m, tf) => {
        const tb = 2 * tf;
        const s = pipelineSchedule(p, 1, m, tf, tb);
        expect(s.complete).toBe(true);
        expect(s.ops.length).toBe(2 * p * m);
        expect(s.makespan).toBeCloseTo((m + p - 1) * (tf + tb), 9);
        expect(s.bubbleFraction).toBeCloseTo((p - 1) / (m + p - 1), 9);
      }),
      { numRuns: 60 },
    );
  });
  it('interleaving divides the bubble by the chunks: m(tf + tb) + (p - 1)(tf + tb)/v', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 4 }), (p, v, k) => {
        const m = p * k;
        const s = pipelineSchedule(p, v, m, 1, 2);
        expect(s.complete).toBe(true);
        expect(s.ops.length).toBe(2 * p * m * v);
        expect(s.makespan).toBeCloseTo(m * 3 + ((p - 1) * 3) / v, 9);
      }),
      { numRuns: 40 },
    );
  });
  it('never overlaps two ops on a rank, and every backward follows its forward', () => {
    const s = pipelineSchedule(4, 2, 8, 1, 2);
    for (let r = 0; r < 4; r++) {
      const mine = s.ops.filter((o) => o.rank === r).sort((a, b) => a.start - b.start);
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.start).toBeGreaterThanOrEqual(mine[i - 1]!.end - 1e-12);
    }
    for (const b of s.ops.filter((o) => o.kind === 'B')) {
      const f = s.ops.find((o) => o.kind === 'F' && o.rank === b.rank && o.chunk === b.chunk && o.microBatch === b.microBatch)!;
      expect(b.start).toBeGreaterThanOrEqual(f.end);
    }
  });
});
