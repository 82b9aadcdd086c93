import { warning, type Warning } from '../core/warnings.js';
import type { Accelerator } from '../hardware/types.js';
import { kvBytesPerElement } from '../formats/kv.js';
import { formatProblem } from '../serve/formats.js';
import { planServe } from '../serve/plan.js';
import type { ServeReport } from '../serve/report.js';
import type { ServeJob, ServeRequest } from '../serve/types.js';
import { ACCURACY_MEASURE, decisionSpace, IMPORTANCE_SOURCE, kvOptions, type DecisionSpace, type KvOption } from './accuracy.js';
import { resolveFormat } from './resolve.js';
import { ALL, better, searchHardware, type Allow, type Candidate, type SearchInput } from './search.js';
import { loadsOn, type Target } from './targets.js';
import { typicalKvError, typicalWeightError } from './typical.js';
import type { AccuracyReport, Attribution, AttributionEntry, Decisions, Goal, OptimizationReport, Row, Sensitivity } from './types.js';

/**
 * The optimization manager's plan (pure): the baseline as the scenario states it, and the seed's
 * other three rows — the same hardware optimized, the fewest devices that keep the baseline's
 * throughput, and the same number of cheaper catalog devices — each the best joint choice of
 * weight formats, K/V formats, placement with lossless storage, split and batch under the
 * accuracy budget; what each optimization alone buys; the decisions and the accuracy account of
 * the plan the goal picks. Files and the serve command are added by the shell (run.ts).
 */

export interface OptimizeInput {
  /** The scenario, priced with the target's engine. */
  req: ServeRequest;
  goal: Goal;
  target: Target;
  sensitivity: Sensitivity;
  catalog: readonly Accelerator[];
}

const OPTIMIZATIONS: { name: AttributionEntry['optimization']; allow: Allow }[] = [
  { name: 'offload', allow: { mixed: false, kv: false, offload: true, lossless: false } },
  { name: 'lossless', allow: { mixed: false, kv: false, offload: false, lossless: true } },
  { name: 'mixed-precision', allow: { mixed: true, kv: false, offload: false, lossless: false } },
  { name: 'kv-cache', allow: { mixed: false, kv: true, offload: false, lossless: false } },
];
const NONE: Allow = { mixed: false, kv: false, offload: false, lossless: false };

/** The candidate formats of the target that a checkpoint of this hardware can run. */
export function candidateFormats(target: Target): string[] {
  return [...target.weights];
}

/** Distortion of the whole model in one format (the scenario's own), measured where the sensitivity has it, else format-typical. */
function uniformDist(space: DecisionSpace, target: Target, f: string): number {
  let d = 0;
  for (const it of space.items) {
    const o = it.options.find((x) => x.format === f);
    if (o) {
      d += o.dist;
      continue;
    }
    if (f === 'bf16' || f === 'fp16') continue;
    let err = 0;
    let ref = 0;
    for (const t of it.tensors) {
      const stored = resolveFormat(target.format, f, t.shape[0], t.shape[1]);
      err += (stored === 'keep' ? 0 : typicalWeightError(stored)) * t.reference;
      ref += t.reference;
    }
    d += it.weight * (ref > 0 ? err / ref : 0);
  }
  return d;
}

function kvOf(space: DecisionSpace, job: ServeJob): KvOption {
  const keys = job.kvSplit?.keys ?? job.kvCache;
  const values = job.kvSplit?.values ?? job.kvCache;
  const ek = typicalKvError(keys, 'k');
  const ev = typicalKvError(values, 'v');
  return { keys, values, dist: space.kvWeight.keys * ek + space.kvWeight.values * ev, errors: { keys: ek, values: ev } };
}

function onHardware(req: ServeRequest, a: Accelerator | null, devices: number): ServeRequest {
  const j = req.job;
  const acc = a ?? j.accelerator;
  const job: ServeJob = {
    ...j,
    ...(a ? { accelerator: a, pricePerHour: a.pricePerHour, fabric: {} } : {}),
    devices,
    perNode: Math.min(devices, a ? a.perNode : j.perNode),
  };
  if (acc && formatProblem(job.weights, acc)) job.weights = 'bf16';
  return { job, constraints: {}, warnings: [] };
}

const tps = (r: ServeReport | undefined | null) => (r?.fits ? (r.throughput?.outputTokensPerSecond ?? 0) : 0);

interface Ctx {
  input: OptimizeInput;
  space: DecisionSpace;
  kv: KvOption[];
  baseKv: KvOption;
  baseDist: number;
  evaluated: number;
}

