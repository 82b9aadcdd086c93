/**
 * Calibration study (not on the product path): fits the per-generation efficiencies of
 * data/calibration.json (bf16 GEMM, fp8 GEMM, attention) to the public training corpus by
 * coordinate descent, and reports leave-one-source-group-out errors so the fit can be
 * judged on rows it did not see. Usage: npx tsx scripts/calibrate.ts [corpusDir] [--cv]
 */
import { loadContext } from '../src/context/load.js';
import { withOverrides, type Efficiency } from '../src/cost/calibration.js';
import { corpusDir, readCorpus, type CorpusRow } from '../src/validate/corpus.js';
import { validateTrainingRow } from '../src/validate/training.js';
import { errorStats, leaveOneGroupOut } from './cv.js';

const args = process.argv.slice(2);
const dir = corpusDir(args.find((a) => !a.startsWith('--')));
const all = readCorpus(dir, 'training');
const GENS = ['ampere', 'hopper', 'blackwell'] as const;
type Params = Record<(typeof GENS)[number], Efficiency>;
const BWD_RATIO = 0.7; // attention backward efficiency relative to forward (FlashAttention-2/3 papers)

const base = loadContext();
let ctx = base;

function apply(p: Params): void {
  const eff = { ...base.calibration.efficiency };
  for (const g of GENS) eff[g] = { ...eff[g]!, value: p[g] };
  ctx = { ...base, calibration: withOverrides(base.calibration, { efficiency: eff }, 'study') };
}

const validate = (r: CorpusRow) => validateTrainingRow(r, ctx);

function score(rows: CorpusRow[], p: Params): { median: number; p90: number; obj: number } {
  apply(p);
  const { median, p90 } = errorStats(rows, validate);
  // minimax against the targets (median 10%, p90 25%), ties broken by their sum
  return { median, p90, obj: Math.max(median / 10, p90 / 25) + 0.01 * (median + p90) };
}

function fit(rows: CorpusRow[], quiet = false): Params {
  const start = base.calibration.efficiency;
  const p = Object.fromEntries(GENS.map((g) => [g, { ...(start[g] ?? start.default!).value }])) as Params;
  const grid = (lo: number, hi: number, step: number) => Array.from({ length: Math.round((hi - lo) / step) + 1 }, (_, i) => +(lo + i * step).toFixed(3));
  const knobs: [(typeof GENS)[number], 'gemmBf16' | 'gemmFp8' | 'attnFwd', number[]][] = [];
  for (const g of GENS) {
    knobs.push([g, 'gemmBf16', grid(0.45, 0.85, 0.025)]);
    if (g !== 'ampere') knobs.push([g, 'gemmFp8', grid(0.3, 0.75, 0.025)]);
    knobs.push([g, 'attnFwd', grid(0.2, 0.8, 0.05)]);
  }
  let best = score(rows, p).obj;
  for (let pass = 0; pass < 6; pass++) {
    let moved = false;
    for (const [g, k, values] of knobs) {
      for (const v of values) {
        const old = p[g][k];
        p[g][k] = v;
        if (k === 'attnFwd') p[g].attnBwd = +(v * BWD_RATIO).toFixed(3);
        const s = score(rows, p).obj;
        if (s < best - 1e-9) {
          best = s;
          moved = true;
        } else {
          p[g][k] = old;
          if (k === 'attnFwd') p[g].attnBwd = +(old * BWD_RATIO).toFixed(3);
        }
      }
    }
    if (!quiet) console.log(`pass ${pass + 1}: objective ${best.toFixed(2)}`, JSON.stringify(p));
    if (!moved) break;
  }
  return p;
}

const fitted = fit(all);
const s = score(all, fitted);
console.log(`in-sample: median ${s.median.toFixed(1)}%, p90 ${s.p90.toFixed(1)}%`);
console.log(JSON.stringify(fitted, null, 1));

if (args.includes('--cv')) leaveOneGroupOut(all, (rows) => fit(rows, true), apply, validate);
