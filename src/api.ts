import { defaultContext } from './context/load.js';
import type { FileAccess, PlanContext } from './context/types.js';
import { attempt, IssueError, type Result } from './core/issues.js';
import { optimizePlan, optimizeScenario, type RunOptions } from './optimize/run.js';
import type { OptimizationReport } from './optimize/types.js';
import { planCluster, planGoodput, type ClusterReport, type GoodputReport } from './fleet/plan.js';
import { normalizeCluster, normalizeGoodput } from './scenario/fleet.js';
import { normalizeInference } from './scenario/inference.js';
import { parseText, type RawScenario } from './scenario/load.js';
import { normalizeTraining } from './scenario/training.js';
import { planServe, type ServePlanResult } from './serve/plan.js';
import { searchDeployments, type DeploymentSearch } from './serve/slo.js';
import { planTraining, type TrainingResult } from './train/plan.js';

/**
 * The library's entry points: a scenario (an object, or YAML/JSON text) in, a Result out —
 * the report, or the issues that prevented it. They throw only on bugs.
 */
export interface PlanOptions {
  /** The planning context (catalogs, calibration, profiles); the built-in one by default. */
  context?: PlanContext;
  /** How the scenario may read the files it names; null (the default) reads none. */
  files?: FileAccess | null;
  /** Folder that relative paths in the scenario start from. */
  baseDir?: string;
  /** Runner-up plans to return. */
  alternatives?: number;
}

function raw(scenario: Record<string, unknown> | string, o: PlanOptions): RawScenario {
  const data = typeof scenario === 'string' ? parseText(scenario, 'scenario') : scenario;
  return { data, baseDir: o.baseDir ?? '.', source: 'scenario' };
}

const ctxOf = (o: PlanOptions) => o.context ?? defaultContext();

export function train(scenario: Record<string, unknown> | string, o: PlanOptions = {}): Result<TrainingResult> {
  return attempt(() => planTraining(normalizeTraining(raw(scenario, o), ctxOf(o), o.files ?? null), { alternatives: o.alternatives ?? 4 }));
}

export function serve(scenario: Record<string, unknown> | string, o: PlanOptions = {}): Result<ServePlanResult> {
  return attempt(() => planServe(normalizeInference(raw(scenario, o), ctxOf(o), o.files ?? null), { alternatives: o.alternatives ?? 4 }));
}

/** The cheapest deployment over the catalog that meets the scenario's SLO at its request rate. */
export function serveCatalog(scenario: Record<string, unknown> | string, o: PlanOptions = {}): Result<DeploymentSearch> {
  return attempt(() => {
    const ctx = ctxOf(o);
    return searchDeployments(normalizeInference(raw(scenario, o), ctx, o.files ?? null).job, [...ctx.catalog.accelerators.values()]);
  });
}

export function cluster(scenario: Record<string, unknown> | string, o: PlanOptions = {}): Result<ClusterReport> {
  return attempt(() => {
    const ctx = ctxOf(o);
    return planCluster(normalizeCluster(raw(scenario, o), ctx), ctx.fleet);
  });
}

export function goodput(scenario: Record<string, unknown> | string, o: PlanOptions = {}): Result<GoodputReport> {
  return attempt(() => {
    const ctx = ctxOf(o);
    return planGoodput(normalizeGoodput(raw(scenario, o), ctx, o.files ?? null), ctx.reliability);
  });
}

/** Options of the optimization manager: the output format (gguf, compressed-tensors, bitsandbytes; default from the engine). */
export interface OptimizeApiOptions extends PlanOptions {
  format?: string;
}

/**
 * The optimization manager (seed 000) planned from the config: the baseline and the seed's other
 * three rows, the decisions, the accuracy account, the attribution and the serve command, with
 * format-typical errors. Reads and writes no file (a scenario's `checkpoint` is not read: use
 * optimizeCheckpoint).
 */
export function optimize(scenario: Record<string, unknown> | string, o: OptimizeApiOptions = {}): Result<OptimizationReport> {
  return attempt(() =>
    optimizePlan(raw(scenario, o), { context: ctxOf(o), files: o.files ?? null, baseDir: o.baseDir ?? '.', ...(o.format ? { format: o.format } : {}) }),
  );
}

/** The optimization manager on the scenario's checkpoint: measured errors, and with `out` the optimized checkpoint written there. */
export async function optimizeCheckpoint(
  scenario: Record<string, unknown> | string,
  o: OptimizeApiOptions & Pick<RunOptions, 'out' | 'force' | 'workers' | 'exact' | 'onProgress'> = {},
): Promise<Result<OptimizationReport>> {
  try {
    const { context: _c, files, baseDir, format, alternatives: _a, ...rest } = o;
    return {
      ok: true,
      value: await optimizeScenario(raw(scenario, o), {
        context: ctxOf(o),
        files: files ?? null,
        baseDir: baseDir ?? '.',
        ...(format ? { format } : {}),
        ...rest,
      }),
    };
  } catch (e) {
    if (e instanceof IssueError) return { ok: false, issues: e.issues };
    throw e;
  }
}
