import type { PredictedRow } from '../calibrate/crossval.js';
import type { UnsupportedRow } from './probes.js';

/** A validation row: a predicted run, or one Sinan cannot express (`fits` null, `unsupported` says why). */
export interface ValidationRow extends Omit<PredictedRow, 'fits' | 'plan'> {
  fits: boolean | null;
  /** Why the row could not be predicted. */
  unsupported?: string;
  plan?: string;
}

export interface GroupStats {
  group: string;
  n: number;
  medianApe: number;
  p90Ape: number;
  /** Median of predicted / measured - 1. */
  bias: number;
}

export interface ErrorStats {
  predicted: number;
  medianApe: number;
  p90Ape: number;
  meanApe: number;
  within10: number;
  within25: number;
  within50: number;
  groups: GroupStats[];
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function toValidationRow(r: PredictedRow): ValidationRow {
  return { id: r.id, group: r.group, metric: r.metric, measured: r.measured, predicted: r.predicted, ape: r.ape, fits: r.fits, plan: r.plan };
}

export function unsupportedRow(u: UnsupportedRow): ValidationRow {
  return { ...u, predicted: null, ape: null, fits: null };
}

/** Median, p90, mean and coverage of the absolute errors, overall and by source group. */
export function errorStats(rows: ValidationRow[]): ErrorStats {
  const scored = rows.filter((r) => r.ape !== null);
  const apes = scored.map((r) => r.ape!).sort((a, b) => a - b);
  const frac = (x: number) => apes.filter((a) => a <= x).length / Math.max(apes.length, 1);
  const groups = new Map<string, ValidationRow[]>();
  for (const r of scored) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  return {
    predicted: apes.length,
    medianApe: percentile(apes, 0.5),
    p90Ape: percentile(apes, 0.9),
    meanApe: apes.reduce((s, x) => s + x, 0) / Math.max(apes.length, 1),
    within10: frac(10),
    within25: frac(25),
    within50: frac(50),
    groups: [...groups.entries()]
      .map(([group, rs]) => {
        const g = rs.map((r) => r.ape!).sort((a, b) => a - b);
        const ratios = rs.map((r) => r.predicted! / r.measured).sort((a, b) => a - b);
        return { group, n: rs.length, medianApe: percentile(g, 0.5), p90Ape: percentile(g, 0.9), bias: percentile(ratios, 0.5) - 1 };
      })
      .sort((a, b) => a.group.localeCompare(b.group)),
  };
}
