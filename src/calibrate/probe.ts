import type { Calibration } from '../cost/calibration.js';
import { generationOf } from '../cost/calibration.js';
import { planServe } from '../serve/plan.js';
import { evaluateServe } from '../serve/report.js';
import { engineFor } from '../serve/offload.js';
import type { ServeRequest, ServeSplit } from '../serve/types.js';
import { planTraining, type TrainRequest } from '../train/plan.js';
import { evaluatePlan } from '../train/report.js';
import type { TrainPlan } from '../train/types.js';

/**
 * One measured run as the fitter sees it: what was measured, and how the planner predicts it
 * under any calibration. `predict` re-prices the plan found by the last `replan` (fast: no
 * search), `replan` searches again (the plan a split search picks can change with the constants).
 */
export interface Probe {
  id: string;
  /** The source group (rows of one group are held out together in cross-validation). */
  group: string;
  metric: string;
  measured: number;
  kind: 'training' | 'inference';
  /** Hardware generation of the run ('ampere', 'hopper', ...): which constants can move it. */
  generation: string;
  /** Whether the model has mixture-of-experts layers. */
  moe: boolean;
  predict(cal: Calibration): number | null;
  replan(cal: Calibration): void;
  /** Full plan (search included) under a calibration: the honest prediction of a held-out row. */
  plan(cal: Calibration): { value: number | null; fits: boolean; label: string };
}

/** The number at a dotted path of a report, or null. */
export function pick(obj: unknown, path: string): number | null {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return null;
    cur = (cur as Record<string, unknown>)[k];
  }
  return typeof cur === 'number' && Number.isFinite(cur) ? cur : null;
}

const trainLabel = (p: TrainPlan) =>
  `tp${p.tensor} pp${p.pipeline} dp${p.data} cp${p.context} ep${p.expert} vp${p.virtualStages}${p.sequenceParallel ? ' sp' : ''} z${p.zero} mb${p.microBatchSize} ${p.recompute} ${p.precision}`;

function planOf(r: ReturnType<typeof planTraining>): TrainPlan {
  return {
    ...r.parallelism,
    microBatchSize: r.training.microBatchSize,
    recompute: r.training.recompute,
    recomputeLayers: r.training.recomputeLayers ?? 0,
    offloadLayers: r.training.activationOffloadLayers ?? 0,
    precision: r.training.precision,
  } as TrainPlan;
}

export function trainingProbe(id: string, group: string, metric: string, measured: number, req: TrainRequest): Probe {
  const withCal = (cal: Calibration): TrainRequest => ({ ...req, job: { ...req.job, cal } });
  let plan: TrainPlan | null = null;
  const probe: Probe = {
    id,
    group,
    metric,
    measured,
    kind: 'training',
    generation: generationOf(req.job.accelerator.architecture),
    moe: req.job.model.moe !== null,
    replan(cal) {
      plan = planOf(planTraining(withCal(cal), { alternatives: 0 }));
    },
    predict(cal) {
      if (!plan) probe.replan(cal);
      return pick(evaluatePlan(withCal(cal).job, plan!), metric);
    },
    plan(cal) {
      const r = planTraining(withCal(cal), { alternatives: 0 });
      return { value: pick(r, metric), fits: r.fits, label: trainLabel(planOf(r)) };
    },
  };
  return probe;
}

export function inferenceProbe(id: string, group: string, metric: string, measured: number, req: ServeRequest): Probe {
  const withCal = (cal: Calibration): ServeRequest => ({ ...req, job: { ...req.job, cal } });
  let split: ServeSplit | null = null;
  const probe: Probe = {
    id,
    group,
    metric,
    measured,
    kind: 'inference',
    generation: req.job.cpu ? 'cpu' : generationOf(req.job.accelerator!.architecture),
    moe: req.job.model.moe !== null,
    replan(cal) {
      split = planServe(withCal(cal), { alternatives: 0 }).parallelism;
    },
    predict(cal) {
      if (!split) probe.replan(cal);
      return pick(evaluateServe(engineFor(withCal(cal).job, split!)), metric);
    },
    plan(cal) {
      const r = planServe(withCal(cal), { alternatives: 0 });
      const p = r.parallelism;
      return {
        value: pick(r, metric),
        fits: r.fits,
        label: `tp${p.tensor} pp${p.pipeline} ep${p.expert} ${r.quantization.weights}/${r.quantization.kvCache} c${r.workload.concurrency}`,
      };
    },
  };
  return probe;
}
