/**
 * Shared pieces of the calibration studies (scripts/calibrate.ts, scripts/calibrate-serving.ts):
 * error statistics over corpus rows, and leave-one-source-group-out cross-validation.
 */
import { sourceGroup, type CorpusRow } from '../src/validate/corpus.js';
import { percentile, type ValidationRow } from '../src/validate/training.js';

type Validate = (row: CorpusRow) => ValidationRow;

/** Median and 90th-percentile absolute error of the rows that can be predicted. */
export function errorStats(rows: CorpusRow[], validate: Validate): { median: number; p90: number } {
  const apes = rows
    .map((r) => validate(r).ape)
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);
  return { median: percentile(apes, 0.5), p90: percentile(apes, 0.9) };
}

/** Refits without each source group in turn, predicts that group, and prints the held-out errors. */
export function leaveOneGroupOut<P>(all: CorpusRow[], fit: (rows: CorpusRow[]) => P, apply: (p: P) => void, validate: Validate): void {
  const groups = [...new Set(all.map(sourceGroup))];
  const held: number[] = [];
  for (const g of groups) {
    apply(fit(all.filter((r) => sourceGroup(r) !== g)));
    const h = all
      .filter((r) => sourceGroup(r) === g)
      .map((r) => validate(r).ape)
      .filter((x): x is number => x !== null);
    held.push(...h);
    console.log(
      `held out ${g} (${h.length} rows): median ${percentile(
        [...h].sort((a, b) => a - b),
        0.5,
      ).toFixed(1)}%`,
    );
  }
  held.sort((a, b) => a - b);
  console.log(`leave-one-source-group-out: median ${percentile(held, 0.5).toFixed(1)}%, p90 ${percentile(held, 0.9).toFixed(1)}%`);
}
