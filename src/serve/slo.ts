import type { Accelerator } from '../hardware/types.js';
import { formatProblem, type KvFormat, type WeightFormat } from './formats.js';
import { withWorkload } from './engine.js';
import { engineFor } from './offload.js';
import { candidateSplits } from './plan.js';
import { evaluateServe } from './report.js';
import type { ServeJob, ServeSplit } from './types.js';

/**
 * The cheapest deployment that meets an SLO at the workload's request rate: every catalog
 * accelerator, replica size, split, weight and KV format and batch size, ranked by cost per
 * million output tokens, with the cost-vs-TPOT Pareto front; when none meets it, the closest.
 */

export interface DeploymentOption {
  accelerator: string;
  devicesPerReplica: number;
  replicas: number;
  split: ServeSplit;
  weights: WeightFormat;
  kvCache: KvFormat;
  concurrency: number;
  ttftSeconds: number;
  tpotSeconds: number;
  requestsPerSecondPerReplica: number;
  usdPerHour: number;
  usdPerMillionOutputTokens: number;
  meetsSlo: boolean;
  missBy: string[];
}

export interface DeploymentSearch {
  best: DeploymentOption | null;
  ranked: DeploymentOption[];
  pareto: DeploymentOption[];
  closest: DeploymentOption[];
  evaluated: number;
}

/** Shared by every option that meets the SLO (frozen: nobody may push onto it). */
const NO_MISS = Object.freeze([]) as readonly string[] as string[];

/** How many of the SLO's targets (TTFT, TPOT) a latency misses. */
function missCount(ttftSeconds: number, tpotSeconds: number, slo: ServeJob['slo']): number {
  return (slo?.ttftMs !== undefined && ttftSeconds * 1000 > slo.ttftMs ? 1 : 0) + (slo?.tpotMs !== undefined && tpotSeconds * 1000 > slo.tpotMs ? 1 : 0);
}

/** How an option misses the SLO, in words. */
function missBy(o: DeploymentOption, slo: ServeJob['slo']): string[] {
  const miss: string[] = [];
  if (slo?.ttftMs !== undefined && o.ttftSeconds * 1000 > slo.ttftMs) miss.push(`TTFT +${(o.ttftSeconds * 1000 - slo.ttftMs).toFixed(0)} ms`);
  if (slo?.tpotMs !== undefined && o.tpotSeconds * 1000 > slo.tpotMs) miss.push(`TPOT +${(o.tpotSeconds * 1000 - slo.tpotMs).toFixed(1)} ms`);
  return miss;
}

/**
 * The cheapest deployment that meets the SLO at the workload's request rate, over catalog
 * accelerators, replica sizes, splits, weight and KV formats and batch sizes.
 */
export function searchDeployments(
  job: ServeJob,
  catalog: readonly Accelerator[],
  opts: { accelerators?: string[]; weights?: WeightFormat[]; kv?: KvFormat[] } = {},
): DeploymentSearch {
  const rate = job.workload.requestRate ?? 1;
  const out: DeploymentOption[] = [];
  let evaluated = 0;
  const accs = catalog.filter((a) => a.peakFlops.bf16 && a.memoryBytes > 0 && (!opts.accelerators || opts.accelerators.includes(a.id)));
  for (const a of accs) {
    for (const n of [1, 2, 4, 8]) {
      if (n > Math.max(a.perNode, a.scaleUp.domain)) continue;
      for (const wf of opts.weights ?? (['bf16', 'fp8', 'int4'] as WeightFormat[])) {
        if (formatProblem(wf, a)) continue;
        for (const kv of opts.kv ?? (['bf16', 'fp8'] as KvFormat[])) {
          const base: ServeJob = {
            ...job,
            accelerator: a,
            cpu: null,
            devices: n,
            perNode: Math.min(n, a.perNode),
            weights: wf,
            kvCache: kv,
            pricePerHour: a.pricePerHour,
            offload: null,
            speculative: null,
            // the search checks the SLO itself (below); the reports it reads need no verdict
            slo: null,
            disaggregation: false,
            fabric: {},
          };
          for (const split of candidateSplits(base, { pipeline: 1 })) {
            const e0 = engineFor({ ...base, workload: { ...job.workload, concurrency: 1, requestRate: null } }, split);
            const r1 = evaluateServe(e0);
            evaluated++;
            const maxC = r1.memory.maxConcurrency;
            if (maxC < 1) continue;
            for (let c = 1; c <= maxC; c *= 2) {
              const r = c === 1 ? r1 : evaluateServe(withWorkload(e0, { concurrency: c }));
              if (c > 1) evaluated++;
              if (!r.latency || !r.throughput) continue;
              const misses = missCount(r.latency.ttftSeconds, r.latency.tpotSeconds, job.slo);
              const rps = r.throughput.requestsPerSecond;
              const replicas = Math.max(1, Math.ceil(rate / rps));
              const usdPerHour = replicas * n * a.pricePerHour;
              out.push({
                accelerator: a.id,
                devicesPerReplica: n,
                replicas,
                split,
                weights: wf,
                kvCache: kv,
                concurrency: c,
                ttftSeconds: r.latency.ttftSeconds,
                tpotSeconds: r.latency.tpotSeconds,
                requestsPerSecondPerReplica: rps,
                usdPerHour,
                usdPerMillionOutputTokens: (usdPerHour / (rate * job.workload.outputTokens * 3600)) * 1e6,
                meetsSlo: misses === 0,
                missBy: misses === 0 ? NO_MISS : [], // filled in for the options returned (formatting every plan's would dominate the search)
              });
              if (misses > 0 && c > 1 && r.latency.tpotSeconds * 1000 > (job.slo?.tpotMs ?? Infinity)) break; // larger batches only get slower
            }
          }
        }
      }
    }
  }
  // cheapest first; among equal costs the faster token first (the Pareto sweep below relies on it)
  const ok = out.filter((o) => o.meetsSlo).sort((x, y) => x.usdPerMillionOutputTokens - y.usdPerMillionOutputTokens || x.tpotSeconds - y.tpotSeconds);
  const pareto: DeploymentOption[] = [];
  for (const o of ok) {
    if (pareto.length === 0 || o.tpotSeconds < pareto[pareto.length - 1]!.tpotSeconds) pareto.push(o);
  }
  const misses = (o: DeploymentOption) => missCount(o.ttftSeconds, o.tpotSeconds, job.slo);
  const closest = ok.length
    ? []
    : [...out].sort((x, y) => misses(x) - misses(y) || x.tpotSeconds + x.ttftSeconds - (y.tpotSeconds + y.ttftSeconds)).slice(0, 5);
  for (const o of closest) o.missBy = missBy(o, job.slo);
  return { best: ok[0] ?? null, ranked: ok.slice(0, 10), pareto, closest, evaluated };
}
