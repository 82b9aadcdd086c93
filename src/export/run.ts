import type { FileAccess, PlanContext } from '../context/types.js';
import { IssueError, mkIssue } from '../core/issues.js';
import type { RawScenario } from '../scenario/load.js';
import { normalizeInference } from '../scenario/inference.js';
import { normalizeTraining } from '../scenario/training.js';
import { planServe } from '../serve/plan.js';
import { planTraining } from '../train/plan.js';
import { exportPlan, TARGET_INFO } from './export.js';
import { exportModel } from './model.js';
import { EXPORT_TARGETS, type ExportResult, type ExportTarget, type TargetData } from './types.js';

/**
 * Plans a scenario (the best plan when it leaves keys open) and exports it: the shell that the
 * CLI's `sinan export` and the HTTP API's POST /v1/export share.
 */
export function exportScenario(
  raw: RawScenario,
  target: string,
  version: string | undefined,
  ctx: PlanContext,
  files: FileAccess | null,
  data: Record<ExportTarget, TargetData>,
): ExportResult {
  const kind = raw.data.kind;
  const info = (EXPORT_TARGETS as readonly string[]).includes(target) ? TARGET_INFO[target as ExportTarget] : null;
  if (info && kind !== info.kind)
    throw new IssueError([
      mkIssue({
        code: 'invalid_value',
        path: ['kind'],
        value: kind,
        allowed: [info.kind],
        reason: `${info.label} runs ${info.kind} plans; give a ${info.kind} scenario`,
      }),
    ]);
  if (kind === 'training') {
    const n = normalizeTraining(raw, ctx, files);
    return exportPlan({ kind: 'training', plan: planTraining(n, { alternatives: 0 }), model: exportModel(n.job.model) }, target, version, data);
  }
  if (kind === 'inference') {
    const n = normalizeInference(raw, ctx, files);
    const sc = n.scenario;
    const draft = sc.speculative?.draft;
    return exportPlan(
      {
        kind: 'inference',
        plan: planServe(n, { alternatives: 0 }),
        model: exportModel(n.job.model),
        extras: {
          ...(sc.workload.chunkedPrefill !== undefined ? { chunkedPrefill: sc.workload.chunkedPrefill } : {}),
          ...(sc.workload.maxBatchTokens !== undefined ? { maxBatchTokens: sc.workload.maxBatchTokens } : {}),
          ...(sc.offload?.to ? { offloadTo: sc.offload.to } : {}),
          ...(sc.speculative ? { speculative: { tokens: sc.speculative.tokens, draft: typeof draft === 'string' ? draft : 'DRAFT_MODEL' } } : {}),
        },
      },
      target,
      version,
      data,
    );
  }
  throw new IssueError([
    mkIssue({
      code: 'invalid_value',
      path: ['kind'],
      value: kind,
      allowed: ['training', 'inference'],
      reason: 'export takes a training or an inference scenario',
    }),
  ]);
}
