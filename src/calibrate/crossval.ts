import type { Calibration } from '../cost/calibration.js';
import { fitConstants, type FitOptions, type FitResult } from './fit.js';
import type { Probe } from './probe.js';

/** One run predicted by a calibration: the plan searched under it and the error against the measurement. */
export interface PredictedRow {
  id: string;
  group: string;
  metric: string;
  measured: number;
  predicted: number | null;
  /** Absolute percentage error, or null when the planner gives no number. */
  ape: number | null;
  fits: boolean;
  plan: string;
}

export function predictRow(p: Probe, cal: Calibration): PredictedRow {
  const r = p.plan(cal);
  return {
    id: p.id,
    group: p.group,
    metric: p.metric,
    measured: p.measured,
    predicted: r.value,
    ape: r.value === null ? null : (Math.abs(r.value - p.measured) / p.measured) * 100,
    fits: r.fits,
    plan: r.label,
  };
}

export interface CrossValidation {
  /** Every run predicted by a fit that never saw its source group. */
  rows: PredictedRow[];
  /** The fit made without each group. */
  folds: { heldOut: string; fit: FitResult }[];
}

/**
 * Leave-one-source-group-out: for each group, fit on the others (from `o.start`, which must not
 * have seen the held-out group: the priors, not a calibration fitted to everything), then plan
 * the held-out runs, search included, under that fit.
 */
export function leaveOneGroupOut(probes: Probe[], o: FitOptions): CrossValidation {
  const groups = [...new Set(probes.map((p) => p.group))];
  const rows: PredictedRow[] = [];
  const folds: CrossValidation['folds'] = [];
  for (const g of groups) {
    const train = probes.filter((p) => p.group !== g);
    const fit = fitConstants(train, { ...o, name: `${o.name ?? 'fit'} without ${g}` });
    folds.push({ heldOut: g, fit });
    for (const p of probes) if (p.group === g) rows.push(predictRow(p, fit.calibration));
  }
  const order = new Map(probes.map((p, i) => [p.id, i]));
  rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return { rows, folds };
}
