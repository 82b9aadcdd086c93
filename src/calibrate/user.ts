import type { Calibration, Efficiency } from '../cost/calibration.js';
import type { CalibrationProfileFile } from '../cost/calibration-profile.js';
import { predictRow, type PredictedRow } from './crossval.js';
import { fitConstants, type FitResult } from './fit.js';
import { fitParams, type FitParam } from './params.js';
import type { Probe } from './probe.js';

/**
 * `sinan calibrate`: fits the few physical constants a user's own measured runs can identify,
 * starting from the built-in calibration, and writes them as a profile that scenarios name
 * (`calibration: ./my-cluster.json`). The built-in calibration is never changed. The same fitter
 * as the built-in calibration's (fit.ts); errors before and after, and cross-validated (each run
 * predicted by a fit that did not see it, or its group).
 */

/** Serving constants a user's inference runs can move: the GEMM fraction of their hardware generation, achieved memory bandwidth, host overheads. */
function servingGemmParam(gen: string): FitParam {
  return {
    key: `servingEfficiency.${gen}.gemm`,
    what: `serving GEMM fraction of peak on ${gen} (fp8 in the ratio of the microbenchmark ceilings)`,
    lo: 0.2,
    hi: 0.95,
    get: (c) => (c.servingEfficiency[gen] ?? c.servingEfficiency.default!).value.gemmBf16,
    set: (c, v) => {
      const prev = c.servingEfficiency[gen] ?? { ...c.servingEfficiency.default!, generation: gen };
      const d = c.servingEfficiency.default!.value;
      const value: Efficiency = { ...prev.value, gemmBf16: v, gemmFp8: (v * d.gemmFp8) / d.gemmBf16 };
      return { ...c, servingEfficiency: { ...c.servingEfficiency, [gen]: { ...prev, generation: gen, value, fitted: true } } };
    },
    affects: (p) => p.kind === 'inference' && p.generation === gen,
  };
}

const scalar = (key: keyof Calibration & string, what: string, lo: number, hi: number, affects: (p: Probe) => boolean): FitParam => ({
  key,
  what,
  lo,
  hi,
  get: (c) => c[key] as number,
  set: (c, v) => ({ ...c, [key]: v }),
  affects,
});

/** Every constant `sinan calibrate` may fit for runs of this kind. */
export function userFitParams(kind: 'training' | 'inference'): FitParam[] {
  if (kind === 'training') return fitParams().filter((p) => p.key !== 'servingPrefillLayerOverhead');
  return [
    ...['ampere', 'hopper', 'blackwell', 'ada'].map(servingGemmParam),
    scalar('memFraction', 'achieved fraction of peak memory bandwidth in memory-bound kernels', 0.4, 0.98, (p) => p.kind === 'inference'),
    scalar(
      'servingPrefillLayerOverhead',
      'host time per layer of an eagerly launched prefill step, seconds',
      0,
      1e-3,
      (p) => p.kind === 'inference' && p.metric.startsWith('latency.ttft'),
    ),
    scalar('servingStepOverhead', 'host time per engine step (scheduling, sampling, launch), seconds', 0, 5e-3, (p) => p.kind === 'inference'),
  ];
}

export interface ErrorSummary {
  rows: number;
  medianApe: number;
  p90Ape: number;
}

export interface CalibrationOutcome {
  profile: CalibrationProfileFile;
  fit: FitResult;
  before: ErrorSummary;
  after: ErrorSummary;
  /** Each run predicted by a fit that never saw it (its group, when the runs name groups). */
  crossValidated: ErrorSummary & { folds: number; by: 'group' | 'run' };
  rows: {
    id: string;
    group: string;
    metric: string;
    measured: number;
    predictedBefore: number | null;
    predictedAfter: number | null;
    predictedHeldOut: number | null;
  }[];
  warnings: string[];
}

function summary(rows: PredictedRow[]): ErrorSummary {
  const apes = rows
    .map((r) => r.ape)
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);
  const q = (f: number) => {
    if (!apes.length) return NaN;
    const pos = (apes.length - 1) * f;
    const lo = Math.floor(pos);
    return apes[lo]! + (apes[Math.ceil(pos)]! - apes[lo]!) * (pos - lo);
  };
  return { rows: apes.length, medianApe: q(0.5), p90Ape: q(0.9) };
}

