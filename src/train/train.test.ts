import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acc as accelerator, ctx, model as builtinModel, raw, trainJob } from '../../test/ctx.js';
import { countParameters } from '../model/params.js';
import { normalizeTraining } from '../scenario/training.js';
import { modelFlopsPerToken } from '../graph/flops.js';
import { firstBroken } from '../rules/table.js';
import { evaluatePlan } from './report.js';
import { minDevicesForModelStates, modelStateBytes } from './memory.js';
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

const within = (x: number, target: number, tol: number) => expect(Math.abs(x - target) / target).toBeLessThanOrEqual(tol);

describe('seed claims: training memory (SEED-CLAIMS rows 1, 2)', () => {
  it('row 1: GPT-3 175B mixed-precision Adam states are 350 + 350 + 2100 = 2800 GB on one device', () => {
    const j = job('gpt3-175b', 'nvidia-a100-80gb-sxm', 1, 2048, 1);
    const r = evaluatePlan(j, plan({ recompute: 'full' }));
    const b = r.memory.breakdown;
    within(b.weights, 350e9, 0.01);
    within(b.gradients, 350e9, 0.01);
    within(b.optimizer, 2100e9, 0.01);
    within(b.weights + b.gradients + b.optimizer, 2800e9, 0.01);
    expect(r.fits).toBe(false);
  });

  it('row 2: model states alone need at least 35 A100-80GB, and ZeRO-3 over 34 does not fit', () => {
    const m = builtinModel('gpt3-175b');
    const a = { ...accelerator('nvidia-a100-80gb-sxm'), memoryBytes: 80e9 };
    expect(minDevicesForModelStates(m, a.memoryBytes)).toBe(35);
    const p = countParameters(m).total;
    expect(modelStateBytes(p, 3, 34).total).toBeGreaterThan(a.memoryBytes);
    expect(modelStateBytes(p, 3, 35).total).toBeLessThanOrEqual(a.memoryBytes);
    const r = evaluatePlan({ ...job('gpt3-175b', 'nvidia-a100-80gb-sxm', 34, 2048, 34), accelerator: a }, plan({ data: 34, zero: 3, recompute: 'full' }));
    expect(r.fits).toBe(false);
  });
});

describe('seed claims: compute (rows 3, 4, 5, 6)', () => {
  it('row 3: model FLOPs are 6 P per token plus attention; full recompute makes hardware FLOPs 8 P', () => {
    const m = builtinModel('gpt3-175b');
    const P = countParameters(m).total;
    const seq = 2048;
    // attention term: 3 passes x 2 matmuls x 2 FLOPs x (s/2 causal keys) x d_model per layer
    const attention = 3 * 2 * 2 * (seq / 2) * m.hidden * m.layers;
    within(modelFlopsPerToken(m, seq) - attention, 6 * P, 0.05);
    const j = job('gpt3-175b', 'nvidia-a100-80gb-sxm', 1024, seq, 1536);
    const r = evaluatePlan(j, plan({ tensor: 8, pipeline: 8, data: 16, recompute: 'full', sequenceParallel: true }));
    within(r.flops.hfu / r.flops.mfu, 8 / 6, 0.05);
  });

  it('row 4: GPT-3 on 300B tokens is 314 ZFLOP, ~32 years of one A100 at peak', () => {
    const j = job('gpt3-175b', 'nvidia-a100-80gb-sxm', 1024, 2048, 1536, 300e9);
    const r = evaluatePlan(j, plan({ tensor: 8, pipeline: 8, data: 16, sequenceParallel: true, microBatchSize: 1 }));
    const flops = r.flops.modelFlopsPerToken * 300e9;
    within(flops, 314e21, 0.03);
    within(r.run!.deviceHoursAtPeak / 24 / 365, 32, 0.03);
    expect(r.run!.deviceHours).toBeGreaterThan(r.run!.deviceHoursAtPeak);
  });

  it('row 5: LLaMA-65B on 2048 A100-80GB, 1.4T tokens, takes about 21 days (380 tokens/s/GPU)', () => {
    const r = planTraining(
      normalizeTraining(
        raw({
          kind: 'training',
          model: 'llama-65b',
          system: { accelerator: 'nvidia-a100-80gb-sxm', count: 2048, perNode: 8 },
          training: { sequenceLength: 2048, globalBatchSize: 2048, precision: 'bf16', tokens: 1.4e12 },
        }),
        ctx,
        null,
      ),
    );
    within(r.throughput.tokensPerSecondPerDevice, 380, 0.2);
    within(r.run!.days, 21, 0.2);
  });
});

describe('seed claim 20: weak scaling to 1,000 GPUs on an H800 RoCE fabric', () => {
  it.each(['llama-2-7b', 'llama-2-13b'])('%s keeps at least 90 percent of per-GPU throughput from 8 to 1024 GPUs', (id) => {
    const small = searchPlans(job(id, 'nvidia-h800-sxm', 8, 4096, 16), { precision: 'bf16' }).best!;
    const p = small.parallelism;
    const fixed = {
      tensor: p.tensor,
      pipeline: p.pipeline,
      context: p.context,
      virtualStages: p.virtualStages,
      microBatchSize: small.training.microBatchSize,
      recompute: small.training.recompute as TrainPlan['recompute'],
      precision: 'bf16' as const,
    };
    const big = searchPlans(job(id, 'nvidia-h800-sxm', 1024, 4096, 16 * 128), fixed).best!;
    expect(big.throughput.tokensPerSecondPerDevice / small.throughput.tokensPerSecondPerDevice).toBeGreaterThanOrEqual(0.9);
    expect(big.throughput.tokensPerSecondPerDevice / small.throughput.tokensPerSecondPerDevice).toBeLessThanOrEqual(1.01);
  });
});

describe('seed claim 26: communication volumes of GPT-3 175B on a 3-D split', () => {
  it('DP is GB-scale per step, PP MB-scale per micro-batch, TP hundreds of GB per step', () => {
    const j = job('gpt3-175b', 'nvidia-a100-80gb-sxm', 1024, 2048, 1536);
    const r = evaluatePlan(j, plan({ tensor: 8, pipeline: 8, data: 16, microBatchSize: 1, zero: 1 }));
    const c = r.communication;
    expect(c.dataBytesPerStep).toBeGreaterThanOrEqual(1e9);
    expect(c.dataBytesPerStep).toBeLessThan(1e11);
    const perMicroBatch = c.pipelineBytesPerStep / (2 * r.training.microBatches);
    expect(perMicroBatch).toBeGreaterThanOrEqual(1e6);
    expect(perMicroBatch).toBeLessThan(1e9);
    expect(c.tensorBytesPerStep).toBeGreaterThanOrEqual(1e11);
    expect(c.tensorBytesPerStep).toBeLessThan(1e12);
  });
});

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
