import { cluster, goodput, serve, train } from '../api.js';
import type { PlanContext } from '../context/types.js';
import { IssueError, mkIssue, type Issue } from '../core/issues.js';
import { exportScenario } from '../export/run.js';
import type { ExportTarget, TargetData } from '../export/types.js';
import { scaleUpSweep, weakScaling } from '../fleet/sweep.js';
import { optimizePlan } from '../optimize/run.js';
import { normalizeInference } from '../scenario/inference.js';
import { parseText, type RawScenario } from '../scenario/load.js';
import { normalizeTraining } from '../scenario/training.js';
import { searchDeployments } from '../serve/slo.js';
import { corpusDir } from '../validate/corpus.js';
import { validateCorpus } from '../validate/validate.js';
import { errorText } from './errors.js';

/**
 * What a worker computes for one request: the body text parsed with the scenario loader's own
 * limits, the library called with no file access, and the answer as the CLI prints it with
 * --json (so the two are byte for byte the same).
 */
export const OPS = ['train', 'serve', 'serve-catalog', 'cluster', 'goodput', 'optimize', 'export', 'sweep', 'validate'] as const;
export type Op = (typeof OPS)[number];

export interface Job {
  op: Op;
  /** The request body (YAML or JSON text); empty for validate. */
  text: string;
  params: Record<string, string>;
}

export interface JobResult {
  status: 200 | 400 | 500;
  body: string;
}

export interface JobEnv {
  ctx: PlanContext;
  exportData: Record<ExportTarget, TargetData>;
  alternativesLimit: number;
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

function intParam(params: Record<string, string>, name: string, dflt: number, min: number, max: number): number {
  const v = params[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n))
    throw new IssueError([mkIssue({ code: 'invalid_type', path: [`?${name}`], expected: 'an integer', received: `'${v.slice(0, 40)}'` })]);
  if (n < min) throw new IssueError([mkIssue({ code: 'too_small', path: [`?${name}`], minimum: min, inclusive: true, value: n, what: name })]);
  if (n > max) throw new IssueError([mkIssue({ code: 'too_big', path: [`?${name}`], maximum: max, inclusive: true, value: n, what: name })]);
  return n;
}

function listParam(params: Record<string, string>, name: string, dflt: number[]): number[] {
  const v = params[name];
  if (v === undefined) return dflt;
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length > 32 || xs.some((x) => !Number.isInteger(x) || x <= 0 || x > 1 << 24))
    throw new IssueError([
      mkIssue({ code: 'invalid_type', path: [`?${name}`], expected: 'up to 32 comma-separated positive integers', received: `'${v.slice(0, 40)}'` }),
    ]);
  return xs;
}

/** Over HTTP a scenario names no server file: model and calibration paths are refused by the library (files: null); this refuses checkpoint paths. */
function refuseServerPaths(data: Record<string, unknown>): void {
  if (data.checkpoint !== undefined)
    throw new IssueError([
      mkIssue({ code: 'unsupported', path: ['checkpoint'], feature: 'a checkpoint folder', reason: 'this interface reads and writes no files on the server' }),
    ]);
}

function result<T>(r: { ok: true; value: T } | { ok: false; issues: Issue[] }): JobResult {
  return r.ok ? { status: 200, body: json(r.value) } : { status: 400, body: errorText(r.issues) };
}

function compute(job: Job, env: JobEnv): JobResult {
  const { ctx } = env;
  if (job.op === 'validate') {
    const kind = job.params.kind ?? 'training';
    if (kind !== 'training' && kind !== 'inference')
      throw new IssueError([mkIssue({ code: 'invalid_value', path: ['?kind'], value: kind, allowed: ['training', 'inference'], reason: 'unknown kind' })]);
    const dir = corpusDir();
    // the leave-one-group-out refits take tens of seconds: only on request (?outOfSample=true)
    const s = validateCorpus(dir, kind, ctx, { outOfSample: job.params.outOfSample === 'true' });
    return { status: 200, body: json({ corpus: dir, ...s }) };
  }
  const data = parseText(job.text, 'request body');
  refuseServerPaths(data);
  const raw: RawScenario = { data, baseDir: '.', source: 'request body' };
  const o = { context: ctx, files: null };
  switch (job.op) {
    case 'train':
      return result(train(data, { ...o, alternatives: intParam(job.params, 'alternatives', 4, 0, env.alternativesLimit) }));
    case 'serve':
      return result(serve(data, { ...o, alternatives: intParam(job.params, 'alternatives', 4, 0, env.alternativesLimit) }));
    case 'serve-catalog': {
      const n = normalizeInference(raw, ctx, null);
      return {
        status: 200,
        body: json({ kind: 'inference-search', ...searchDeployments(n.job, [...ctx.catalog.accelerators.values()]), warnings: n.warnings }),
      };
    }
    case 'cluster':
      return result(cluster(data, o));
    case 'goodput':
      return result(goodput(data, o));
    case 'optimize':
      // planned from the config (format-typical errors); the checkpoint path was refused above
      return {
        status: 200,
        body: json(
          optimizePlan(raw, {
            context: ctx,
            files: null,
            baseDir: '.',
            exportData: env.exportData,
            ...(job.params.format !== undefined ? { format: job.params.format } : {}),
          }),
        ),
      };
    case 'export':
      if (job.params.to === undefined) throw new IssueError([mkIssue({ code: 'missing_key', path: ['?to'], key: 'to', hint: 'POST /v1/export?to=vllm' })]);
      return { status: 200, body: json(exportScenario(raw, job.params.to, job.params.version, ctx, null, env.exportData)) };
    case 'sweep': {
      const what = job.params.what ?? 'scaleup';
      if (what !== 'scaleup' && what !== 'weak')
        throw new IssueError([mkIssue({ code: 'invalid_value', path: ['?what'], value: what, allowed: ['scaleup', 'weak'], reason: 'unknown sweep' })]);
      const n = normalizeTraining(raw, ctx, null);
      // the same defaults as `sinan sweep` (src/cli/fleet.ts)
      if (what === 'scaleup')
        return { status: 200, body: json({ kind: 'sweep', sweep: what, rows: scaleUpSweep(n, listParam(job.params, 'domains', [8, 16, 32, 64, 128, 256])) }) };
      const nic = (n.job.accelerator.scaleOut.bandwidth * 8) / 1e9;
      const rows = weakScaling(n, listParam(job.params, 'counts', [8, 64, 512, 1024, 8192, 16384, 65536, 131072]), ctx.fleet, {
        perNode: n.job.perNode,
        nicsPerNode: n.job.perNode,
        nicGbps: nic,
        planes: 1,
        radix: Math.floor(51200 / nic),
        oversubscription: 1,
        maxTiers: 3,
      });
      return { status: 200, body: json({ kind: 'sweep', sweep: what, rows }) };
    }
  }
}

/** Runs one job; never throws (issues are 400, anything else a 500 with the contract's error object). */
export function runJob(job: Job, env: JobEnv): JobResult {
  try {
    return compute(job, env);
  } catch (e) {
    if (e instanceof IssueError) return { status: 400, body: errorText(e.issues) };
    const detail = e instanceof Error ? e.message : String(e);
    return { status: 500, body: errorText([mkIssue({ code: 'internal_error', path: [], detail })]) };
  }
}
