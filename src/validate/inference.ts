import type { PlanContext } from '../context/types.js';
import { normalizeInference } from '../scenario/inference.js';
import { readScenario } from '../scenario/load.js';
import { planServe } from '../serve/plan.js';
import { readDataJson } from '../util/data.js';
import { nodeFiles } from '../context/node-files.js';
import { readCorpus, type CorpusRow } from './corpus.js';
import { scoreRow, summarize, type ValidationRow, type ValidationSummary } from './training.js';

export interface EngineGroup {
  group: string;
  /** The engine profile (data/profiles.json) that measured the group's rows. */
  engine: string;
  /** KV-cache format the group's engines used with FP8 weights, where a scenario leaves kvCache out. */
  kvCacheWithFp8Weights?: 'fp8';
  source: string;
}

/** The serving engine of each source group (data/validation-engines.json). */
export function engineGroups(): EngineGroup[] {
  return readDataJson<{ groups: EngineGroup[] }>('validation-engines.json').groups;
}

export function validateInferenceRow(row: CorpusRow, ctx: PlanContext, groups: EngineGroup[] | null): ValidationRow {
  return scoreRow(row, (group) => {
    const raw = readScenario(row.file);
    // the engine that measured the row, unless the scenario names one itself
    const profile = groups?.find((p) => p.group === group);
    if (profile && raw.data['engine'] === undefined) raw.data['engine'] = profile.engine;
    const q = raw.data['quantization'] as Record<string, unknown> | undefined;
    if (profile?.kvCacheWithFp8Weights && q?.['weights'] === 'fp8' && q['kvCache'] === undefined) q['kvCache'] = profile.kvCacheWithFp8Weights;
    const r = planServe(normalizeInference(raw, ctx, nodeFiles));
    const p = r.parallelism;
    return {
      report: r,
      fits: r.fits,
      plan: `tp${p.tensor} pp${p.pipeline} ep${p.expert} ${r.quantization.weights}/${r.quantization.kvCache} c${r.workload.concurrency}`,
    };
  });
}

export function validateInference(dir: string, ctx: PlanContext, useProfiles = true): ValidationSummary {
  const groups = useProfiles ? engineGroups() : null;
  const s = summarize(
    'inference',
    readCorpus(dir, 'inference').map((r) => validateInferenceRow(r, ctx, groups)),
  );
  const seen = new Set(s.rows.map((r) => r.group));
  return { ...s, profiles: groups ? groups.filter((p) => seen.has(p.group)) : [] };
}
