import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { model, trainJob } from '../../test/ctx.js';
import { countParameters } from '../model/params.js';
import { modelStateBytes } from './memory.js';
import { evaluatePlan } from './report.js';
import { basePlan } from './types.js';

// Llama 3.1 8B on one node of 8 H100s, 8k sequences: the trial's scenario with context parallelism.
const j = trainJob(model('llama-3.1-8b'), 'nvidia-h100-sxm', 8, 8192, 128);
const params = countParameters(j.model).total;

describe('ZeRO shards over the data x context ranks', () => {
  it('context parallelism shards the distributed optimizer (CP 8, DP 1, ZeRO-1: an eighth of the 12-byte states)', () => {
    const r = evaluatePlan(j, basePlan({ context: 8, zero: 1 }));
    // Megatron-Core's distributed optimizer lives on the data-parallel group with context parallel (8 ranks here)
    expect(r.memory.breakdown.optimizer).toBeCloseTo(modelStateBytes(params, 1, 8).optimizer, -3);
    expect(r.memory.breakdown.optimizer).toBeLessThan(13e9);
    expect(r.fits).toBe(true);
  });

  it('without ZeRO every context rank keeps the whole optimizer state', () => {
    const r = evaluatePlan(j, basePlan({ context: 8, zero: 0 }));
    expect(r.memory.breakdown.optimizer).toBeCloseTo(modelStateBytes(params, 0, 1).optimizer, -3);
  });

  it('model states depend on data x context, not on how it is split between them', () => {
    fc.assert(
      fc.property(fc.constantFrom<[number, number]>([8, 1], [4, 2], [2, 4], [1, 8]), fc.constantFrom<0 | 1 | 2 | 3>(0, 1, 2, 3), ([dp, cp], zero) => {
        const a = evaluatePlan(j, basePlan({ data: dp, context: cp, zero })).memory.breakdown;
        const b = evaluatePlan(j, basePlan({ data: 8, zero })).memory.breakdown;
        return a.weights === b.weights && a.gradients === b.gradients && a.optimizer === b.optimizer;
      }),
    );
  });

  it('tensor parallelism alone leaves nothing to shard (TP 8, DP 1: ZeRO-1 keeps the TP shard whole)', () => {
    const z0 = evaluatePlan(j, basePlan({ tensor: 8, sequenceParallel: true, zero: 0 })).memory.breakdown.optimizer;
    const z1 = evaluatePlan(j, basePlan({ tensor: 8, sequenceParallel: true, zero: 1 })).memory.breakdown.optimizer;
    expect(z1).toBe(z0);
  });
});
