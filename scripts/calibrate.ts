/**
 * Calibration study (not part of the product path): evaluates the public training corpus
 * under a grid of GEMM efficiencies and prints median / p90 error, in-sample and
 * leave-one-source-group-out. Usage: npx tsx scripts/calibrate.ts [corpusDir]
 */
import { overrideCalibration } from '../src/cost/calibration.js';
import { corpusDir, readCorpus, sourceGroup } from '../src/validate/corpus.js';
import { percentile, validateTrainingRow } from '../src/validate/training.js';

const dir = corpusDir(process.argv[2]);
const rows = readCorpus(dir, 'training');
const bf = (process.env.BF16 ?? '0.6,0.65,0.7,0.75,0.8').split(',').map(Number);
const f8 = (process.env.FP8 ?? '0.45,0.5,0.55,0.6').split(',').map(Number);
const results: { bf16: number; fp8: number; apes: Map<string, { ape: number; group: string }> }[] = [];
for (const b of bf) {
  for (const f of f8) {
    overrideCalibration({ gemmFraction: { bf16: b, fp16: b, fp8: f, fp32: b, tf32: b } });
    const apes = new Map<string, { ape: number; group: string }>();
    for (const r of rows) {
      const v = validateTrainingRow(r);
      if (v.ape !== null) apes.set(r.id, { ape: v.ape, group: sourceGroup(r) });
    }
    const all = [...apes.values()].map((x) => x.ape).sort((x, y) => x - y);
    console.log(`bf16 ${b} fp8 ${f}: median ${percentile(all, 0.5).toFixed(1)} p90 ${percentile(all, 0.9).toFixed(1)}`);
    results.push({ bf16: b, fp8: f, apes });
  }
}
// leave one source group out: choose constants on the other groups, score the held-out group
const groups = [...new Set(rows.map(sourceGroup))];
const held: number[] = [];
for (const g of groups) {
  let best = results[0]!;
  let bestScore = Infinity;
  for (const r of results) {
    const a = [...r.apes.values()]
      .filter((x) => x.group !== g)
      .map((x) => x.ape)
      .sort((x, y) => x - y);
    const s = percentile(a, 0.5);
    if (s < bestScore) [best, bestScore] = [r, s];
  }
  const h = [...best.apes.values()].filter((x) => x.group === g).map((x) => x.ape);
  held.push(...h);
  console.log(
    `held out ${g}: chosen bf16 ${best.bf16} fp8 ${best.fp8}; held-out median ${percentile(
      h.sort((x, y) => x - y),
      0.5,
    ).toFixed(1)}`,
  );
}
held.sort((x, y) => x - y);
console.log(`leave-one-group-out: median ${percentile(held, 0.5).toFixed(1)} p90 ${percentile(held, 0.9).toFixed(1)}`);
