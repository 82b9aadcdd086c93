import { readScenario } from '../scenario/load.js';
import { normalizeInference } from '../scenario/inference.js';
import { planServe } from '../serve/search.js';
import { ScenarioError } from '../util/issues.js';
import { readCorpus, sourceGroup, type CorpusRow } from './corpus.js';
import { summarize, type ValidationRow, type ValidationSummary } from './training.js';

function pick(obj: unknown, path: string): number | null {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return null;
    cur = (cur as Record<string, unknown>)[k];
  }
  return typeof cur === 'number' ? cur : null;
}

export function validateInferenceRow(row: CorpusRow): ValidationRow {
  const base = { id: row.id, group: sourceGroup(row), metric: row.metric, measured: row.measured };
  try {
    const n = normalizeInference(readScenario(row.file));
    const r = planServe(n.job, n.constraints);
    const predicted = pick(r, row.metric);
    const p = r.parallelism;
    return {
      ...base,
      predicted,
      ape: predicted === null ? null : (Math.abs(predicted - row.measured) / row.measured) * 100,
      fits: r.fits,
      plan: `tp${p.tensor} pp${p.pipeline} ep${p.expert} ${r.quantization.weights}/${r.quantization.kvCache} c${r.workload.concurrency}`,
    };
  } catch (e) {
    const why = e instanceof ScenarioError ? e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (e as Error).message;
    return { ...base, predicted: null, ape: null, fits: null, unsupported: why };
  }
}

export function validateInference(dir: string): ValidationSummary {
  return summarize('inference', readCorpus(dir, 'inference').map(validateInferenceRow));
}
