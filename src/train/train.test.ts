import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { model as builtinModel, trainJob } from '../../test/ctx.js';
import { modelFlopsPerToken } from '../graph/flops.js';
import { firstBroken } from '../rules/table.js';
import { evaluatePlan } from './report.js';
import { planTraining } from './plan.js';
import { TRAIN_RULES } from './rules.js';
import { searchPlans } from './search.js';
import { basePlan, type TrainJob, type TrainPlan } from './types.js';

function job(model: string, acc: string, devices: number, seq: number, gbs: number, tokens: number | null = null): TrainJob {
  return trainJob(builtinModel(model), acc, devices, seq, gbs, { tokens });
}

/** The path of the first training rule a complete plan breaks, or null. */
const planProblem = (j: TrainJob, p: TrainPlan) => {
  const b = firstBroken(TRAIN_RULES, j, p);
  return b ? { field: String(b.rule.path[b.rule.path.length - 1]) } : null;
};

const plan = basePlan;

describe('plan rules', () => {
  const j = job('llama-3.1-70b', 'nvidia-h100-sxm', 64, 8192, 64);
  it('rejects splits that do not multiply to the device count', () => {
    expect(planProblem(j, plan({ tensor: 8, pipeline: 2, data: 2 }))?.field).toBe('data');
  });
  it('rejects tensor sizes that do not divide the KV heads', () => {
    expect(planProblem(j, plan({ tensor: 16, data: 4 }))?.field).toBe('tensor');
  });
  it('rejects expert parallelism on a dense model', () => {
    expect(planProblem(j, plan({ data: 64, expert: 2 }))?.field).toBe('expert');
  });
  it('accepts a valid split', () => {
    expect(planProblem(j, plan({ tensor: 8, pipeline: 2, data: 4 }))).toBeNull();
  });
});

describe('search', () => {
  it('only returns valid plans that fit, best first', () => {
    const j = job('llama-3.1-70b', 'nvidia-h100-sxm', 64, 8192, 128);
    const s = searchPlans(j, {});
    expect(s.best).not.toBeNull();
    expect(
      planProblem(j, {
        ...s.best!.parallelism,
        microBatchSize: s.best!.training.microBatchSize,
        recompute: s.best!.training.recompute,
        precision: s.best!.training.precision,
      } as TrainPlan),
    ).toBeNull();
    for (const a of [s.best!, ...s.alternatives]) expect(a.fits).toBe(true);
    for (const a of s.alternatives) expect(a.throughput.tokensPerSecond).toBeLessThanOrEqual(s.best!.throughput.tokensPerSecond);
    expect(s.evaluated).toBeGreaterThan(100);
  });

  it('honours fixed keys', () => {
    const j = job('llama-3.1-70b', 'nvidia-h100-sxm', 64, 8192, 128);
    const s = searchPlans(j, { tensor: 4, recompute: 'full', precision: 'bf16' });
    expect(s.best!.parallelism.tensor).toBe(4);
    expect(s.best!.training.recompute).toBe('full');
  });

  it('returns the least-memory plan with fits=false when nothing fits', () => {
    const j = job('llama-3.1-405b', 'nvidia-a10', 8, 4096, 8);
    const r = planTraining({ job: j, constraints: {}, warnings: [] });
    expect(r.fits).toBe(false);
    expect(r.memory.perDeviceBytes).toBeGreaterThan(r.memory.capacityBytes);
  });

  it('covers dense, GQA, MLA and MoE models on A100, H100, H200 and B200', () => {
    const cases: [string, string, number][] = [
      ['gpt3-175b', 'nvidia-a100-80gb-sxm', 512],
      ['llama-3.1-70b', 'nvidia-h100-sxm', 128],
      ['deepseek-v3', 'nvidia-h200-sxm', 1024],
      ['mixtral-8x22b', 'nvidia-b200-hgx', 64],
      ['qwen3-30b-a3b', 'nvidia-gb200', 72],
    ];
    for (const [m, a, n] of cases) {
      const s = searchPlans(job(m, a, n, 4096, n * 2), {});
      expect(s.best, `${m} on ${a}`).not.toBeNull();
      expect(s.best!.throughput.tokensPerSecond).toBeGreaterThan(0);
      expect(s.best!.flops.mfu).toBeGreaterThan(0.05);
      expect(s.best!.flops.mfu).toBeLessThan(1);
    }
  });
});

describe('invariants (property tests)', () => {
  const j = job('llama-3.1-8b', 'nvidia-h100-sxm', 8, 4096, 256);
  it('memory never decreases as the micro-batch grows', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4, 8),
        fc.constantFrom<TrainPlan['recompute']>('none', 'selective', 'full'),
        fc.constantFrom<0 | 1 | 2 | 3>(0, 1, 2, 3),
        (mb, rc, z) => {
          const a = evaluatePlan(j, plan({ data: 8, microBatchSize: mb, recompute: rc, zero: z }));
          const b = evaluatePlan(j, plan({ data: 8, microBatchSize: mb * 2, recompute: rc, zero: z }));
          return b.memory.perDeviceBytes >= a.memory.perDeviceBytes;
        },
      ),
    );
  });

  it('more recomputation never uses more activation memory nor less time', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4), fc.constantFrom(1, 2, 4, 8), (mb, tp) => {
        const r = (rc: TrainPlan['recompute']) =>
          evaluatePlan(j, plan({ tensor: tp, data: 8 / tp, sequenceParallel: tp > 1, microBatchSize: mb, recompute: rc }));
        const [n, s, f] = [r('none'), r('selective'), r('full')];
        return (
          n.memory.breakdown.activations >= s.memory.breakdown.activations &&
          s.memory.breakdown.activations >= f.memory.breakdown.activations &&
          n.step.seconds <= s.step.seconds + 1e-12 &&
          s.step.seconds <= f.step.seconds + 1e-12
        );
      }),
    );
  });

  it('higher ZeRO stages never use more memory', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4), (mb) => {
        const mem = [0, 1, 2, 3].map((z) => evaluatePlan(j, plan({ data: 8, microBatchSize: mb, zero: z as 0 | 1 | 2 | 3 })).memory.breakdown);
        const states = mem.map((b) => b.gradients + b.optimizer);
        return states.every((x, i) => i === 0 || x <= states[i - 1]!);
      }),
    );
  });

  it('model FLOPs per token do not depend on the split, and time does not beat the hardware peak', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4, 8), fc.constantFrom(1, 2), (tp, pp) => {
        const r = evaluatePlan(j, plan({ tensor: tp, pipeline: pp, data: 8 / (tp * pp), sequenceParallel: tp > 1 }));
        return r.flops.modelFlopsPerToken === modelFlopsPerToken(j.model, 4096) && r.flops.mfu < 1 && r.flops.hfu < 1;
      }),
    );
  });
});
