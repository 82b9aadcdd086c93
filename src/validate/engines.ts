import { readDataJson } from '../util/data.js';

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

/** What a corpus row's published recipe sets (data/validation-frameworks.json), applied where its scenario leaves the key out. */
export interface RowSettings {
  precision?: 'bf16' | 'fp8';
  recompute?: 'none' | 'selective' | 'full' | { modules?: string[]; layers?: number };
  activationOffload?: { layers: number };
  zero?: 0 | 1 | 2 | 3;
  epCommOverlap?: boolean;
  cudaGraphs?: 'none' | 'partial' | 'full';
  groupedGemm?: 'fused' | 'multi-stream';
  moeDispatcher?: 'alltoall' | 'deepep' | 'hybridep';
}

export interface FrameworkGroup {
  group: string;
  /** The framework profile (data/profiles.json) that ran the group's rows. */
  framework: string;
  evidence: { what: string; value: unknown; source?: string; quote?: string; note?: string }[];
  /** Settings every row of the group used. */
  defaults?: RowSettings;
  rows?: Record<string, { settings: RowSettings; why: string; source?: string; quote?: string }>;
}

/** The training framework of each source group and the recipes of its rows (data/validation-frameworks.json). */
export function frameworkGroups(): FrameworkGroup[] {
  return readDataJson<{ groups: FrameworkGroup[] }>('validation-frameworks.json').groups;
}

/** A training scenario with its group's framework and its row's recipe settings filled in where it leaves them out. */
export function applyFramework(data: Record<string, unknown>, id: string, g: FrameworkGroup | undefined): void {
  if (!g) return;
  const training = (data['training'] ??= {}) as Record<string, unknown>;
  const parallelism = (data['parallelism'] ??= {}) as Record<string, unknown>;
  const s: RowSettings = { ...g.defaults, ...g.rows?.[id]?.settings };
  if (training['framework'] === undefined)
    training['framework'] =
      s.cudaGraphs || s.groupedGemm || s.moeDispatcher
        ? {
            id: g.framework,
            ...(s.cudaGraphs ? { cudaGraphs: s.cudaGraphs } : {}),
            ...(s.groupedGemm ? { groupedGemm: s.groupedGemm } : {}),
            ...(s.moeDispatcher ? { moeDispatcher: s.moeDispatcher } : {}),
          }
        : g.framework;
  if (s.precision !== undefined) training['precision'] ??= s.precision;
  if (s.recompute !== undefined) training['recompute'] ??= s.recompute;
  if (s.activationOffload !== undefined) training['activationOffload'] ??= s.activationOffload;
  if (s.epCommOverlap !== undefined) training['epCommOverlap'] ??= s.epCommOverlap;
  if (s.zero !== undefined) parallelism['zero'] ??= s.zero;
}
