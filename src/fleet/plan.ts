import { fail } from '../core/issues.js';
import { transferSeconds, fabricFor } from '../cost/topology.js';
import { countParameters } from '../model/params.js';
import { planTraining } from '../train/plan.js';
import { warning, type Warning } from '../core/warnings.js';
import { FabricError, sizeFabric, type FabricDesign } from './fabric.js';
import { goodputClosedForm, goodputMonteCarlo, optimalInterval } from './goodput.js';
import { clusterPower, type FleetData, type PowerEstimate } from './power.js';
import { forecastInterruptions, sparePlan, type FailureModel, type SparePlan } from './reliability.js';
import type { ClusterRequest, GoodputRequest } from './types.js';

/** The contract's cluster result, plus the design details behind it. */
export interface ClusterReport {
  kind: 'cluster';
  tiers: number;
  maxAcceleratorsByTiers: number[];
  switches: { total: number; perTier: number[]; model: string; ports: number; portGbps: number };
  links: { total: number; perLevel: number[]; transceivers: number };
  bisectionGbps: number;
  oversubscription: number;
  servers: number;
  rails: number;
  planes: number;
  power: PowerEstimate;
  warnings: Warning[];
}

function fabricOrIssue(f: () => FabricDesign): FabricDesign {
  try {
    return f();
  } catch (e) {
    if (e instanceof FabricError) fail({ code: 'no_plan', path: e.field === 'count' ? ['system', 'count'] : ['network', e.field], reason: e.message });
    throw e;
  }
}

export function planCluster(n: ClusterRequest, fleet: FleetData): ClusterReport {
  const d = fabricOrIssue(() => sizeFabric(n.fabric));
  const power = clusterPower(fleet, n.accelerator, n.fabric.accelerators, d, n.pue);
  return {
    kind: 'cluster',
    tiers: d.tiers,
    maxAcceleratorsByTiers: d.maxAcceleratorsByTiers,
    switches: { total: d.switchesTotal, perTier: d.switchesPerTier, model: n.switchName, ports: d.radix, portGbps: d.portGbps },
    links: { total: d.linksTotal, perLevel: d.linksPerLevel, transceivers: d.transceivers },
    bisectionGbps: d.bisectionGbps,
    oversubscription: d.oversubscription,
    servers: d.servers,
    rails: d.rails,
    planes: d.planes,
    power,
    warnings: [],
  };
}

/** The contract's goodput result, plus the assumptions and the breakdowns behind it. */
export interface GoodputReport {
  kind: 'goodput';
  interruptions: { expected: number; meanTimeBetweenHours: number; ratePerDevicePerDay: number; byGroup: { group: string; expected: number; share: number }[] };
  checkpoint: {
    sizeBytes: number;
    writeSeconds: number;
    readSeconds: number;
    blockingSeconds: number;
    intervalSeconds: number;
    async: boolean;
    optimal: boolean;
  };
  restartSeconds: number;
  lostSeconds: { restart: number; recompute: number; checkpoint: number };
  effectiveTrainingTime: number;
  monteCarlo: { mean: number; ci95: [number, number]; trials: number };
  training: { stepSeconds: number; tokensPerSecond: number; fits: boolean; plan: string; effectiveTokensPerSecond: number; daysToTrain?: number };
  spares: SparePlan & { replacement: 'node' | 'device'; spares: number; repairHours: number };
  source: string;
  warnings: Warning[];
}

