import { resolveModel } from '../model/registry.js';
import type { PlanConstraints, TrainJob } from '../train/types.js';
import { issue, ScenarioError, type Issue } from '../util/issues.js';
import type { RawScenario } from './load.js';
import { zodIssues } from './load.js';
import { trainingScenarioSchema } from './schema.js';
import { resolveSystem } from './system.js';

export interface NormalizedTraining {
  job: TrainJob;
  constraints: PlanConstraints;
  warnings: string[];
  name: string;
}

/** Validates a training scenario and resolves it into a job plus the user's fixed split. */
export function normalizeTraining(raw: RawScenario): NormalizedTraining {
  const parsed = trainingScenarioSchema.safeParse(raw.data);
  if (!parsed.success) throw new ScenarioError(zodIssues(parsed.error, [], raw.data));
  const sc = parsed.data;
  const issues: Issue[] = [];
  const { model, issues: mi, warnings } = resolveModel(sc.model, ['model'], raw.baseDir);
  issues.push(...mi);
  const sys = resolveSystem(sc.system, issues);
  if (!model || !sys || issues.length) throw new ScenarioError(issues);

  const t = sc.training;
  const par = sc.parallelism ?? {};
  const n = sys.count;
  const c: PlanConstraints = {};
  for (const k of ['tensor', 'pipeline', 'data', 'context', 'expert', 'virtualStages', 'sequenceParallel'] as const) {
    if (par[k] !== undefined) (c as Record<string, unknown>)[k] = par[k];
  }
  if (par.zero !== undefined) c.zero = par.zero as 0 | 1 | 2 | 3;
  if (t.microBatchSize !== undefined) c.microBatchSize = t.microBatchSize;
  if (t.recompute !== undefined) c.recompute = t.recompute;
  // precision defaults to bf16 (FP8 changes numerics: ask for it, or for 'auto' to search both)
  if (t.precision !== 'auto') c.precision = t.precision ?? 'bf16';

  // early, named checks of the fixed keys (the full plan is checked again once complete)
  const a = model.attention;
  const fixedProduct = (c.tensor ?? 1) * (c.pipeline ?? 1) * (c.context ?? 1) * (c.data ?? 1);
  if (n % fixedProduct !== 0) {
    issues.push(issue('not_divisible', ['parallelism'], `the fixed parallel sizes multiply to ${fixedProduct}, which does not divide the ${n} devices`));
  } else if (c.tensor !== undefined && c.pipeline !== undefined && c.context !== undefined && c.data !== undefined && fixedProduct !== n) {
    issues.push(issue('not_divisible', ['parallelism', 'data'], `tensor x pipeline x context x data = ${fixedProduct}, but system.count is ${n}`));
  }
  if (c.tensor !== undefined && a.heads % c.tensor !== 0) {
    issues.push(issue('not_divisible', ['parallelism', 'tensor'], `tensor (${c.tensor}) must divide the ${a.heads} attention heads`));
  }
  if (c.tensor !== undefined && !a.mla && a.kvHeads % c.tensor !== 0) {
    issues.push(issue('not_divisible', ['parallelism', 'tensor'], `tensor (${c.tensor}) must divide the ${a.kvHeads} key-value heads`));
  }
  if (c.pipeline !== undefined && c.pipeline > model.layers) {
    issues.push(issue('out_of_range', ['parallelism', 'pipeline'], `pipeline (${c.pipeline}) exceeds the model's ${model.layers} layers`));
  }
  if (c.expert !== undefined && c.expert > 1) {
    if (!model.moe)
      issues.push(issue('invalid_value', ['parallelism', 'expert'], `expert (${c.expert}) needs a mixture-of-experts model; this model is dense`));
    else if (model.moe.experts % c.expert !== 0)
      issues.push(issue('not_divisible', ['parallelism', 'expert'], `expert (${c.expert}) must divide the ${model.moe.experts} experts`));
  }
  if (c.data !== undefined && t.globalBatchSize % c.data !== 0) {
    issues.push(issue('not_divisible', ['training', 'globalBatchSize'], `globalBatchSize (${t.globalBatchSize}) must be a multiple of data (${c.data})`));
  }
  if (c.precision === 'fp8' && !sys.accelerator.peakFlops.fp8) {
    issues.push(issue('unsupported', ['training', 'precision'], `${sys.accelerator.id} has no FP8 tensor cores; use bf16`));
  }
  if (issues.length) throw new ScenarioError(issues);
  if (model.maxPositions > 0 && t.sequenceLength > model.maxPositions) {
    warnings.push(`sequenceLength ${t.sequenceLength} exceeds the model's max_position_embeddings ${model.maxPositions}`);
  }
  const job: TrainJob = {
    model,
    accelerator: sys.accelerator,
    devices: n,
    perNode: sys.perNode,
    fabric: sys.fabric,
    sequenceLength: t.sequenceLength,
    globalBatchSize: t.globalBatchSize,
    tokens: t.tokens ?? null,
    gradientBytes: t.gradientPrecision === 'fp32' ? 4 : 2,
    tpCommOverlap: t.tpCommOverlap ?? true,
    epCommOverlap: t.epCommOverlap ?? false,
    pricePerHour: sys.pricePerHour,
  };
  return { job, constraints: c, warnings, name: sc.name ?? raw.source };
}

/** True when every plan key is fixed, so no search is needed. */
export function isComplete(c: PlanConstraints): boolean {
  return (
    c.tensor !== undefined &&
    c.pipeline !== undefined &&
    c.data !== undefined &&
    c.context !== undefined &&
    c.expert !== undefined &&
    c.virtualStages !== undefined &&
    c.sequenceParallel !== undefined &&
    c.zero !== undefined &&
    c.microBatchSize !== undefined &&
    c.recompute !== undefined &&
    c.precision !== undefined
  );
}
