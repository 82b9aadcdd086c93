import type { IssueBody, Path } from '../core/issues.js';
import { fabricFor } from '../cost/topology.js';
import { divisors, firstBroken, type Rule } from '../rules/table.js';
import { F, FIELDS } from './fields.js';
import { priceSplit, type SplitCost } from './price-split.js';
import { microBatchOf, reportFrom, type TrainReport } from './report.js';
import { TRAIN_RULES } from './rules.js';
import { scheduleStep } from './schedule.js';
import { basePlan, RECOMPUTE, type PlanConstraints, type Recompute, type TrainJob, type TrainPlan, type TrainPrecision } from './types.js';

/**
 * Exhaustive search over every valid split the constraints leave open. Per-layer costs
 * are computed once per distinct (tp, cp, ep, sp, micro-batch) and reused; each candidate
 * is then an O(1) assembly into a preallocated array, with no allocation per candidate.
 */

export interface Alternative extends TrainReport {
  /** Why this plan loses to the best one. */
  why: string;
}

export interface SearchResult {
  best: TrainReport | null;
  alternatives: Alternative[];
  /** When nothing fits: the plan that comes closest (least memory). */
  closest: TrainReport | null;
  /** When no valid split exists: the first rule a candidate broke. */
  firstProblem: { rule: Rule<TrainJob, TrainPlan>; data: IssueBody } | null;
  /**
   * Every distinct reason candidates were turned down, in the order first met: a broken rule, or a
   * bound of the search space (sizes the search does not try). What explains an empty search.
   */
  rejections: Rejection[];
  evaluated: number;
  feasible: number;
  distinctLayerCosts: number;
}

export interface Rejection {
  path: Path;
  issue: IssueBody;
  /** How many candidates (of whatever granularity the check runs at) it turned down. */
  candidates: number;
}

export interface SearchOptions {
  /** Number of alternatives to return besides the best. */
  alternatives?: number;
  /** Largest micro-batch size to try. */
  maxMicroBatch?: number;
}

const TOPK = 64;
const ZEROS: readonly (0 | 1 | 2 | 3)[] = [0, 1, 2, 3];
const VSTAGES: readonly number[] = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16];

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

interface Slot {
  score: number;
  mem: number;
  plan: TrainPlan;
  sc: SplitCost;
}

/** The rules that read the virtual stages (checked again when only they change). */
const V_RULES = TRAIN_RULES.filter((r) => (r.keys as readonly string[]).includes('virtualStages'));