/** The profile file: each identified constant that moved, with what it was fitted to. */
function profileOf(
  name: string,
  fit: FitResult,
  base: Calibration,
  fittedTo: string,
  rows: CalibrationOutcome['rows'],
  extra: Record<string, unknown>,
): CalibrationProfileFile {
  const p: CalibrationProfileFile = { kind: 'sinan-calibration', version: 1, name };
  const c = fit.calibration;
  for (const f of fit.params) {
    if (!f.identified || Math.abs(f.value - f.start) <= 1e-12 * Math.max(1, Math.abs(f.start))) continue;
    const eff = /^(efficiency|servingEfficiency)\.(\w+)\.(gemm|attnFwd)$/.exec(f.key);
    if (eff) {
      const group = eff[1] as 'efficiency' | 'servingEfficiency';
      const gen = eff[2]!;
      const v = (c[group][gen] ?? c[group].default!).value;
      const entry = (p[group] ??= {});
      entry[gen] = {
        ...entry[gen],
        ...(eff[3] === 'gemm' ? { gemmBf16: v.gemmBf16, gemmFp8: v.gemmFp8 } : { attnFwd: v.attnFwd, attnBwd: v.attnBwd }),
        fittedTo,
      };
    } else (p.constants ??= {})[f.key] = f.value;
  }
  p.fit = { ...extra, params: fit.params, warnings: fit.warnings, base: base.name, rows };
  return p;
}

export function calibrateRuns(probes: Probe[], base: Calibration, o: { name: string; kind: 'training' | 'inference'; fittedTo?: string }): CalibrationOutcome {
  if (probes.length === 0) throw new RangeError('no runs to calibrate on');
  const params = userFitParams(o.kind);
  const fit = fitConstants(probes, { params, start: base, name: o.name, passes: 20 });
  const before = probes.map((p) => predictRow(p, base));
  const after = probes.map((p) => predictRow(p, fit.calibration));
  // cross-validation: by group when the runs name two or more, else up to ten folds of single runs
  const groups = [...new Set(probes.map((p) => p.group))];
  const by: 'group' | 'run' = groups.length >= 2 ? 'group' : 'run';
  const foldOf = new Map<string, number>();
  const k = by === 'group' ? groups.length : Math.min(10, probes.length);
  probes.forEach((p, i) => foldOf.set(p.id, by === 'group' ? groups.indexOf(p.group) : i % k));
  const held = new Map<string, PredictedRow>();
  if (probes.length >= 2)
    for (let f = 0; f < k; f++) {
      const train = probes.filter((p) => foldOf.get(p.id) !== f);
      const test = probes.filter((p) => foldOf.get(p.id) === f);
      if (!train.length || !test.length) continue;
      const cv = fitConstants(train, { params, start: base, name: `${o.name} (fold ${f + 1})`, rounds: 1 });
      for (const p of test) held.set(p.id, predictRow(p, cv.calibration));
    }
  const rows = probes.map((p, i) => ({
    id: p.id,
    group: p.group,
    metric: p.metric,
    measured: p.measured,
    predictedBefore: before[i]!.predicted,
    predictedAfter: after[i]!.predicted,
    predictedHeldOut: held.get(p.id)?.predicted ?? null,
  }));
  const sBefore = summary(before);
  const sAfter = summary(after);
  const sHeld = { ...summary([...held.values()]), folds: k, by };
  const warnings = [...fit.warnings];
  if (probes.length < 2) warnings.push('one run: the fit cannot be cross-validated');
  if (sHeld.rows && sHeld.medianApe > sBefore.medianApe)
    warnings.push('cross-validated error is worse than the built-in calibration: the fit does not generalise across these runs');
  const fittedTo = o.fittedTo ?? `${probes.length} measured ${o.kind} runs`;
  return {
    profile: profileOf(o.name, fit, base, fittedTo, rows, { before: sBefore, after: sAfter, crossValidated: sHeld }),
    fit,
    before: sBefore,
    after: sAfter,
    crossValidated: sHeld,
    rows,
    warnings,
  };
}
