import type { PlanContext } from '../context/types.js';
import { IssueError } from '../core/issues.js';
import { readScenario } from '../scenario/load.js';
import { normalizeTraining } from '../scenario/training.js';
import { planTraining } from '../train/plan.js';
import { nodeFiles } from '../context/node-files.js';
import { readCorpus, sourceGroup, type CorpusRow } from './corpus.js';

export interface ValidationRow {
  id: string;
  group: string;
  metric: string;
  measured: number;
  predicted: number | null;
  /** Absolute percentage error, or null when the row cannot be expressed. */
  ape: number | null;
  fits: boolean | null;
  /** Why the row could not be predicted. */
  unsupported?: string;
  plan?: string;
}

export interface ValidationSummary {
  kind: string;
  rows: ValidationRow[];
  predicted: number;
  unsupported: number;
  medianApe: number;
  p90Ape: number;
  meanApe: number;
  within10: number;
  within25: number;
  within50: number;
  notFitting: number;
  groups: { group: string; n: number; medianApe: number; p90Ape: number; bias: number }[];
  /** Serving-engine profiles applied to source groups (inference only). */
  profiles?: { group: string; engine: string; kvCacheWithFp8Weights?: string; source: string }[];
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The number at a dotted path of a report, or null. */
function pick(obj: unknown, path: string): number | null {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return null;
    cur = (cur as Record<string, unknown>)[k];
  }
  return typeof cur === 'number' ? cur : null;
}

/**
 * Scores one corpus row: `predict` plans it and returns the report, whether it fits and a short
 * plan label; the metric is read from the report by its dotted path. A scenario the planner
 * rejects becomes an unsupported row with the reasons.
 */
export function scoreRow(row: CorpusRow, predict: (group: string) => { report: unknown; fits: boolean; plan: string }): ValidationRow {
  const base = { id: row.id, group: sourceGroup(row), metric: row.metric, measured: row.measured };
  try {
    const { report, fits, plan } = predict(base.group);
    const predicted = pick(report, row.metric);
    return { ...base, predicted, ape: predicted === null ? null : (Math.abs(predicted - row.measured) / row.measured) * 100, fits, plan };
  } catch (e) {
    if (!(e instanceof IssueError)) throw e;
    return { ...base, predicted: null, ape: null, fits: null, unsupported: e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  }
}

export function validateTrainingRow(row: CorpusRow, ctx: PlanContext): ValidationRow {
  return scoreRow(row, () => {
    const r = planTraining(normalizeTraining(readScenario(row.file), ctx, nodeFiles), { alternatives: 0 });
    const p = r.parallelism;
    return {
      report: r,
      fits: r.fits,
      plan: `tp${p.tensor} pp${p.pipeline} dp${p.data} cp${p.context} ep${p.expert} vp${p.virtualStages}${p.sequenceParallel ? ' sp' : ''} z${p.zero} mb${r.training.microBatchSize} ${r.training.recompute} ${r.training.precision}`,
    };
  });
}

export function summarize(kind: string, rows: ValidationRow[]): ValidationSummary {
  const apes = rows
    .filter((r) => r.ape !== null)
    .map((r) => r.ape!)
    .sort((a, b) => a - b);
  const groups = new Map<string, ValidationRow[]>();
  for (const r of rows) if (r.ape !== null) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  const frac = (x: number) => apes.filter((a) => a <= x).length / Math.max(apes.length, 1);
  return {
    kind,
    rows,
    predicted: apes.length,
    unsupported: rows.length - apes.length,
    medianApe: percentile(apes, 0.5),
    p90Ape: percentile(apes, 0.9),
    meanApe: apes.reduce((s, x) => s + x, 0) / Math.max(apes.length, 1),
    within10: frac(10),
    within25: frac(25),
    within50: frac(50),
    notFitting: rows.filter((r) => r.fits === false).length,
    groups: [...groups.entries()]
      .map(([group, rs]) => {
        const g = rs.map((r) => r.ape!).sort((a, b) => a - b);
        const ratios = rs.map((r) => r.predicted! / r.measured).sort((a, b) => a - b);
        return { group, n: rs.length, medianApe: percentile(g, 0.5), p90Ape: percentile(g, 0.9), bias: percentile(ratios, 0.5) - 1 };
      })
      .sort((a, b) => a.group.localeCompare(b.group)),
  };
}

export function validateTraining(dir: string, ctx: PlanContext): ValidationSummary {
  return summarize(
    'training',
    readCorpus(dir, 'training').map((r) => validateTrainingRow(r, ctx)),
  );
}