function search(c: Ctx, req: ServeRequest, allow: Allow): Candidate | null {
  const si: SearchInput = {
    req,
    space: c.space,
    target: c.input.target,
    kv: c.kv,
    budget: c.input.goal.accuracy,
    allow,
    baseKv: c.baseKv,
    baseDist: c.baseDist,
  };
  const r = searchHardware(si);
  c.evaluated += r.evaluated;
  return r.best;
}

function decisionsOf(c: Ctx, cand: Candidate): Decisions {
  const job = cand.job;
  const weights: Decisions['weights'] = [];
  c.space.items.forEach((it, i) => {
    const f = cand.alloc ? it.options[cand.alloc.choice[i]!]!.format : job.weights;
    for (const t of it.tensors) {
      const stored = resolveFormat(c.input.target.format, f, t.shape[0], t.shape[1]);
      weights.push({ tensor: t.name, layer: t.layer, role: t.role, format: stored === 'keep' ? t.dtype.toLowerCase() : stored });
    }
  });
  const L = job.model.layers;
  const pl = cand.placement;
  const offload: Decisions['offload'] = [];
  for (let i = 0; i < L; i++) offload.push({ layer: i, where: pl ? pl.layers[i]! : 'device', lossless: !!pl?.lossless && (pl.lossless[i] ?? 1) < 1 });
  return {
    weights,
    kvCache: { keys: cand.kv.keys, values: cand.kv.values },
    offload,
    parallelism: { ...cand.split },
    accelerator: job.accelerator?.id ?? job.cpu?.id ?? '',
    devices: job.devices,
  };
}

function accuracyOf(c: Ctx, cand: Candidate): AccuracyReport {
  const perTensor: AccuracyReport['perTensor'] = [];
  let weightsD = 0;
  let var95 = 0;
  c.space.items.forEach((it, i) => {
    const o = cand.alloc ? it.options[cand.alloc.choice[i]!]! : null;
    const f = o?.format ?? cand.job.weights;
    let ref = 0;
    for (const t of it.tensors) ref += t.reference;
    for (const t of it.tensors) {
      const e =
        f === 'keep' || f === 'bf16' || f === 'fp16'
          ? { rel2: 0, ci95: 0 }
          : (t.errors[f] ?? { rel2: typicalWeightError(resolveFormat(c.input.target.format, f, t.shape[0], t.shape[1])), ci95: 0 });
      const contribution = ref > 0 ? (it.weight * e.rel2 * t.reference) / ref : 0;
      weightsD += contribution;
      var95 += (contribution * e.ci95) ** 2;
      const stored = resolveFormat(c.input.target.format, f, t.shape[0], t.shape[1]);
      perTensor.push({
        tensor: t.name,
        format: stored === 'keep' ? t.dtype.toLowerCase() : stored,
        relativeError: Math.sqrt(e.rel2),
        importance: ref > 0 ? (it.weight * t.reference) / ref : 0,
        contribution,
        ci95: e.ci95,
      });
    }
  });
  const total = weightsD + cand.kv.dist;
  return {
    measure: ACCURACY_MEASURE,
    budget: c.input.goal.accuracy,
    total,
    weights: weightsD,
    kvCache: {
      keys: { format: cand.kv.keys, error: cand.kv.errors.keys },
      values: { format: cand.kv.values, error: cand.kv.errors.values },
      contribution: cand.kv.dist,
    },
    ci95: total > 0 ? Math.sqrt(var95) / total : 0,
    importance: IMPORTANCE_SOURCE + (c.input.sensitivity.tensors.some((t) => t.activations) ? '; activation statistics weight the tensors they cover' : ''),
    source: c.input.sensitivity.source,
    perTensor,
  };
}

function attribution(c: Ctx, label: string, req: ServeRequest, combined: Candidate): Attribution {
  const ref = search(c, req, NONE);
  const refTps = tps(ref?.report);
  const entry = (name: AttributionEntry['optimization'], cand: Candidate | null): AttributionEntry => {
    const t = tps(cand?.report);
    return {
      optimization: name,
      outputTokensPerSecond: cand?.report.fits ? t : null,
      usdPerMillionOutputTokens: cand?.report.cost?.usdPerMillionOutputTokens ?? null,
      gain: refTps > 0 ? t / refTps - 1 : null,
      fits: !!cand?.report.fits,
    };
  };
  const singles = OPTIMIZATIONS.map((o) => entry(o.name, search(c, req, o.allow)));
  const comb = entry('combined', combined);
  const sum = refTps > 0 ? singles.reduce((s, e) => s + (e.gain ?? 0), 0) : null;
  const bestSingle = Math.max(...singles.map((e) => e.outputTokensPerSecond ?? 0));
  return {
    row: label,
    reference: { outputTokensPerSecond: ref?.report.fits ? refTps : null, fits: !!ref?.report.fits },
    entries: [...singles, comb],
    sumOfSingleGains: sum,
    combinedGain: comb.gain,
    combinedBeatsBestSingle: (comb.outputTokensPerSecond ?? 0) > bestSingle * (1 + 1e-9),
  };
}

