import { readScenario } from '../scenario/load.js';
import { normalizeInference } from '../scenario/inference.js';
import { planServe } from '../serve/search.js';
import { readDataJson } from '../util/data.js';
import type { EngineProfile } from '../serve/types.js';
import { readCorpus, type CorpusRow } from './corpus.js';
import { scoreRow, summarize, type ValidationRow, type ValidationSummary } from './training.js';

export interface EngineProfileEntry {
  group: string;
  engine: Partial<EngineProfile>;
  /** KV-cache format the group's engines used with FP8 weights, where a scenario leaves kvCache out. */
  kvCacheWithFp8Weights?: 'fp8';
  source: string;
}

/** The serving-engine profile of each source group (data/validation-engines.json). */
export function engineProfiles(): EngineProfileEntry[] {
  return readDataJson<{ profiles: EngineProfileEntry[] }>('validation-engines.json').profiles;
}

export function validateInferenceRow(row: CorpusRow, useProfiles = true): ValidationRow {
  return scoreRow(row, (group) => {
    const raw = readScenario(row.file);
    const n = normalizeInference(raw);
    // the engine that measured the row, unless the scenario names one itself
    const profile = useProfiles ? engineProfiles().find((p) => p.group === group) : undefined;
    if (profile && raw.data['engine'] === undefined) n.job.engine = { ...n.job.engine, ...profile.engine };
    const q = raw.data['quantization'] as Record<string, unknown> | undefined;
    if (profile?.kvCacheWithFp8Weights && n.job.weights === 'fp8' && q?.['kvCache'] === undefined) n.job.kvCache = profile.kvCacheWithFp8Weights;
    const r = planServe(n.job, n.constraints);
    const p = r.parallelism;
    return {
      report: r,
      fits: r.fits,
      plan: `tp${p.tensor} pp${p.pipeline} ep${p.expert} ${r.quantization.weights}/${r.quantization.kvCache} c${r.workload.concurrency}`,
    };
  });
}

export function validateInference(dir: string, useProfiles = true): ValidationSummary {
  const s = summarize(
    'inference',
    readCorpus(dir, 'inference').map((r) => validateInferenceRow(r, useProfiles)),
  );
  const groups = new Set(s.rows.map((r) => r.group));
  return { ...s, profiles: useProfiles ? engineProfiles().filter((p) => groups.has(p.group)) : [] };
}