export function planGoodput(n: GoodputRequest, failures: FailureModel, onProgress?: (done: number, total: number) => void): GoodputReport {
  const rel = n.reliability;
  const job = n.training.job;
  const tr = planTraining(n.training, { alternatives: 0 });
  const devices = tr.system.count;
  const params = countParameters(job.model).total;
  const ck = rel.checkpoint ?? { writeGBps: 100 };
  const sizeBytes = params * ((ck.optimizerState ?? true) ? 2 + 12 : 2);
  const writeSeconds = sizeBytes / (ck.writeGBps * 1e9);
  const readSeconds = sizeBytes / ((ck.readGBps ?? ck.writeGBps) * 1e9);
  const isAsync = ck.async ?? false;
  // async: training only waits for its shard to reach host memory over its host link
  const snapshot = transferSeconds(sizeBytes / devices, fabricFor(job.accelerator, job.perNode, job.cal, job.fabric), 'host');
  const blocking = isAsync ? snapshot : writeSeconds;

  const model = failures;
  const rate = rel.failuresPerDevicePerDay ?? model.ratePerDeviceDay;
  if (rate <= 0)
    fail({
      code: 'too_small',
      path: ['reliability', 'failuresPerDevicePerDay'],
      minimum: 0,
      inclusive: false,
      value: rate,
      what: 'failuresPerDevicePerDay (needed to plan checkpoints)',
    });
  const f = forecastInterruptions(model, devices, rel.days, rate);
  const mtbi = 86400 / (rate * devices);
  const restartSeconds = (rel.restartMinutes ?? 10) * 60 + readSeconds;
  const step = tr.step.seconds;
  let interval = rel.checkpoint?.intervalMinutes !== undefined ? rel.checkpoint.intervalMinutes * 60 : optimalInterval(blocking, mtbi);
  if (isAsync) interval = Math.max(interval, writeSeconds); // the previous write must finish first
  interval = Math.max(step, Math.ceil(interval / step) * step); // checkpoints happen between steps
  const g = { totalSeconds: rel.days * 86400, mtbiSeconds: mtbi, restartSeconds, blockingSeconds: blocking, intervalSeconds: interval };
  const cf = goodputClosedForm(g);
  const trials = rel.trials ?? 2000;
  const mc = goodputMonteCarlo(g, trials, rel.seed ?? 1, onProgress ? (d) => onProgress(d, trials) : undefined);
  const unit = rel.replacement === 'device' ? 1 : tr.system.perNode;
  const spares = rel.spares ?? 0;
  const repairHours = rel.repairHours ?? 24;
  const p = tr.parallelism;
  const tokens = job.tokens ?? undefined;
  const eff = tr.throughput.tokensPerSecond * cf.effectiveTrainingTime;
  return {
    kind: 'goodput',
    interruptions: { expected: f.expected, meanTimeBetweenHours: f.meanTimeBetweenHours, ratePerDevicePerDay: rate, byGroup: f.byGroup },
    checkpoint: {
      sizeBytes,
      writeSeconds,
      readSeconds,
      blockingSeconds: blocking,
      intervalSeconds: interval,
      async: isAsync,
      optimal: rel.checkpoint?.intervalMinutes === undefined,
    },
    restartSeconds,
    lostSeconds: cf.lost,
    effectiveTrainingTime: cf.effectiveTrainingTime,
    monteCarlo: { mean: mc.mean, ci95: mc.ci95, trials: mc.trials },
    training: {
      stepSeconds: step,
      tokensPerSecond: tr.throughput.tokensPerSecond,
      fits: tr.fits,
      plan: `TP ${p.tensor} PP ${p.pipeline} DP ${p.data} CP ${p.context} EP ${p.expert}`,
      effectiveTokensPerSecond: eff,
      ...(tokens !== undefined ? { daysToTrain: tokens / eff / 86400 } : {}),
    },
    spares: { ...sparePlan(devices, rel.days, rate, f.hardwareShare, unit, spares, repairHours), replacement: rel.replacement ?? 'node', spares, repairHours },
    source: rel.failuresPerDevicePerDay !== undefined ? 'failure rate given in the scenario' : model.source,
    warnings: [...tr.warnings, ...goodputWarnings(rel, cf.effectiveTrainingTime, mc, writeSeconds, ck.writeGBps)],
  };
}

/** Warnings of a goodput plan: an assumed checkpoint, and a closed form the simulation does not confirm. */
function goodputWarnings(
  rel: GoodputRequest['reliability'],
  closedForm: number,
  mc: { mean: number; ci95: [number, number] },
  writeSeconds: number,
  writeGBps: number,
): Warning[] {
  const out: Warning[] = [];
  if (!rel.checkpoint)
    out.push(
      warning(
        'estimate',
        `no reliability.checkpoint given: checkpoints assumed written at ${writeGBps} GB/s (${writeSeconds.toFixed(1)} s each) at the optimal interval; give writeGBps for your storage`,
        ['reliability', 'checkpoint'],
      ),
    );
  // the simulation is exact for the model; the closed form is its first-order approximation
  const tolerance = Math.max(0.005, mc.ci95[1] - mc.ci95[0]);
  if (Math.abs(closedForm - mc.mean) > tolerance)
    out.push(
      warning(
        'estimate',
        `the closed form (${(100 * closedForm).toFixed(2)}% effective time) and the Monte Carlo simulation (${(100 * mc.mean).toFixed(2)}%) disagree by more than ${(100 * tolerance).toFixed(1)} points: trust the simulation`,
        ['reliability'],
      ),
    );
  return out;
}
