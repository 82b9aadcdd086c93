/**
 * Serving calibration study (not on the product path): fits the per-generation serving
 * efficiencies and the per-layer step overhead of data/calibration.json to the public
 * inference corpus, and reports leave-one-source-group-out errors.
 * Usage: npx tsx scripts/calibrate-serving.ts [corpusDir] [--cv]
 */
import { calibration, overrideCalibration, type Efficiency } from '../src/cost/calibration.js';
import { corpusDir, readCorpus, type CorpusRow } from '../src/validate/corpus.js';
import { validateInferenceRow } from '../src/validate/inference.js';
import { errorStats, leaveOneGroupOut } from './cv.js';

const args = process.argv.slice(2);
const dir = corpusDir(args.find((a) => !a.startsWith('--')));
const all = readCorpus(dir, 'inference');
const GENS = ['ampere', 'hopper', 'ada'] as const;
type P = { eff: Record<string, Efficiency>; layer: number };

function apply(p: P): void {
  overrideCalibration(null);
  const base = calibration();
  overrideCalibration({ servingEfficiency: { ...base.servingEfficiency, ...p.eff }, servingLayerOverhead: p.layer });
}
function score(rows: CorpusRow[], p: P) {
  apply(p);
  const { median, p90 } = errorStats(rows, validateInferenceRow);
  return { median, p90, obj: Math.max(median / 15, p90 / 35) + 0.01 * (median + p90) };
}
function fit(rows: CorpusRow[], quiet = false): P {
  const d = calibration().servingEfficiency.default!;
  const p: P = { eff: Object.fromEntries(GENS.map((g) => [g, { ...d }])), layer: calibration().servingLayerOverhead };
  const grid = (lo: number, hi: number, st: number) => Array.from({ length: Math.round((hi - lo) / st) + 1 }, (_, i) => +(lo + i * st).toFixed(4));
  let best = score(rows, p).obj;
  for (let pass = 0; pass < 4; pass++) {
    let moved = false;
    for (const v of grid(0, 3e-4, 2e-5)) {
      const old = p.layer;
      p.layer = v;
      const s = score(rows, p).obj;
      if (s < best - 1e-9) [best, moved] = [s, true];
      else p.layer = old;
    }
    for (const g of GENS) {
      for (const k of ['gemmBf16', 'gemmFp8', 'attnFwd'] as const) {
        for (const v of grid(0.3, 0.9, 0.05)) {
          const old = p.eff[g]![k];
          p.eff[g]![k] = v;
          const s = score(rows, p).obj;
          if (s < best - 1e-9) [best, moved] = [s, true];
          else p.eff[g]![k] = old;
        }
      }
    }
    if (!quiet) console.log(`pass ${pass + 1}: objective ${best.toFixed(3)}`, JSON.stringify(p));
    if (!moved) break;
  }
  return p;
}
const fitted = fit(all);
const s = score(all, fitted);
console.log(`in-sample: median ${s.median.toFixed(1)}%, p90 ${s.p90.toFixed(1)}%`);
if (args.includes('--cv')) leaveOneGroupOut(all, (rows) => fit(rows, true), apply, validateInferenceRow);
