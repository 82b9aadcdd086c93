import { inferenceProbe, trainingProbe, type Probe } from '../calibrate/probe.js';
import type { PlanContext } from '../context/types.js';
import { nodeFiles } from '../context/node-files.js';
import { IssueError } from '../core/issues.js';
import { normalizeInference } from '../scenario/inference.js';
import { readScenario } from '../scenario/load.js';
import { normalizeTraining } from '../scenario/training.js';
import { readCorpus, sourceGroup, type CorpusRow } from './corpus.js';
import { applyFramework, engineGroups, frameworkGroups, type EngineGroup, type FrameworkGroup } from './engines.js';

/** A corpus row the planner cannot express, with the reasons. */
export interface UnsupportedRow {
  id: string;
  group: string;
  metric: string;
  measured: number;
  unsupported: string;
}

export function trainingRowProbe(row: CorpusRow, ctx: PlanContext, groups: FrameworkGroup[] | null): Probe {
  const group = sourceGroup(row);
  const raw = readScenario(row.file);
  // the framework that ran the row and what its published recipe set, unless the scenario says
  applyFramework(
    raw.data,
    row.id,
    groups?.find((g) => g.group === group),
  );
  const req = normalizeTraining(raw, ctx, nodeFiles);
  return trainingProbe(row.id, group, row.metric, row.measured, req);
}

export function inferenceRowProbe(row: CorpusRow, ctx: PlanContext, groups: EngineGroup[] | null): Probe {
  const group = sourceGroup(row);
  const raw = readScenario(row.file);
  // the engine that measured the row, unless the scenario names one itself
  const profile = groups?.find((p) => p.group === group);
  if (profile && raw.data['engine'] === undefined) raw.data['engine'] = profile.engine;
  const q = raw.data['quantization'] as Record<string, unknown> | undefined;
  if (profile?.kvCacheWithFp8Weights && q?.['weights'] === 'fp8' && q['kvCache'] === undefined) q['kvCache'] = profile.kvCacheWithFp8Weights;
  return inferenceProbe(row.id, group, row.metric, row.measured, normalizeInference(raw, ctx, nodeFiles));
}

/** Every row of a corpus as a probe, and the rows the planner cannot express. */
export function corpusProbes(
  dir: string,
  kind: 'training' | 'inference',
  ctx: PlanContext,
  o: { engineProfiles?: boolean; frameworkProfiles?: boolean } = {},
): { probes: Probe[]; unsupported: UnsupportedRow[] } {
  const groups = kind === 'inference' && o.engineProfiles !== false ? engineGroups() : null;
  const frameworks = kind === 'training' && o.frameworkProfiles !== false ? frameworkGroups() : null;
  const probes: Probe[] = [];
  const unsupported: UnsupportedRow[] = [];
  for (const row of readCorpus(dir, kind)) {
    try {
      const probe = kind === 'training' ? trainingRowProbe(row, ctx, frameworks) : inferenceRowProbe(row, ctx, groups);
      probe.replan(ctx.calibration); // a split the planner rejects is found here, not in the middle of a fit
      probes.push(probe);
    } catch (e) {
      if (!(e instanceof IssueError)) throw e;
      unsupported.push({
        id: row.id,
        group: sourceGroup(row),
        metric: row.metric,
        measured: row.measured,
        unsupported: e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      });
    }
  }
  return { probes, unsupported };
}
