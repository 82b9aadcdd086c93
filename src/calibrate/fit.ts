import type { Calibration } from '../cost/calibration.js';
import { applyParams, type FitParam } from './params.js';
import type { Probe } from './probe.js';

/**
 * Fits a few bounded constants to measured runs with a robust loss: the mean Huber loss of the
 * log ratio predicted / measured (errors beyond `delta` count linearly, so one odd run cannot pull
 * a constant far), plus a weak pull toward the starting values so a constant the data cannot
 * move stays where it was. Coordinate descent: for each constant a grid over its bounds, then a
 * golden-section refinement around the best grid point, re-pricing only the runs that constant
 * moves. The plans are re-searched between rounds (a split search may choose differently once the
 * constants change).
 */

export interface FitOptions {
  params: FitParam[];
  start: Calibration;
  name?: string;
  /** Rounds of (re-search plans, fit); default 2. */
  rounds?: number;
  /** Huber threshold on |ln(predicted / measured)|; default 0.15 (about 16%). */
  delta?: number;
  /** Weight of the pull toward the start values, per unit of a constant's range squared; default 1e-3. */
  priorWeight?: number;
  /** Fewest runs a constant must move to be fitted; default 3. */
  minRows?: number;
  passes?: number;
  grid?: number;
}

export interface ParamFit {
  key: string;
  what: string;
  start: number;
  value: number;
  /** Runs the constant moves. */
  rows: number;
  /** False when the data could not identify it (too few runs move it, or the loss is flat): it keeps its start value. */
  identified: boolean;
}

export interface FitResult {
  calibration: Calibration;
  params: ParamFit[];
  /** Mean robust loss over the runs, at the start and at the end. */
  loss: { start: number; end: number };
  warnings: string[];
}

export function huber(x: number, delta: number): number {
  const a = Math.abs(x);
  return a <= delta ? (0.5 * a * a) / delta : a - 0.5 * delta;
}

/** Loss term of one run: Huber of the log ratio (a run the planner cannot predict costs as much as a 2x error). */
function term(pred: number | null, measured: number, delta: number): number {
  if (pred === null || !(pred > 0)) return huber(Math.log(2), delta);
  return huber(Math.log(pred / measured), delta);
}

export function fitConstants(probes: Probe[], o: FitOptions): FitResult {
  const delta = o.delta ?? 0.15;
  const wPrior = o.priorWeight ?? 1e-3;
  const minRows = o.minRows ?? 3;
  const passes = o.passes ?? 3;
  const gridN = o.grid ?? 11;
  const params = o.params;
  const start = params.map((p) => p.get(o.start));
  const values = [...start];
  const name = o.name ?? 'fitted';
  const affected = params.map((p) => probes.map((r, i) => (p.affects(r) ? i : -1)).filter((i) => i >= 0));
  const warnings: string[] = [];
  const identified = params.map((_, i) => affected[i]!.length >= minRows);
  const prior = (i: number, v: number) => wPrior * ((v - start[i]!) / (params[i]!.hi - params[i]!.lo)) ** 2;

  let cal = applyParams(o.start, params, values, name);
  for (const r of probes) r.replan(cal);
  const terms = probes.map((r) => term(r.predict(cal), r.measured, delta));
  const total = () => terms.reduce((s, x) => s + x, 0);
  const lossStart = total() / Math.max(probes.length, 1);

  const rounds = o.rounds ?? 2;
  for (let round = 0; round < rounds; round++) {
    if (round > 0) {
      for (const r of probes) r.replan(cal);
      probes.forEach((r, i) => (terms[i] = term(r.predict(cal), r.measured, delta)));
    }
    for (let pass = 0; pass < passes; pass++) {
      let moved = false;
      for (let i = 0; i < params.length; i++) {
        if (!identified[i]) continue;
        const p = params[i]!;
        const idx = affected[i]!;
        const old = idx.reduce((s, j) => s + terms[j]!, 0);
        const evalAt = (v: number) => {
          const c = p.set(cal, v);
          let s = 0;
          for (const j of idx) s += term(probes[j]!.predict(c), probes[j]!.measured, delta);
          return s + prior(i, v);
        };
        const cur = old + prior(i, values[i]!);
        // grid, then golden section around the best point
        let bestV = values[i]!;
        let best = cur;
        const seen: number[] = [];
        for (let g = 0; g < gridN; g++) {
          const v = p.lo + ((p.hi - p.lo) * g) / (gridN - 1);
          const f = evalAt(v);
          seen.push(f);
          if (f < best - 1e-12) {
            best = f;
            bestV = v;
          }
        }
        const step = (p.hi - p.lo) / (gridN - 1);
        let a = Math.max(p.lo, bestV - step);
        let b = Math.min(p.hi, bestV + step);
        const phi = (Math.sqrt(5) - 1) / 2;
        let x1 = b - phi * (b - a);
        let x2 = a + phi * (b - a);
        let f1 = evalAt(x1);
        let f2 = evalAt(x2);
        for (let it = 0; it < 20; it++) {
          if (f1 < f2) {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - phi * (b - a);
            f1 = evalAt(x1);
          } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + phi * (b - a);
            f2 = evalAt(x2);
          }
        }
        const xg = f1 < f2 ? x1 : x2;
        const fg = Math.min(f1, f2);
        if (fg < best) {
          best = fg;
          bestV = xg;
        }
        if (pass === 0 && round === 0 && Math.max(...seen) - Math.min(...seen) < 1e-6 * idx.length) {
          identified[i] = false;
          continue;
        }
        if (best < cur - 1e-9) {
          values[i] = bestV;
          cal = p.set(cal, bestV);
          for (const j of idx) terms[j] = term(probes[j]!.predict(cal), probes[j]!.measured, delta);
          moved = true;
        }
      }
      if (!moved) break;
    }
  }
  params.forEach((p, i) => {
    if (!identified[i])
      warnings.push(
        affected[i]!.length < minRows
          ? `${p.key}: not fitted: only ${affected[i]!.length} of the runs depend on it (${minRows} needed); it keeps ${fmt(start[i]!)}`
          : `${p.key}: not fitted: the runs do not constrain it (the loss is flat over its range); it keeps ${fmt(start[i]!)}`,
      );
  });
  cal = applyParams(o.start, params, values, name);
  return {
    calibration: cal,
    params: params.map((p, i) => ({ key: p.key, what: p.what, start: start[i]!, value: values[i]!, rows: affected[i]!.length, identified: identified[i]! })),
    loss: { start: lossStart, end: total() / Math.max(probes.length, 1) },
    warnings,
  };
}

const fmt = (v: number) => (Math.abs(v) < 1e-2 ? v.toExponential(2) : v.toFixed(3));
