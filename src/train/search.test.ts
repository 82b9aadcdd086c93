import { describe, expect, it } from 'vitest';
import { model, trainJob } from '../../test/ctx.js';
import { IssueError } from '../core/issues.js';
import { firstBroken } from '../rules/table.js';
import { planTraining } from './plan.js';
import type { TrainReport } from './report.js';
import { TRAIN_RULES } from './rules.js';
import { searchPlans } from './search.js';
import { basePlan, type PlanConstraints, type TrainJob, type TrainPlan } from './types.js';

const llama8b = (devices: number, seq: number, gbs = 64) => trainJob(model('llama-3.1-8b'), 'nvidia-h100-sxm', devices, seq, gbs);

/** The plan a report describes, as the rules read it. */
const planOf = (r: TrainReport): TrainPlan => ({
  ...r.parallelism,
  microBatchSize: r.training.microBatchSize,
  recompute: r.training.recompute as TrainPlan['recompute'],
  recomputeLayers: r.training.recomputeLayers ?? 0,
  offloadLayers: r.training.activationOffloadLayers ?? 0,
  precision: r.training.precision as TrainPlan['precision'],
});

/** The issue planTraining fails with. */
function issueOf(j: TrainJob, c: PlanConstraints) {
  try {
    planTraining({ job: j, constraints: c, warnings: [] });
  } catch (e) {
    if (e instanceof IssueError) return e.issues[0]!;
    throw e;
  }
  throw new Error('planTraining found a plan');
}

describe('search with sequence lengths that no context or sequence split divides', () => {
  for (const seq of [4097, 2049, 17, 7]) {
    it(`sequenceLength ${seq}: finds valid plans, none of them context- or sequence-parallel`, () => {
      const j = llama8b(8, seq);
      const s = searchPlans(j, {});
      expect(s.best, `sequenceLength ${seq}`).not.toBeNull();
      for (const r of [s.best!, ...s.alternatives]) {
        expect(firstBroken(TRAIN_RULES, j, planOf(r))).toBeNull();
        expect(r.parallelism.context).toBe(1);
        expect(r.parallelism.sequenceParallel).toBe(false);
        expect(r.fits).toBe(true);
      }
    });
  }

  it('the open search is as good as the one with context fixed to 1 (4097 tokens)', () => {
    const j = llama8b(8, 4097);
    const open = searchPlans(j, {}).best!;
    const cp1 = searchPlans(j, { context: 1 }).best!;
    expect(open.throughput.tokensPerSecond).toBe(cp1.throughput.tokensPerSecond);
  });

  it('an even length that 2 x context divides still searches context parallelism', () => {
    const s = searchPlans(llama8b(8, 8192), { data: 1, tensor: 1, pipeline: 1 });
    expect(s.best?.parallelism.context).toBe(8);
  });
});

describe('sequence-parallel rule', () => {
  const plan = (p: Partial<TrainPlan>): TrainPlan => basePlan(p);
  it('sequence parallelism needs the tokens of a context rank to split evenly over the tensor ranks', () => {
    const broken = (seq: number, p: Partial<TrainPlan>) => firstBroken(TRAIN_RULES, llama8b(8, seq), plan(p))?.rule.path.join('.') ?? null;
    expect(broken(4097, { tensor: 2, data: 4, sequenceParallel: true })).toBe('parallelism.sequenceParallel');
    expect(broken(4097, { tensor: 2, data: 4, sequenceParallel: false })).toBeNull();
    expect(broken(4096, { tensor: 8, data: 1, sequenceParallel: true })).toBeNull();
    // 4100 / context 2 = 2050 tokens per rank: tensor 2 divides them, tensor 4 does not
    expect(broken(4100, { tensor: 2, context: 2, data: 2, sequenceParallel: true })).toBeNull();
    expect(broken(4100, { tensor: 4, context: 2, data: 1, sequenceParallel: true })).toBe('parallelism.sequenceParallel');
  });
});

describe('when no split is valid, the error names the constraint that failed', () => {
  it('sequence parallelism fixed on with an odd length: names the sequence-parallel rule', () => {
    const i = issueOf(llama8b(8, 4097), { sequenceParallel: true });
    expect(i.code).toBe('no_plan');
    expect(i.path).toEqual(['parallelism', 'sequenceParallel']);
    expect(i.message).toContain('must divide training.sequenceLength (4097)');
    expect(i.message).not.toContain('check that the fixed sizes divide');
  });

  it('16 devices with data, pipeline and context fixed to 1: names the key-value heads', () => {
    const i = issueOf(llama8b(16, 4096), { data: 1, pipeline: 1, context: 1 });
    expect(i.code).toBe('no_plan');
    expect(i.path).toEqual(['parallelism', 'tensor']);
    expect(i.message).toContain('tensor (16) must divide the key-value heads (8)');
  });

  it('lists every distinct reason with its path', () => {
    const s = searchPlans(llama8b(8, 4097), { sequenceParallel: true });
    expect(s.best).toBeNull();
    const paths = s.rejections.map((r) => r.path.join('.'));
    expect(paths).toContain('parallelism.sequenceParallel');
    expect(paths).toContain('parallelism.context');
    for (const r of s.rejections) expect(r.candidates).toBeGreaterThan(0);
  });
});

describe('fixed keys the search must keep', () => {
  it('sequence parallelism fixed on never yields a plan without it', () => {
    const s = searchPlans(llama8b(8, 4096), { sequenceParallel: true });
    for (const r of [s.best!, ...s.alternatives]) {
      expect(r.parallelism.sequenceParallel).toBe(true);
      expect(r.parallelism.tensor).toBeGreaterThan(1);
    }
  });

  it('virtual stages fixed above 1 never yield a plan without pipeline parallelism', () => {
    const j = llama8b(8, 4096);
    const s = searchPlans(j, { virtualStages: 2 });
    expect(s.best).not.toBeNull();
    for (const r of [s.best!, ...s.alternatives]) {
      expect(r.parallelism.pipeline).toBeGreaterThan(1);
      expect(firstBroken(TRAIN_RULES, j, planOf(r))).toBeNull();
    }
  });
});