export function searchPlans(job: TrainJob, c: PlanConstraints, o: SearchOptions = {}): SearchResult {
  const m = job.model;
  const N = job.devices;
  const L = m.layers;
  const seq = job.sequenceLength;
  const gbs = job.globalBatchSize;
  const cap = job.accelerator.memoryBytes;
  const fabric = fabricFor(job.accelerator, job.perNode, job.cal, job.fabric);
  const maxMb = o.maxMicroBatch ?? 16;
  const offers = job.stack.offers;
  const precisions: TrainPrecision[] =
    c.precision !== undefined
      ? [c.precision]
      : ((job.accelerator.peakFlops.fp8 ? ['bf16', 'fp8'] : ['bf16']).filter((x) => offers.precision.includes(x as TrainPrecision)) as TrainPrecision[]);

  const out = new Float64Array(FIELDS);
  const plan: TrainPlan = basePlan();
  const top: Slot[] = [];
  let closest: Slot | null = null;
  let evaluated = 0;
  let feasible = 0;
  let distinct = 0;
  let firstProblem: SearchResult['firstProblem'] = null;
  const rejected = new Map<unknown, Rejection>();
  const reject = (key: unknown, path: Path, issue: IssueBody): void => {
    const r = rejected.get(key);
    if (r) r.candidates++;
    else rejected.set(key, { path, issue, candidates: 1 });
  };
  /** The plan as it stands breaks a rule: noted, and true. */
  const broken = (rules: readonly Rule<TrainJob, TrainPlan>[] = TRAIN_RULES): boolean => {
    const problem = firstBroken(rules, job, plan);
    if (problem === null) return false;
    firstProblem ??= problem;
    reject(problem.rule, problem.rule.path, problem.data);
    return true;
  };
  /** A size the search does not try (a bound of its space, not a rule of validity): noted, and true. */
  const beyond = (key: string, path: Path, ok: boolean, issue: () => IssueBody): boolean => {
    if (!ok) reject(key, path, issue());
    return !ok;
  };
  /** A parallelism of this size the framework does not offer: noted, and true. */
  const notOffered = (dim: 'tensor' | 'context' | 'pipeline', size: number, offered: boolean): boolean =>
    beyond(`${dim}-offer`, ['parallelism', dim], offered, () => ({
      code: 'unsupported',
      feature: `${dim} ${size}`,
      reason: `framework ${job.framework} offers no ${dim} parallelism`,
    }));
  const domain = Math.max(fabric.domain, 1);
  const maxTp = Math.min(domain, 64);
  const MIN_CP_TOKENS = 1024;

  // a tensor size that breaks the table's own rules (the heads) is reported as such, before the
  // bounds that only keep the search small
  const tensorRules = TRAIN_RULES.filter((r) => r.keys.every((k) => k === 'tensor'));
  const tensorBroken = (t: number): boolean => {
    const p = basePlan({ tensor: t });
    for (const r of tensorRules) {
      const d = r.check(job, p);
      if (d) {
        firstProblem ??= { rule: r, data: d };
        reject(r, r.path, d);
        return true;
      }
    }
    return false;
  };
  const tpList =
    c.tensor !== undefined
      ? [c.tensor]
      : divisors(N).filter(
          (t) =>
            !(
              tensorBroken(t) ||
              notOffered('tensor', t, t === 1 || offers.tensorParallel !== false) ||
              beyond('tp-domain', ['parallelism', 'tensor'], t <= maxTp, () => ({
                code: 'too_big',
                maximum: maxTp,
                inclusive: true,
                value: t,
                what: `tensor (the search keeps tensor parallelism inside one scale-up domain of ${domain} devices${domain > 64 ? ', and at most 64' : ''}; fix parallelism.tensor to go beyond)`,
              }))
            ),
        );
  const recList: readonly Recompute[] = c.recompute !== undefined ? [c.recompute] : RECOMPUTE.filter((r) => offers.recompute.includes(r));
  const zeroList = c.zero !== undefined ? [c.zero] : ZEROS.filter((z) => offers.zero.includes(z));
  // partial recomputation and activation offload: the fewest layers that make the plan fit, found
  // from memory being linear in the number of layers (two evaluations), then checked
  const searchLayers = c.recomputeLayers === undefined && offers.recomputeLayers;
  const searchOffload = c.offloadLayers === undefined && offers.activationOffload;

  // evaluates the plan as it stands (no allocation unless it enters the top list) and returns its memory
  const consider = (sc: SplitCost): number => {
    scheduleStep(job, plan, sc, out);
    evaluated++;
    const mem = out[F.memTotal]!;
    if (mem <= cap) {
      feasible++;
      const score = out[F.tokensPerSecond]!;
      if (top.length < TOPK || score > top[top.length - 1]!.score) insert(top, { score, mem, plan: { ...plan }, sc });
    } else if (closest === null || mem < closest.mem) {
      closest = { score: 0, mem, plan: { ...plan }, sc };
    }
    return mem;
  };

  for (const tp of tpList) {
    if (N % tp !== 0) continue;
    // the sequence-length rule is the table's (2 x context must divide it, only when context > 1)
    const cpList =
      c.context !== undefined
        ? [c.context]
        : [1, 2, 4, 8, 16, 32].filter(
            (x) =>
              (N / tp) % x === 0 &&
              (x === 1 ||
                !(
                  notOffered('context', x, offers.contextParallel) ||
                  beyond('cp-tokens', ['parallelism', 'context'], seq / x >= MIN_CP_TOKENS, () => ({
                    code: 'too_big',
                    maximum: Math.floor(seq / MIN_CP_TOKENS),
                    inclusive: true,
                    value: x,
                    what: `context (the search gives each context-parallel rank at least ${MIN_CP_TOKENS} tokens of a sequence; fix parallelism.context to go below)`,
                  }))
                )),
          );
    for (const cp of cpList) {
      if ((N / tp) % cp !== 0) continue;
      const rest = N / (tp * cp);
      const ppList =
        c.pipeline !== undefined
          ? [c.pipeline]
          : divisors(rest).filter(
              (p) =>
                p === 1 ||
                !(
                  notOffered('pipeline', p, offers.pipelineParallel !== false) ||
                  beyond('pp-layers', ['parallelism', 'pipeline'], p <= L, () => ({
                    code: 'too_big',
                    maximum: L,
                    inclusive: true,
                    value: p,
                    what: `pipeline (the search gives every stage at least one of the model's ${L} layers)`,
                  }))
                ),
            );
      for (const pp of ppList) {
        if (rest % pp !== 0) continue;
        const dp = rest / pp;
        if (c.data !== undefined && c.data !== dp) continue;
        // the shape's own rules (heads, sequence, batch), with every other key at a value that obeys its rules
        Object.assign(plan, basePlan({ tensor: tp, context: cp, pipeline: pp, data: dp, precision: precisions[0] ?? 'bf16' }));
        if (broken()) continue;
        const local = gbs / dp;
        const mbsList = c.microBatchSize !== undefined ? [c.microBatchSize] : divisors(local).filter((x) => x <= maxMb);
        const epList = !m.moe ? [1] : c.expert !== undefined ? [c.expert] : offers.expertParallel ? divisors(gcd(m.moe.experts, tp * dp * cp)) : [1];
        // a fixed choice is kept even at tensor 1, where the rules turn sequence parallelism down
        const spList = c.sequenceParallel !== undefined ? [c.sequenceParallel] : tp > 1 && offers.sequenceParallel ? [true, false] : [false];
        const vList = c.virtualStages !== undefined ? [c.virtualStages] : pp === 1 || !offers.virtualStages ? [1] : VSTAGES.filter((v) => pp * v <= L);
        for (const precision of precisions) {
          for (const ep of epList) {
            for (const sp of spList) {
              for (const mbs of mbsList) {
                plan.precision = precision;
                plan.tensor = tp;
                plan.context = cp;
                plan.pipeline = pp;
                plan.data = dp;
                plan.expert = ep;
                plan.sequenceParallel = sp;
                plan.microBatchSize = mbs;
                plan.virtualStages = c.virtualStages ?? 1;
                plan.zero = 0;
                plan.recompute = 'none';
                plan.recomputeLayers = c.recomputeLayers ?? 0;
                plan.offloadLayers = c.offloadLayers ?? 0;
                if (broken()) continue;
                const sc = priceSplit(job, microBatchOf(plan));
                distinct++;
                const checkedV = plan.virtualStages;
                for (const v of vList) {
                  plan.virtualStages = v;
                  // only the virtual-stage rules can break when nothing but the virtual stages changed
                  if (v !== checkedV && broken(V_RULES)) continue;
                  for (const rc of recList) {
                    plan.recompute = rc;
                    for (const z of zeroList) {
                      plan.zero = z;
                      const mem = consider(sc);
                      const S = Math.min(Math.ceil(L / (pp * v)) * v, L);
                      if (rc === 'full' && searchLayers && plan.recomputeLayers === 0 && mem <= cap && S > 1) {
                        // full recomputation of every layer fits: recompute only as many layers as the memory needs
                        plan.recomputeLayers = 1;
                        scheduleStep(job, plan, sc, out);
                        const per = (out[F.memTotal]! - mem) / (S - 1);
                        const k = per > 0 ? Math.max(1, Math.ceil(S - (cap - mem) / per)) : 1;
                        if (k < S) {
                          plan.recomputeLayers = k;
                          if (consider(sc) > cap && k + 1 < S) {
                            plan.recomputeLayers = k + 1;
                            consider(sc);
                          }
                        }
                        plan.recomputeLayers = 0;
                      }
                      if (mem > cap && S > 1 && searchOffload && plan.offloadLayers === 0 && !(rc === 'full' && plan.recomputeLayers > 0)) {
                        plan.offloadLayers = S;
                        scheduleStep(job, plan, sc, out);
                        const all = out[F.memTotal]!;
                        if (all <= cap) {
                          plan.offloadLayers = 1;
                          scheduleStep(job, plan, sc, out);
                          const one = out[F.memTotal]!;
                          const per = (one - all) / (S - 1);
                          let k = per > 0 ? Math.max(1, Math.ceil(S - (cap - all) / per)) : S;
                          k = Math.min(S, k);
                          plan.offloadLayers = k;
                          if (consider(sc) > cap && k < S) {
                            plan.offloadLayers = k + 1;
                            consider(sc);
                          }
                        }
                        plan.offloadLayers = 0;
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  const report = (s: Slot) => {
    scheduleStep(job, s.plan, s.sc, out);
    return reportFrom(job, s.plan, out, s.sc.device.profile);
  };
  const best = top.length ? report(top[0]!) : null;
  const alternatives: Alternative[] = [];
  if (best) {
    const want = o.alternatives ?? 4;
    const shape = (p: TrainPlan) => `${p.tensor}/${p.pipeline}/${p.context}/${p.expert}/${p.virtualStages}/${p.microBatchSize}`;
    const seen = new Set([shape(top[0]!.plan)]);
    const picked: Slot[] = [];
    for (const s of top.slice(1)) {
      if (picked.length >= want) break;
      if (seen.has(shape(s.plan))) continue;
      seen.add(shape(s.plan));
      picked.push(s);
    }
    for (const s of top.slice(1)) {
      if (picked.length >= want) break;
      if (!picked.includes(s)) picked.push(s);
    }
    picked.sort((x, y) => y.score - x.score);
    for (const s of picked) {
      const r = report(s);
      alternatives.push({ ...r, why: whyLoses(r, best) });
    }
  }
  return {
    best,
    alternatives,
    closest: best === null && closest !== null ? report(closest) : null,
    firstProblem,
    rejections: [...rejected.values()],
    evaluated,
    feasible,
    distinctLayerCosts: distinct,
  };
}

function insert(top: Slot[], s: Slot): void {
  let i = top.length;
  while (i > 0 && top[i - 1]!.score < s.score) i--;
  top.splice(i, 0, s);
  if (top.length > TOPK) top.pop();
}

/** Names the step-time components where `r` is worse than `best`, largest first. */
export function whyLoses(r: TrainReport, best: TrainReport): string {
  const slower = r.step.seconds / best.step.seconds - 1;
  const d = [
    ['compute', r.step.breakdown.compute - best.step.breakdown.compute],
    ['exposed communication', r.step.breakdown.exposedCommunication - best.step.breakdown.exposedCommunication],
    ['pipeline bubble', r.step.breakdown.pipelineBubble - best.step.breakdown.pipelineBubble],
    ['optimizer/other', r.step.breakdown.other - best.step.breakdown.other],
  ] as [string, number][];
  d.sort((x, y) => y[1] - x[1]);
  const parts = d.filter(([, v]) => v > 0.005 * best.step.seconds).map(([k, v]) => `${k} +${fmtS(v)}`);
  const memo =
    r.memory.perDeviceBytes > best.memory.perDeviceBytes
      ? `; uses ${((r.memory.perDeviceBytes - best.memory.perDeviceBytes) / 1e9).toFixed(1)} GB more memory`
      : `; saves ${((best.memory.perDeviceBytes - r.memory.perDeviceBytes) / 1e9).toFixed(1)} GB of memory`;
  return `${(slower * 100).toFixed(1)}% slower${parts.length ? ': ' + parts.join(', ') : ''}${memo}`;
}

function fmtS(s: number): string {
  return s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(0)} ms`;
}
