import type { GoodputReport } from '../fleet/plan.js';
import type { ServeReport } from '../serve/report.js';
import type { TrainReport } from '../train/report.js';
import type { IntervalRow } from './fleet.js';
import type { RateRow } from './serving.js';

/**
 * The extra plans some charts need, as scenarios derived from the user's (pure transforms), and
 * drivers that run them through any planner: the library in the CLI, the HTTP API in the browser.
 */
type Obj = Record<string, unknown>;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** The serving scenario with the plan's split and formats fixed, at saturation (the largest batch that fits). */
export function saturationScenario(scenario: Obj, plan: ServeReport): Obj {
  const s = clone(scenario);
  s.parallelism = { ...plan.parallelism };
  s.quantization = { ...plan.quantization };
  const w = { ...(s.workload as Obj) };
  delete w.concurrency;
  delete w.requestRate;
  s.workload = w;
  return s;
}

/** The same at an offered request rate. */
export function rateScenario(scenario: Obj, plan: ServeReport, requestRate: number): Obj {
  const s = saturationScenario(scenario, plan);
  (s.workload as Obj).requestRate = requestRate;
  return s;
}

/** Offered rates as shares of what the split serves at saturation (the last ones past it, to show where queues blow up). */
export const RATE_SHARES = [0.1, 0.25, 0.4, 0.55, 0.7, 0.8, 0.9, 0.97, 1.1];

export async function rateSweep(scenario: Obj, plan: ServeReport, serve: (s: Obj) => Promise<ServeReport | null>): Promise<RateRow[]> {
  const sat = await serve(saturationScenario(scenario, plan));
  const cap = sat?.throughput?.requestsPerSecond;
  if (!cap || !(cap > 0)) return [];
  return Promise.all(
    RATE_SHARES.map(async (f) => {
      const requestRate = Number((cap * f).toPrecision(4));
      return { requestRate, report: await serve(rateScenario(scenario, plan, requestRate)) };
    }),
  );
}

/** The training part of a goodput scenario (to find its plan once). */
export function trainingOf(goodputScenario: Obj): Obj {
  const s = clone(goodputScenario);
  s.kind = 'training';
  delete s.reliability;
  return s;
}

/** The goodput scenario with the plan fixed, a given checkpoint interval, and few Monte Carlo trials (the chart uses the closed form). */
export function intervalScenario(goodputScenario: Obj, plan: TrainReport, minutes: number): Obj {
  const s = clone(goodputScenario);
  s.parallelism = { ...plan.parallelism };
  s.training = { ...(s.training as Obj), microBatchSize: plan.training.microBatchSize, recompute: plan.training.recompute, precision: plan.training.precision };
  const rel = { ...(s.reliability as Obj) };
  rel.checkpoint = { writeGBps: 100, ...(rel.checkpoint as Obj | undefined), intervalMinutes: minutes };
  rel.trials = 10;
  s.reliability = rel;
  return s;
}

export const INTERVAL_SHARES = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 4, 8];

export async function intervalSweep(
  goodputScenario: Obj,
  plan: TrainReport,
  optimum: GoodputReport,
  goodput: (s: Obj) => Promise<GoodputReport | null>,
): Promise<IntervalRow[]> {
  const best = optimum.checkpoint.intervalSeconds / 60;
  return Promise.all(
    INTERVAL_SHARES.map(async (f) => {
      const intervalMinutes = Number((best * f).toPrecision(3));
      return { intervalMinutes, report: await goodput(intervalScenario(goodputScenario, plan, intervalMinutes)) };
    }),
  );
}
