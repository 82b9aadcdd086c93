import type { FileAccess, PlanContext } from '../context/types.js';
import { IssueError, mkIssue, type Issue } from '../core/issues.js';
import { warning, type Warning } from '../core/warnings.js';
import { chinchillaTokens, countParameters } from '../model/params.js';
import { checkRules } from '../rules/table.js';
import type { TrainRequest } from '../train/plan.js';
import { TRAIN_RULES } from '../train/rules.js';
import type { PlanConstraints, TrainJob } from '../train/types.js';
import type { RawScenario } from './load.js';
import { parseWith } from './load.js';
import { resolveModel } from './model.js';
import { resolveCalibration, resolveProfileId } from './profiles.js';
import { trainingScenarioSchema, type TrainingScenario } from './schema.js';
import { resolveSystem } from './system.js';

export interface NormalizedTraining extends TrainRequest {
  name: string;
  scenario: TrainingScenario;
}

/** Validates a training scenario and resolves it into a job plus the split keys the user fixed. */
export function normalizeTraining(raw: RawScenario, ctx: PlanContext, files: FileAccess | null): NormalizedTraining {
  const sc = parseWith(trainingScenarioSchema, raw.data);
  const issues: Issue[] = [];
  const { model, issues: mi, warnings } = resolveModel(sc.model, ['model'], ctx, files, raw.baseDir);
  issues.push(...mi);
  const sys = resolveSystem(sc.system, ctx, issues);
  const cal = resolveCalibration(sc.calibration, ctx, files, raw.baseDir, issues);
  const fw = resolveProfileId(
    sc.training.framework,
    ctx.profiles.frameworks,
    ctx.profiles.defaultFramework,
    'framework profile',
    ['training', 'framework'],
    issues,
  );
  if (!model || !sys || issues.length) throw new IssueError(issues);

  const t = sc.training;
  const par = sc.parallelism ?? {};
  const c: PlanConstraints = {};
  for (const k of ['tensor', 'pipeline', 'data', 'context', 'expert', 'virtualStages', 'sequenceParallel'] as const) {
    if (par[k] !== undefined) (c as Record<string, unknown>)[k] = par[k];
  }
  if (par.zero !== undefined) c.zero = par.zero as 0 | 1 | 2 | 3;
  if (t.microBatchSize !== undefined) c.microBatchSize = t.microBatchSize;
  if (t.recompute !== undefined) c.recompute = t.recompute;
  // precision defaults to bf16 (FP8 changes numerics: ask for it, or for 'auto' to search both)
  if (t.precision !== 'auto') c.precision = t.precision ?? 'bf16';

  const w: Warning[] = [...warnings];
  if (fw.defaulted)
    w.push(warning('default_framework', `no training.framework given: priced with the '${fw.id}' profile (${fw.profile.name})`, ['training', 'framework']));
  const job: TrainJob = {
    model,
    accelerator: sys.accelerator,
    devices: sys.count,
    perNode: sys.perNode,
    fabric: sys.fabric,
    sequenceLength: t.sequenceLength,
    globalBatchSize: t.globalBatchSize,
    tokens: t.tokens === 'chinchilla' ? chinchillaTokens(countParameters(model).total) : (t.tokens ?? null),
    gradientBytes: t.gradientPrecision === 'fp32' ? 4 : 2,
    tpCommOverlap: t.tpCommOverlap ?? true,
    epCommOverlap: t.epCommOverlap ?? false,
    pricePerHour: sys.pricePerHour,
    cal,
    kernels: fw.profile.kernels,
    memoryReserve: fw.profile.memory,
    framework: fw.id,
  };
  // the fixed keys obey the same rules the search obeys
  issues.push(...checkRules(TRAIN_RULES, job, c));
  const fixed = (c.tensor ?? 1) * (c.pipeline ?? 1) * (c.context ?? 1) * (c.data ?? 1);
  if (sys.count % fixed !== 0 && !issues.some((i) => i.code === 'not_divisible' || i.code === 'conflict'))
    issues.push(
      mkIssue({
        code: 'not_divisible',
        path: ['parallelism'],
        divisor: fixed,
        dividend: sys.count,
        divisorName: 'the fixed parallel sizes multiplied',
        dividendName: 'system.count',
      }),
    );
  if (issues.length) throw new IssueError(issues);
  if (model.maxPositions > 0 && t.sequenceLength > model.maxPositions) {
    w.push(
      warning('beyond_context', `sequenceLength ${t.sequenceLength} exceeds the model's max_position_embeddings ${model.maxPositions}`, [
        'training',
        'sequenceLength',
      ]),
    );
  }
  return { job, constraints: c, warnings: w, name: sc.name ?? raw.source, scenario: sc };
}
