/**
 * Refits the built-in calibration (the constants data/calibration.json marks FITTED) to the public
 * corpus, from their unfitted priors, with the library's fitter (src/calibrate), and prints the
 * values, the in-sample and the leave-one-source-group-out errors. Not on the product path: the
 * shipped values are what this prints. Usage: npx tsx scripts/calibrate.ts [corpusDir] [--kind training|inference]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadContext } from '../src/context/load.js';
import { dataPath } from '../src/util/data.js';
import { ATTN_BWD_RATIO, fitConstants, fitParams, leaveOneGroupOut, predictRow, priorCalibration } from '../src/calibrate/index.js';
import { corpusDir } from '../src/validate/corpus.js';
import { corpusProbes } from '../src/validate/probes.js';
import { errorStats, toValidationRow } from '../src/validate/summary.js';

const args = process.argv.slice(2);
const kindAt = args.indexOf('--kind');
const dir = corpusDir(args.find((a, i) => !a.startsWith('--') && i !== kindAt + 1));
const kinds = kindAt >= 0 ? [args[kindAt + 1] as 'training' | 'inference'] : (['training', 'inference'] as const);
const ctx = loadContext();
const params = fitParams();
const start = priorCalibration(ctx.calibration, params);
const write = args.includes('--write');
const file = dataPath('calibration.json');
const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, { value: unknown; source: string; fitted?: boolean }>>;
for (const kind of kinds) {
  const t0 = Date.now();
  const { probes } = corpusProbes(dir, kind, ctx);
  const fit = fitConstants(probes, { params, start, name: 'built-in' });
  const t1 = Date.now();
  const ins = errorStats(probes.map((p) => toValidationRow(predictRow(p, fit.calibration))));
  console.log(`== ${kind}: ${probes.length} rows; fit ${((t1 - t0) / 1000).toFixed(1)} s; loss ${fit.loss.start.toFixed(4)} -> ${fit.loss.end.toFixed(4)}`);
  for (const p of fit.params)
    if (p.rows)
      console.log(`  ${p.key} = ${+p.value.toPrecision(4)} (prior ${+p.start.toPrecision(4)}, ${p.rows} rows${p.identified ? '' : ', NOT identified'})`);
  for (const w of fit.warnings) console.log(`  warning: ${w}`);
  console.log(`  in-sample: median ${ins.medianApe.toFixed(1)}%, p90 ${ins.p90Ape.toFixed(1)}%`);
  if (write) {
    // the shipped values are this fit's, each with what it was fitted to
    const groups = [...new Set(probes.map((p) => p.group))].join(', ');
    for (const p of fit.params) {
      if (!p.identified) continue;
      const rows = probes.filter((r) => params.find((q) => q.key === p.key)!.affects(r)).length;
      const what = `FITTED (scripts/calibrate.ts, src/calibrate) from its prior to the ${rows} ${kind} rows of the public corpus it moves (${groups}); robust loss, leave-one-source-group-out errors in sinan validate`;
      const g = /^efficiency\.(\w+)\.gemm$/.exec(p.key);
      const m = /^efficiency\.(\w+)\.(\w+)$/.exec(p.key);
      if (g) {
        const e = raw.efficiency![g[1]!]!;
        const v = e.value as Record<string, number>;
        const pr = (e as unknown as { prior: Record<string, number> }).prior;
        v.gemmBf16 = +p.value.toPrecision(4);
        v.gemmFp8 = +((p.value * pr.gemmFp8!) / pr.gemmBf16!).toPrecision(4);
        e.source = what;
        e.fitted = true;
      } else if (m) {
        const e = raw.efficiency![m[1]!]!;
        const v = e.value as Record<string, number>;
        v[m[2]!] = +p.value.toPrecision(4);
        if (m[2] === 'attnFwd') v.attnBwd = +(p.value * ATTN_BWD_RATIO).toPrecision(4);
        e.source = what;
        e.fitted = true;
      } else if (p.key === 'allToAllFraction') {
        raw.collectives!.allToAllFraction = { ...raw.collectives!.allToAllFraction!, value: +p.value.toPrecision(4), source: what, fitted: true };
      } else if (p.key === 'servingPrefillLayerOverhead') {
        raw.serving!.prefillLayerOverheadSeconds = { ...raw.serving!.prefillLayerOverheadSeconds!, value: +p.value.toPrecision(4), source: what, fitted: true };
      }
    }
  }
  const cv = leaveOneGroupOut(probes, { params, start, name: 'cv' });
  const oos = errorStats(cv.rows.map(toValidationRow));
  console.log(`  out of sample: median ${oos.medianApe.toFixed(1)}%, p90 ${oos.p90Ape.toFixed(1)}% (${((Date.now() - t1) / 1000).toFixed(1)} s)`);
  if (write) writeFileSync(file, JSON.stringify(raw, null, 2) + '\n');
  for (const g of oos.groups)
    console.log(
      `    ${g.group.padEnd(42)} n=${String(g.n).padStart(3)} median ${g.medianApe.toFixed(1).padStart(5)}% p90 ${g.p90Ape.toFixed(1).padStart(5)}% bias ${(g.bias * 100).toFixed(0)}%`,
    );
}
