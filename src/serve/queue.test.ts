import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkedQueue, type ChunkedQueueInput } from './queue.js';

/** A chunked engine: decode-only step t0, each prefill token adding tau seconds, a budget of B tokens per step. */
const engine = (lambda: number, t0: number, tauUs: number, B: number, I: number, _O: number): ChunkedQueueInput => {
  const tau = tauUs * 1e-6;
  const stepWith = (tokens: number) => t0 + tau * Math.min(B, tokens);
  // the mean step carries the prompts that arrive during it: t = t0 + tau lambda I t
  const t = t0 / (1 - tau * lambda * I);
  return {
    lambda,
    capacity: Infinity, // the batch bound is not under test here
    inputTokens: I,
    stepSeconds: t,
    tokenInterval: t,
    tokensPerStep: 1,
    budget: B,
    decodeOnlySeconds: t0,
    fullSeconds: stepWith(B),
    stepWith,
  };
};

const arb = fc.record({
  t0: fc.double({ min: 0.005, max: 0.05, noNaN: true }),
  tauUs: fc.double({ min: 5, max: 60, noNaN: true }),
  B: fc.integer({ min: 512, max: 16384 }),
  I: fc.integer({ min: 64, max: 8192 }),
  O: fc.integer({ min: 16, max: 2048 }),
  share: fc.double({ min: 0.05, max: 0.9, noNaN: true }),
});

describe('chunked-prefill queue', () => {
  it('ranks TTFT percentiles strictly and keeps the mean TPOT at the step (prefill counted once)', () => {
    fc.assert(
      fc.property(arb, ({ t0, tauUs, B, I, O, share }) => {
        const probe = engine(1, t0, tauUs, B, I, O);
        const S = (I * probe.fullSeconds) / B;
        const q = chunkedQueue(engine(share / S, t0, tauUs, B, I, O));
        expect(q.stable).toBe(true);
        const tt = q.ttft!;
        expect(tt.p50).toBeLessThan(tt.p90);
        expect(tt.p90).toBeLessThan(tt.p99);
        expect(tt.p50).toBeGreaterThan(t0);
        const tp = q.tpot!;
        expect(tp.p50).toBeLessThanOrEqual(tp.p90);
        expect(tp.p90).toBeLessThanOrEqual(tp.p99);
        // the mean interval is the mean step, which already carries the prompts' chunks: nothing is added on top
        expect(tp.mean).toBe(engine(share / S, t0, tauUs, B, I, O).tokenInterval);
        expect(q.prefillUtilization).toBeCloseTo(share, 9);
      }),
      { numRuns: 200 },
    );
  });

  it('waits longer as the rate grows, and refuses a latency once the prompts overrun the prefill budget', () => {
    fc.assert(
      fc.property(arb, fc.double({ min: 0.05, max: 0.95, noNaN: true }), ({ t0, tauUs, B, I, O, share }, other) => {
        const S = (I * engine(1, t0, tauUs, B, I, O).fullSeconds) / B;
        const [lo, hi] = share < other ? [share, other] : [other, share];
        fc.pre(hi - lo > 1e-3);
        const a = chunkedQueue(engine(lo / S, t0, tauUs, B, I, O));
        const b = chunkedQueue(engine(hi / S, t0, tauUs, B, I, O));
        expect(b.utilization).toBeGreaterThan(a.utilization);
        expect(b.waitSeconds).toBeGreaterThan(a.waitSeconds);
        for (const k of ['mean', 'p50', 'p90', 'p99'] as const) expect(b.ttft![k]).toBeGreaterThan(a.ttft![k]);
        const over = chunkedQueue({ ...engine(hi / S, t0, tauUs, B, I, O), lambda: 1.01 / S });
        expect(over.stable).toBe(false);
        expect(over.ttft).toBeNull();
        expect(over.tpot).toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});
