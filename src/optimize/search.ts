import { formatProblem } from '../serve/formats.js';
import { withWorkload, type Engine } from '../serve/engine.js';
import { engineFor } from '../serve/offload.js';
import { candidateSplits } from '../serve/plan.js';
import { evaluateServe, type ServeReport } from '../serve/report.js';
import type { Placement, ServeJob, ServeRequest, ServeSplit, WeightPlan } from '../serve/types.js';
import type { DecisionSpace, KvOption } from './accuracy.js';
import { allocateWeights, type WeightAllocation } from './allocate.js';
import { placementCandidates } from './placement.js';
import type { Target } from './targets.js';

/**
 * The joint search on one hardware configuration (pure): K and V cache formats, a mixed-precision
 * weight plan for what the cache leaves of the accuracy budget, the split, and the placement of
 * each layer (with lossless storage of the layers left in 16 bits), every candidate priced by the
 * one serving model (evaluateServe). The weight plans come from the allocation (allocate.ts):
 * the fewest bytes within the budget, over every format, and over the formats whose GEMMs run
 * fastest on the hardware (FP8 tensor cores where it has them).
 */

export interface Allow {
  mixed: boolean;
  kv: boolean;
  offload: boolean;
  lossless: boolean;
}

export const ALL: Allow = { mixed: true, kv: true, offload: true, lossless: true };

export interface SearchInput {
  req: ServeRequest;
  space: DecisionSpace;
  target: Target;
  kv: KvOption[];
  budget: number;
  allow: Allow;
  /** The scenario's own K/V choice and its weight distortion (used when kv / mixed are not allowed). */
  baseKv: KvOption;
  baseDist: number;
}

export interface Candidate {
  job: ServeJob;
  split: ServeSplit;
  report: ServeReport;
  /** Accuracy measure D of the plan. */
  dist: number;
  alloc: WeightAllocation | null;
  kv: KvOption;
  placement: Placement | null;
}

/** Ranks: feasible (fits, keeps up, meets the SLO) first, then throughput, then TPOT, then accuracy. */
export function better(a: Candidate, b: Candidate): boolean {
  const ok = (c: Candidate) => c.report.fits && c.report.stable !== false && (c.report.slo?.met ?? true);
  if (ok(a) !== ok(b)) return ok(a);
  const x = a.report.throughput?.outputTokensPerSecond ?? 0;
  const y = b.report.throughput?.outputTokensPerSecond ?? 0;
  if (Math.abs(x - y) > 1e-6 * Math.max(x, y)) return x > y;
  const ta = a.report.latency?.tpotSeconds ?? Infinity;
  const tb = b.report.latency?.tpotSeconds ?? Infinity;
  if (Math.abs(ta - tb) > 1e-9 * Math.max(ta, tb, 1e-12)) return ta < tb;
  return a.dist < b.dist;
}

/** The weight plan of an allocation: each layer's roles in their chosen format ('keep' = the source's 16 bits). */
export function weightPlanOf(space: DecisionSpace, alloc: WeightAllocation, layers: number): { plan: WeightPlan | null; uniform: string | null } {
  const out: Record<string, string>[] = Array.from({ length: layers }, () => ({}));
  const used = new Set<string>();
  space.items.forEach((it, i) => {
    const f = it.options[alloc.choice[i]!]!.format;
    const id = f === 'keep' ? 'bf16' : f;
    used.add(id);
    for (const r of it.roles) out[it.layer]![r] = id;
  });
  if (used.size <= 1) return { plan: null, uniform: [...used][0] ?? 'bf16' };
  return { plan: { layers: out }, uniform: null };
}

/** Per layer: the compressed/raw ratio of the 16-bit tensors an allocation keeps (1 where none). */
export function losslessRatios(space: DecisionSpace, alloc: WeightAllocation | null, layers: number): number[] {
  const raw = new Float64Array(layers);
  const packed = new Float64Array(layers);
  space.items.forEach((it, i) => {
    const kept = alloc ? it.options[alloc.choice[i]!]!.format === 'keep' : true;
    if (!kept) return;
    for (const t of it.tensors) {
      if (t.lossless === null) continue;
      const n = t.shape[0] * t.shape[1];
      raw[it.layer] = raw[it.layer]! + n;
      packed[it.layer] = packed[it.layer]! + n * t.lossless;
    }
  });
  return Array.from(raw, (r, i) => (r > 0 ? packed[i]! / r : 1));
}

function fastFormats(job: ServeJob): (f: string) => boolean {
  const a = job.accelerator;
  return (f) => !a || !formatProblem(f, a);
}

