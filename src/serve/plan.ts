import { fail } from '../core/issues.js';
import { divisors, firstBroken } from '../rules/table.js';
import { engineFor } from './offload.js';
import { evaluateServe, type ServeReport } from './report.js';
import { servingRoofline, type Roofline } from './roofline.js';
import { SERVE_RULES } from './rules.js';
import type { ServeJob, ServeRequest, ServeSplit } from './types.js';

/** Every split of the job's devices the constraints allow (tensor x pipeline per replica, expert inside tensor). */
export function candidateSplits(job: ServeJob, c: Partial<ServeSplit>): ServeSplit[] {
  const m = job.model;
  const out: ServeSplit[] = [];
  const domain = job.cpu ? job.devices : Math.max(job.perNode, job.accelerator?.scaleUp.domain ?? 1);
  const tps = c.tensor !== undefined ? [c.tensor] : divisors(job.devices).filter((t) => t <= domain);
  for (const tp of tps) {
    const pps = c.pipeline !== undefined ? [c.pipeline] : divisors(job.devices / tp);
    for (const pp of pps) {
      const eps = c.expert !== undefined ? [c.expert] : m.moe ? divisors(tp) : [1];
      for (const ep of eps) {
        const s = { tensor: tp, pipeline: pp, expert: ep };
        if (firstBroken(SERVE_RULES, job, s) === null) out.push(s);
      }
    }
  }
  return out;
}

/** Ranks plans: meeting the SLO first, then output tokens/s per device, then fewer devices per replica. */
function better(a: ServeReport, b: ServeReport): boolean {
  const okA = a.fits && (a.slo?.met ?? true) && a.stable !== false;
  const okB = b.fits && (b.slo?.met ?? true) && b.stable !== false;
  if (okA !== okB) return okA;
  const x = a.throughput?.outputTokensPerSecondPerDevice ?? 0;
  const y = b.throughput?.outputTokensPerSecondPerDevice ?? 0;
  if (Math.abs(x - y) > 1e-9 * Math.max(x, y)) return x > y;
  // the same tokens/s per device (at a request rate every plan that keeps up serves the offered
  // rate): the faster request wins, then fewer devices per replica
  const la = a.latency?.requestSeconds ?? Infinity;
  const lb = b.latency?.requestSeconds ?? Infinity;
  if (Math.abs(la - lb) > 1e-9 * Math.min(la, lb)) return la < lb;
  return a.system.devicesPerReplica < b.system.devicesPerReplica;
}

export interface ServeAlternative extends ServeReport {
  /** Why this split loses to the best one. */
  why: string;
}

export interface ServePlanResult extends ServeReport {
  searched: boolean;
  alternatives?: ServeAlternative[];
  /** Per-operator roofline of the chosen plan's prefill and decode steps (absent when it does not fit). */
  roofline?: Roofline;
}

/** Why `r` ranks below `best`: what it misses, or how much less it serves per device and where its step time goes. */
export function whyServeLoses(r: ServeReport, best: ServeReport): string {
  if (!r.fits)
    return r.memory.maxConcurrency < 1
      ? 'does not fit: the weights leave no room for a KV cache'
      : `does not fit ${r.workload.concurrency} requests (at most ${r.memory.maxConcurrency})`;
  if (r.stable === false) return 'cannot keep up with the request rate';
  if (r.slo && !r.slo.met && best.slo?.met) return `misses the SLO: ${r.slo.missBy.join(', ')}`;
  const x = r.throughput?.outputTokensPerSecondPerDevice ?? 0;
  const y = best.throughput?.outputTokensPerSecondPerDevice ?? 0;
  const d = r.breakdown.decode;
  const b = best.breakdown.decode;
  const parts: string[] = [];
  if (d.communicationSeconds > b.communicationSeconds * 1.1) parts.push(`communication ${((d.communicationShare ?? 0) * 100).toFixed(0)}% of a step`);
  if (r.parallelism.pipeline > 1) parts.push(`${r.parallelism.pipeline} pipeline stages`);
  if (r.memory.maxConcurrency < best.memory.maxConcurrency) parts.push(`KV room for ${r.memory.maxConcurrency} requests, not ${best.memory.maxConcurrency}`);
  if (y > 0 && Math.abs(x - y) <= 1e-9 * Math.max(x, y) && r.latency && best.latency) {
    // equal throughput: it loses on latency (or, equally fast, on devices per replica)
    const slower = r.latency.requestSeconds > best.latency.requestSeconds * (1 + 1e-9);
    return slower
      ? `the same tokens/s per device, slower requests (${r.latency.requestSeconds.toFixed(2)} s against ${best.latency.requestSeconds.toFixed(2)} s)${parts.length ? ': ' + parts.join(', ') : ''}`
      : `as fast, on ${r.system.devicesPerReplica} devices per replica instead of ${best.system.devicesPerReplica}`;
  }
  return `${y > 0 ? ((1 - x / y) * 100).toFixed(1) : '?'}% fewer tokens/s per device${parts.length ? ': ' + parts.join(', ') : ''}`;
}

/** Evaluates the request's split, or searches the parallelism it leaves open. */
export function planServe(req: ServeRequest, o: { alternatives?: number } = {}): ServePlanResult {
  const all = candidateSplits(req.job, req.constraints);
  if (all.length === 0) fail({ code: 'no_plan', path: ['parallelism'], reason: 'no split of the devices satisfies the fixed parallelism' });
  // disaggregation splits the replicas into prefill and decode pools: search the splits that leave two or more
  const pooled = req.job.disaggregation ? all.filter((s) => req.job.devices / (s.tensor * s.pipeline) >= 2) : all;
  const splits = pooled.length > 0 ? pooled : all;
  const reports = splits.map((s) => evaluateServe(engineFor(req.job, s)));
  reports.sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0));
  const searched = splits.length > 1;
  const best = reports[0]!;
  return {
    ...best,
    warnings: [...req.warnings, ...best.warnings],
    searched,
    ...(best.fits ? { roofline: servingRoofline(engineFor(req.job, best.parallelism), best.workload.concurrency) } : {}),
    ...(searched ? { alternatives: reports.slice(1, 1 + (o.alternatives ?? 4)).map((a) => ({ ...a, why: whyServeLoses(a, best) })) } : {}),
  };
}

/**
 * The fewest devices, in whole steps of `step` (e.g. 8-GPU servers), on which the request's model
 * fits with some split the search allows: the planner's own minimum deployment.
 */
export function minimumDevices(req: ServeRequest, step = 1, limit = 1024): { devices: number; plan: ServePlanResult } | null {
  for (let n = step; n <= limit; n += step) {
    const job = { ...req.job, devices: n, perNode: Math.min(req.job.perNode, n) };
    if (candidateSplits(job, req.constraints).length === 0) continue;
    const plan = planServe({ ...req, job }, { alternatives: 0 });
    if (plan.fits) return { devices: n, plan };
  }
  return null;
}
