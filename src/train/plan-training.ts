import type { NormalizedTraining } from '../scenario/training.js';
import { isComplete } from '../scenario/training.js';
import { issue, ScenarioError } from '../util/issues.js';
import { evaluatePlan, type TrainReport } from './evaluate.js';
import { planProblem } from './plan.js';
import { searchPlans, type Alternative } from './search.js';
import type { TrainPlan } from './types.js';

export interface TrainingResult extends TrainReport {
  searched: boolean;
  alternatives?: Alternative[];
  search?: { evaluated: number; feasible: number; distinctLayerCosts: number; seconds: number; candidatesPerSecond: number };
  warnings: string[];
}

/** Evaluates the scenario's plan, or searches the keys it leaves open. */
export function planTraining(n: NormalizedTraining, o: { alternatives?: number } = {}): TrainingResult {
  const c = n.constraints;
  if (isComplete(c)) {
    const plan = c as TrainPlan;
    const problem = planProblem(n.job, plan);
    if (problem) {
      const path = problem.field === 'microBatchSize' ? ['training', 'microBatchSize'] : ['parallelism', problem.field];
      throw new ScenarioError([issue('not_divisible', path, problem.message)]);
    }
    return { ...evaluatePlan(n.job, plan), searched: false, warnings: n.warnings };
  }
  const s = searchPlans(n.job, c, { alternatives: o.alternatives ?? 4 });
  const stats = {
    evaluated: s.evaluated,
    feasible: s.feasible,
    distinctLayerCosts: s.distinctLayerCosts,
    seconds: s.seconds,
    candidatesPerSecond: s.evaluated / Math.max(s.seconds, 1e-9),
  };
  if (s.best) return { ...s.best, searched: true, alternatives: s.alternatives, search: stats, warnings: n.warnings };
  if (s.closest) {
    return {
      ...s.closest,
      searched: true,
      alternatives: [],
      search: stats,
      warnings: [
        ...n.warnings,
        `no plan fits in ${(n.job.accelerator.memoryBytes / 1e9).toFixed(0)} GB per device; showing the plan that needs the least memory`,
      ],
    };
  }
  throw new ScenarioError([
    issue(
      'invalid_value',
      ['parallelism'],
      'no valid split exists for these constraints (check that the fixed sizes divide the device count, heads, layers and batch)',
    ),
  ]);
}
