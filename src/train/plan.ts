import { fail, formatPath, type IssueData } from '../core/issues.js';
import { describeIssue } from '../core/messages.js';
import { warning, type Warning } from '../core/warnings.js';
import { evaluatePlan, type TrainReport } from './report.js';
import { searchPlans, type Alternative, type Rejection } from './search.js';
import { HEADROOM_WARNING_FRACTION } from '../profiles/reserve.js';
import { basePlan, type PlanConstraints, type TrainJob, type TrainPlan } from './types.js';

/** A training job with the keys the user fixed and the warnings loading produced. */
export interface TrainRequest {
  job: TrainJob;
  constraints: PlanConstraints;
  warnings: Warning[];
}

export interface TrainingResult extends TrainReport {
  searched: boolean;
  alternatives?: Alternative[];
  search?: { evaluated: number; feasible: number; distinctLayerCosts: number };
}

/** True when every plan key is fixed, so no search is needed. */
export function isComplete(c: PlanConstraints): c is Omit<TrainPlan, 'recomputeLayers' | 'offloadLayers'> & PlanConstraints {
  return (
    c.tensor !== undefined &&
    c.pipeline !== undefined &&
    c.data !== undefined &&
    c.context !== undefined &&
    c.expert !== undefined &&
    c.virtualStages !== undefined &&
    c.sequenceParallel !== undefined &&
    c.zero !== undefined &&
    c.microBatchSize !== undefined &&
    c.recompute !== undefined &&
    c.precision !== undefined
  );
}

function outputWarnings(r: TrainReport, job: TrainJob): Warning[] {
  const w: Warning[] = [];
  if (!r.profiles.efficiency.fitted)
    w.push(
      warning(
        'uncalibrated_hardware',
        `${job.accelerator.id} (${r.profiles.efficiency.generation}) has no efficiencies fitted to measurements: priced with conservative ones (${r.profiles.efficiency.source}); treat step time and MFU as rough`,
        ['system', 'accelerator'],
      ),
    );
  if (r.fits && r.memory.headroomBytes < HEADROOM_WARNING_FRACTION * r.memory.capacityBytes)
    w.push(
      warning(
        'memory_headroom',
        `the plan leaves ${(r.memory.headroomBytes / 1e9).toFixed(2)} GB of ${(r.memory.capacityBytes / 1e9).toFixed(0)} GB free per device, beyond the framework's reserve, under the ${HEADROOM_WARNING_FRACTION * 100}% margin; real allocators often fail before that`,
        ['training'],
      ),
    );
  return w;
}

/** Evaluates the request's plan, or searches the keys it leaves open. Throws IssueError for plans that cannot exist. */
export function planTraining(req: TrainRequest, o: { alternatives?: number } = {}): TrainingResult {
  const c = req.constraints;
  const finish = (r: TrainingResult, extra: Warning[] = []): TrainingResult => ({ ...r, warnings: [...req.warnings, ...extra, ...outputWarnings(r, req.job)] });
  if (isComplete(c)) return finish({ ...evaluatePlan(req.job, { recomputeLayers: 0, offloadLayers: 0, ...c } as TrainPlan), searched: false });
  const s = searchPlans(req.job, c, { alternatives: o.alternatives ?? 4 });
  const stats = { evaluated: s.evaluated, feasible: s.feasible, distinctLayerCosts: s.distinctLayerCosts };
  if (s.best) return finish({ ...s.best, searched: true, alternatives: s.alternatives, search: stats });
  if (s.closest) {
    return finish({ ...s.closest, searched: true, alternatives: [], search: stats }, [
      warning(
        'no_fit_closest',
        `no plan fits in ${(req.job.accelerator.memoryBytes / 1e9).toFixed(0)} GB per device; showing the plan that needs the least memory`,
      ),
    ]);
  }
  return fail(noPlan(req.job, c, s.rejections));
}

/**
 * Why a search found no candidate at all: each distinct rule or search bound that turned candidates
 * down (the most frequent first), or, when none did, that no split of the devices matches the fixed sizes.
 */
export function noPlan(job: TrainJob, c: PlanConstraints, rejections: readonly Rejection[]): IssueData {
  const fixed = (['tensor', 'pipeline', 'context', 'data'] as const).filter((k) => c[k] !== undefined).map((k) => `${k} ${c[k]}`);
  if (rejections.length === 0)
    return {
      code: 'no_plan',
      path: ['parallelism'],
      reason: `no tensor x pipeline x context x data split of system.count (${job.devices}) matches the fixed sizes${fixed.length ? ` (${fixed.join(', ')})` : ''}`,
    };
  const ranked = [...rejections].sort((x, y) => y.candidates - x.candidates);
  const reasons = ranked.slice(0, 4).map((r) => `${formatPath(r.path)}: ${describeIssue({ ...r.issue, path: r.path } as IssueData)}`);
  const more = ranked.length > 4 ? `; and ${ranked.length - 4} more` : '';
  return {
    code: 'no_plan',
    path: ranked[0]!.path,
    reason: `no valid split of ${job.devices} devices${fixed.length ? ` with ${fixed.join(', ')}` : ''}: every candidate breaks a rule or lies outside the search; ${reasons.join('; ')}${more}`,
  };
}

/**
 * The planner's fewest devices that hold a model's states (weights, gradients and optimizer states
 * sharded with ZeRO-3 over data parallelism, nothing else split): the smallest data-parallel size
 * whose evaluated per-device model-state memory fits the device.
 */
export function minimumDevicesForStates(job: TrainJob, limit = 1 << 16): number | null {
  const plan = (n: number): TrainPlan => ({ ...basePlan(), data: n, zero: 3, recompute: 'full' });
  const fitsAt = (n: number) => evaluatePlan({ ...job, devices: n, globalBatchSize: n }, plan(n)).memory.modelStatesBytes <= job.accelerator.memoryBytes;
  if (!fitsAt(limit)) return null;
  let lo = 1;
  let hi = limit;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (fitsAt(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
