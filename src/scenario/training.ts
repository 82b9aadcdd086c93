import type { FileAccess, PlanContext } from '../context/types.js';
import { IssueError, mkIssue, type Issue } from '../core/issues.js';
import { warning, type Warning } from '../core/warnings.js';
import { chinchillaTokens, countParameters } from '../model/params.js';
import { checkRules } from '../rules/table.js';
import type { TrainRequest } from '../train/plan.js';
import { TRAIN_RULES } from '../train/rules.js';
import { stackOf } from '../train/stack.js';
import type { PlanConstraints, RecomputeModule, TrainJob } from '../train/types.js';
import type { FrameworkOffers } from '../profiles/types.js';
import type { RawScenario } from './load.js';
import { parseScenario } from './parse.js';
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
  const sc = parseScenario(trainingScenarioSchema, raw.data, ctx);
  const issues: Issue[] = [];
  const { model, issues: mi, warnings } = resolveModel(sc.model, ['model'], ctx, files, raw.baseDir);
  issues.push(...mi);
  const sys = resolveSystem(sc.system, ctx, issues);
  const cal = resolveCalibration(sc.calibration, ctx, files, raw.baseDir, issues);
  const fwIn = sc.training.framework;
  const fwOpts: {
    cudaGraphs?: 'none' | 'partial' | 'full';
    groupedGemm?: 'fused' | 'multi-stream';
    moeDispatcher?: 'alltoall' | 'deepep' | 'hybridep';
    attention?: 'fused' | 'flash2' | 'unfused';
  } = typeof fwIn === 'object' ? fwIn : {};
  const fw = resolveProfileId(
    typeof fwIn === 'object' ? fwIn.id : fwIn,
    ctx.profiles.frameworks,
    ctx.profiles.defaultFramework,
    'framework profile',
    typeof fwIn === 'object' ? ['training', 'framework', 'id'] : ['training', 'framework'],
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
  let modules: RecomputeModule[] | undefined;
  if (typeof t.recompute === 'string') {
    c.recompute = t.recompute;
    if (t.recompute === 'full') c.recomputeLayers = 0; // 'full' means every layer; { layers: N } asks for fewer
  } else if (t.recompute !== undefined) {
    if (t.recompute.modules && t.recompute.layers !== undefined)
      issues.push(
        mkIssue({
          code: 'conflict',
          path: ['training', 'recompute'],
          keys: ['modules', 'layers'],
          reason: 'recompute names either modules (selective) or a number of layers (full), not both',
        }),
      );
    if (t.recompute.modules) {
      c.recompute = 'selective';
      modules = [...new Set(t.recompute.modules)];
    } else if (t.recompute.layers !== undefined) {
      c.recompute = 'full';
      c.recomputeLayers = t.recompute.layers;
    }
  }
  if (t.activationOffload !== undefined) c.offloadLayers = t.activationOffload.layers;
  issues.push(...offerIssues(fw.id, fw.profile.offers, c, modules));
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
    tpCommOverlap: t.tpCommOverlap ?? fw.profile.tpOverlap,
    epCommOverlap: t.epCommOverlap ?? false,
    pricePerHour: sys.pricePerHour,
    cal,
    kernels: {
      ...fw.profile.kernels,
      groupedGemm: fwOpts.groupedGemm ?? fw.profile.groupedGemm,
      attention: fwOpts.attention ?? fw.profile.kernels.attention,
    },
    memoryReserve: fw.profile.memory,
    stack: stackOf(fw.profile, modules, { cudaGraphs: fwOpts.cudaGraphs, moeDispatcher: fwOpts.moeDispatcher }),
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

/** Fixed keys a framework does not offer: errors naming the key and the framework. */
function offerIssues(id: string, o: FrameworkOffers, c: PlanConstraints, modules: readonly RecomputeModule[] | undefined): Issue[] {
  const out: Issue[] = [];
  const no = (path: (string | number)[], feature: string, reason: string) =>
    out.push(
      mkIssue({ code: 'unsupported', path, feature, reason: `${id} ${reason} (training.framework; 'sinan profiles' lists what each framework offers)` }),
    );
  if (c.zero !== undefined && !o.zero.includes(c.zero)) no(['parallelism', 'zero'], `zero ${c.zero}`, `offers ZeRO stages ${o.zero.join(', ')} only`);
  if (c.sequenceParallel && !o.sequenceParallel) no(['parallelism', 'sequenceParallel'], 'sequence parallelism', 'has no sequence parallelism');
  if ((c.context ?? 1) > 1 && !o.contextParallel) no(['parallelism', 'context'], 'context parallelism', 'has no context parallelism');
  if ((c.expert ?? 1) > 1 && !o.expertParallel) no(['parallelism', 'expert'], 'expert parallelism', 'has no expert parallelism');
  if ((c.virtualStages ?? 1) > 1 && !o.virtualStages) no(['parallelism', 'virtualStages'], 'interleaved pipeline stages', 'has no interleaved schedule');
  if ((c.tensor ?? 1) > 1 && o.tensorParallel === false) no(['parallelism', 'tensor'], 'tensor parallelism', 'has no tensor parallelism');
  if ((c.pipeline ?? 1) > 1 && o.pipelineParallel === false) no(['parallelism', 'pipeline'], 'pipeline parallelism', 'has no pipeline parallelism');
  if (c.precision !== undefined && !o.precision.includes(c.precision))
    no(['training', 'precision'], `${c.precision} training`, `trains in ${o.precision.join(', ')} only`);
  if (c.recompute !== undefined && !o.recompute.includes(c.recompute))
    no(['training', 'recompute'], `${c.recompute} recomputation`, `offers ${o.recompute.join(', ')} recomputation only`);
  if (modules && !o.recomputeModules) no(['training', 'recompute', 'modules'], 'recomputation of named modules', 'has no --recompute-modules');
  for (const m of modules ?? [])
    if (o.recomputeModules && !o.recomputeModules.includes(m)) no(['training', 'recompute', 'modules'], `recomputing ${m}`, `cannot recompute ${m}`);
  if ((c.recomputeLayers ?? 0) > 0 && !o.recomputeLayers)
    no(['training', 'recompute', 'layers'], 'recomputing some of the layers', 'recomputes all layers or none');
  if ((c.offloadLayers ?? 0) > 0 && !o.activationOffload) no(['training', 'activationOffload'], 'activation offloading', 'has no activation offloading');
  return out;
}