/** Everything the search tries on `input.req`'s hardware; the best candidate and how many were priced. */
export function searchHardware(input: SearchInput): { best: Candidate | null; evaluated: number } {
  const { req, space, allow } = input;
  const job0 = req.job;
  const L = job0.model.layers;
  const runs = fastFormats(job0);
  let evaluated = 0;
  let best: Candidate | null = null;
  const consider = (c: Candidate) => {
    if (!best || better(c, best)) best = c;
  };
  const kvs = allow.kv ? input.kv : [input.baseKv];
  // weight plans per K/V choice
  const plans: { kv: KvOption; alloc: WeightAllocation | null; dist: number }[] = [];
  for (const kv of kvs) {
    if (!allow.mixed) {
      if (input.baseDist + kv.dist <= input.budget || kv === input.baseKv) plans.push({ kv, alloc: null, dist: input.baseDist + kv.dist });
      continue;
    }
    const left = input.budget - kv.dist;
    if (left < 0) continue;
    const seen = new Set<string>();
    for (const allowed of [(f: string) => runs(f), (f: string) => runs(f) && /^fp8/.test(f)]) {
      const a = allocateWeights(space.items, left, allowed);
      const key = a.choice.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      plans.push({ kv, alloc: a, dist: a.dist + kv.dist });
    }
  }
  const splits = candidateSplits(job0, req.constraints);
  const requests = job0.workload.concurrency ?? 1;
  const saturation = job0.workload.concurrency === null && job0.workload.requestRate === null;
  const jobs = plans.map((p) => {
    const wp = p.alloc ? weightPlanOf(space, p.alloc, L) : { plan: null, uniform: job0.weights };
    const job: ServeJob = {
      ...job0,
      weights: wp.uniform ?? job0.weights,
      weightPlan: wp.plan,
      kvCache: p.kv.keys,
      kvSplit: p.kv.keys === p.kv.values ? null : { keys: p.kv.keys, values: p.kv.values, group: 32, residual: 0 },
      offload: null,
      placement: null,
    };
    return { p, job, ratios: allow.lossless ? losslessRatios(space, p.alloc, L) : null };
  });
  const price = (x: (typeof jobs)[number], split: ServeSplit, withPlacement: boolean) => {
    const e0 = engineFor(x.job, split);
    const r0 = evaluateServe(e0);
    evaluated++;
    const c0: Candidate = { job: x.job, split, report: r0, dist: x.p.dist, alloc: x.p.alloc, kv: x.p.kv, placement: null };
    consider(c0);
    let top = c0;
    // placement pays when the plan does not fit, or (saturation) when freeing memory raises the batch
    if (!withPlacement || (!allow.offload && !allow.lossless) || (r0.fits && !saturation)) return top;
    for (const pl of placementCandidates(e0, { lossless: x.ratios, offload: allow.offload, requests })) {
      const jp: ServeJob = { ...x.job, placement: pl };
      const c: Candidate = { job: jp, split, report: evaluateServe(engineFor(jp, split)), dist: x.p.dist, alloc: x.p.alloc, kv: x.p.kv, placement: pl };
      evaluated++;
      consider(c);
      if (better(c, top)) top = c;
    }
    return top;
  };
  // screen the splits with the plans that move the fewest and the most bytes, then search the best few fully
  const probe = new Set([jobs[0], jobs[jobs.length - 1]].filter((x) => x !== undefined));
  const shortlist =
    splits.length <= 3 || jobs.length <= 2
      ? splits
      : splits
          .map((sp) => {
            let top: Candidate | null = null;
            for (const x of probe) {
              const c = price(x, sp, true);
              if (!top || better(c, top)) top = c;
            }
            return { sp, top: top! };
          })
          .sort((a, b) => (better(a.top, b.top) ? -1 : better(b.top, a.top) ? 1 : 0))
          .slice(0, 3)
          .map((x) => x.sp);
  for (const x of jobs) for (const sp of shortlist) if (!(probe.has(x) && splits.length > 3 && jobs.length > 2)) price(x, sp, true);
  const b = best as Candidate | null;
  if (b && b.report.fits && b.report.slo && !b.report.slo.met && job0.workload.concurrency === null && job0.workload.requestRate === null) {
    // saturation misses the SLO: the largest batch that meets it
    const e = engineFor(b.job, b.split);
    for (let c = Math.floor(b.report.workload.concurrency / 2); c >= 1; c = Math.floor(c / 2)) {
      const r = evaluateServe(withWorkload(e, { concurrency: c }) as Engine);
      evaluated++;
      if (r.slo?.met) {
        consider({ ...b, job: { ...b.job, workload: { ...b.job.workload, concurrency: c } }, report: r });
        break;
      }
    }
  }
  return { best, evaluated };
}