function rowOf(c: Ctx, label: string, note: string, cand: Candidate): Row {
  return { label, note, plan: cand.report, decisions: decisionsOf(c, cand), accuracy: cand.dist };
}

/** The optimization: rows, attribution, decisions and accuracy of the best row (no files: run.ts writes them). */
export function planOptimization(input: OptimizeInput): Omit<OptimizationReport, 'files' | 'serveCommand'> & { bestCandidate: Candidate } {
  const { req, goal, target } = input;
  const job = req.job;
  const warnings: Warning[] = [...req.warnings];
  const space = decisionSpace(job.model, input.sensitivity, target, candidateFormats(target));
  const mla = !!job.model.attention.mla;
  const allKv = kvOptions(space, target, mla);
  // K/V pairs that lose to another on both bytes and error are never worth pricing
  const kv = allKv.filter((a) => !allKv.some((b) => b !== a && kvBytes(b) <= kvBytes(a) && b.dist <= a.dist && (kvBytes(b) < kvBytes(a) || b.dist < a.dist)));
  const c: Ctx = { input, space, kv, baseKv: kvOf(space, job), baseDist: uniformDist(space, target, job.weights), evaluated: 0 };
  if (space.kept.length)
    warnings.push(
      warning('estimate', `${space.kept.length} tensor(s) hold NaN or infinity and stay as stored: ${space.kept.slice(0, 3).join(', ')}`, ['checkpoint']),
    );

  // 1. the baseline, as the scenario states it
  const baseline = planServe(req, { alternatives: 0 });
  const baseCand: Candidate = {
    job,
    split: { tensor: baseline.parallelism.tensor, pipeline: baseline.parallelism.pipeline, expert: baseline.parallelism.expert },
    report: baseline,
    dist: c.baseDist + c.baseKv.dist,
    alloc: null,
    kv: c.baseKv,
    placement: null,
  };
  if (c.baseDist + c.baseKv.dist > goal.accuracy)
    warnings.push(
      warning(
        'estimate',
        `the baseline's own formats already exceed the accuracy budget (${(c.baseDist + c.baseKv.dist).toExponential(2)} > ${goal.accuracy}); the optimized rows stay within it`,
        ['goal', 'accuracy'],
      ),
    );
  if (!loadsOn(target, job.accelerator?.vendor ?? null))
    warnings.push(
      warning(
        'estimate',
        `${target.engine} is not known to load ${target.format} checkpoints on ${job.accelerator ? `${job.accelerator.vendor} accelerators (${job.accelerator.id})` : 'CPUs'}: the rows on this hardware are priced, but the written files may not load there`,
        ['system'],
      ),
    );
  const rows: Row[] = [rowOf(c, 'baseline', 'the scenario as given', baseCand)];
  const T = tps(baseline);
  const count = job.devices;

  // 2. the same hardware, optimized
  const same = search(c, onHardware(req, null, count), ALL) ?? baseCand;
  rows.push(rowOf(c, 'same hardware, optimized', `${count} x ${job.accelerator?.id ?? job.cpu?.id}`, same));

  // 3. the fewest devices that keep the baseline's throughput (throughput grows with devices: bisect)
  let fewer: { n: number; cand: Candidate } | null = null;
  const reaches = (cand: Candidate | null) => !!cand && cand.report.fits && (cand.report.slo?.met ?? true) && (T > 0 ? tps(cand.report) >= T : true);
  if (!job.cpu && count > 1) {
    let lo = 1;
    let hi = count - 1;
    const memo = new Map<number, Candidate | null>();
    const at = (n: number) => {
      if (!memo.has(n)) memo.set(n, search(c, onHardware(req, null, n), ALL));
      return memo.get(n)!;
    };
    if (reaches(at(hi))) {
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (reaches(at(mid))) hi = mid;
        else lo = mid + 1;
      }
      fewer = { n: hi, cand: at(hi)! };
    }
  }
  if (fewer)
    rows.push(
      rowOf(
        c,
        'fewer devices, same throughput',
        T > 0
          ? `${fewer.n} devices keep the baseline's ${T.toFixed(0)} output tokens/s`
          : `${fewer.n} devices: the fewest on which the plan fits (the baseline does not fit)`,
        fewer.cand,
      ),
    );
  else
    rows.push(
      rowOf(
        c,
        'fewer devices, same throughput',
        count > 1 && !job.cpu ? `no fewer than ${count} devices reach the baseline's throughput: the same-hardware plan` : 'one device: nothing fewer',
        same,
      ),
    );

  // 4. the same count of cheaper (weaker) catalog devices
  let cheaper: { a: Accelerator; cand: Candidate } | null = null;
  let cheapestAny: { a: Accelerator; cand: Candidate } | null = null;
  if (job.accelerator) {
    const price = job.pricePerHour;
    for (const a of input.catalog) {
      if (!(a.pricePerHour < price) || !a.peakFlops.bf16 || a.memoryBytes <= 0 || a.id === job.accelerator.id) continue;
      if (!loadsOn(target, a.vendor)) continue; // its engine does not load these files there
      const cand = search(c, onHardware(req, a, count), ALL);
      if (!cand || !cand.report.fits || !(cand.report.slo?.met ?? true)) continue;
      const usd = cand.report.cost?.usdPerMillionOutputTokens ?? Infinity;
      if (reaches(cand) && (!cheaper || usd < (cheaper.cand.report.cost?.usdPerMillionOutputTokens ?? Infinity))) cheaper = { a, cand };
      if (!cheapestAny || usd < (cheapestAny.cand.report.cost?.usdPerMillionOutputTokens ?? Infinity)) cheapestAny = { a, cand };
    }
  }
  const pick = cheaper ?? cheapestAny;
  if (pick)
    rows.push(
      rowOf(
        c,
        'cheaper devices',
        cheaper
          ? `${count} x ${pick.a.id} ($${pick.a.pricePerHour.toFixed(2)}/h each) keep the baseline's throughput at the lowest cost per token`
          : `no cheaper device reaches the baseline's throughput; ${count} x ${pick.a.id} has the lowest cost per token`,
        pick.cand,
      ),
    );
  else rows.push(rowOf(c, 'cheaper devices', 'no cheaper catalog device runs this plan: the same-hardware plan', same));

  // the row the goal picks
  const byObjective: Record<Goal['objective'], number> = { throughput: 1, devices: 2, 'cheaper-hardware': 3, cost: -1 };
  let bi = byObjective[goal.objective];
  if (bi < 0) {
    bi = 1;
    for (let i = 2; i < rows.length; i++) {
      const u = rows[i]!.plan.cost?.usdPerMillionOutputTokens ?? Infinity;
      if (rows[i]!.plan.fits && u < (rows[bi]!.plan.cost?.usdPerMillionOutputTokens ?? Infinity)) bi = i;
    }
  }
  const cands = [baseCand, same, fewer?.cand ?? same, pick?.cand ?? same];
  const bestCandidate = cands[bi]!;
  const bestRow = rows[bi]!;
  if (!bestCandidate.report.fits) warnings.push(warning('does_not_fit', `no plan within the accuracy budget fits (${bestRow.label})`, ['goal']));

  // what each optimization buys, on each optimized row's hardware
  const attr: Attribution[] = [];
  const rowReqs: [string, ServeRequest, Candidate][] = [['same hardware, optimized', onHardware(req, null, count), same]];
  if (fewer) rowReqs.push(['fewer devices, same throughput', onHardware(req, null, fewer.n), fewer.cand]);
  if (pick) rowReqs.push(['cheaper devices', onHardware(req, pick.a, count), pick.cand]);
  for (const [label, r, cand] of rowReqs) attr.push(attribution(c, label, r, cand));

  if (better(baseCand, same) && same !== baseCand)
    warnings.push(warning('estimate', 'the search found nothing better than the baseline on its own hardware', ['goal']));
  return {
    kind: 'optimization',
    goal,
    format: target.format,
    engine: target.engine,
    baseline,
    best: bestCandidate.report,
    bestRow: bestRow.label,
    rows,
    decisions: bestRow.decisions,
    accuracy: accuracyOf(c, bestCandidate),
    attribution: attr,
    sensitivity: {
      source: input.sensitivity.source,
      tensors: input.sensitivity.tensors.length,
      notes: input.sensitivity.notes,
      ...(input.sensitivity.pass ? { pass: input.sensitivity.pass } : {}),
    },
    search: { evaluated: c.evaluated },
    warnings,
    bestCandidate,
  };
}

function kvBytes(k: KvOption): number {
  return kvBytesPerElement(k.keys) + kvBytesPerElement(k.values);
}
