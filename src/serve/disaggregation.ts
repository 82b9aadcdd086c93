import { transferSeconds } from '../cost/topology.js';
import type { Engine } from './engine.js';
import { averageContext, engineBatchLimit, kvBytesPerRequest } from './memory.js';
import { prefillTime } from './prefill.js';
import { decodeStep } from './speculative.js';
import type { StepTime } from './types.js';

/**
 * Prefill/decode disaggregation (DistServe, Splitwise): separate replicas prefill and decode;
 * the prompt's KV cache crosses the scale-out network, layer by layer, to a decode replica.
 * Prefill replicas batch prompts up to the step's token budget; decode replicas run decode steps
 * only, so their tokens see no prefill stalls. The replicas are split between the pools so the
 * weaker pool carries as much as it can.
 */
export interface Disaggregation {
  prefillDevices: number;
  decodeDevices: number;
  /** Decode-to-prefill request rates per replica (how many prefill replicas one decode replica needs). */
  ratio: number;
  /** KV transfer time left exposed per request (the last layer's share; the rest overlaps the prefill). */
  kvTransferSeconds: number;
  /** Most requests/s the two pools carry together (the weaker pool's). */
  requestsPerSecond: number;
  /** Request-rate mode: the offered rate over each pool's capacity, and whether both stay below 1. */
  prefillUtilization?: number;
  decodeUtilization?: number;
  stable?: boolean;
}

export interface DisaggregatedPlan {
  info: Disaggregation;
  /** Requests/s the deployment serves (the offered rate when it keeps up). */
  requestsPerSecond: number;
  /** Requests decoding per decode replica (Little's law: its rate x the time it decodes a request). */
  decodeConcurrency: number;
  decodeStep: StepTime;
  speculative: ReturnType<typeof decodeStep>['speculative'];
  /** Null when a pool cannot carry the offered rate. */
  latency: {
    ttft: { mean: number; p50: number; p90: number; p99: number };
    tpot: { mean: number; p50: number; p90: number; p99: number };
    requestSeconds: number;
  } | null;
}

/**
 * The disaggregated deployment of `replicas` replicas of the engine's split, at `requestRate`
 * requests/s (the whole deployment) or, without one, with decode replicas running `batch`
 * requests each. Null when fewer than two replicas exist: one cannot be split into two pools.
 */
export function disaggregate(e: Engine, replicas: number, maxC: number, load: { requestRate: number } | { batch: number }): DisaggregatedPlan | null {
  if (replicas < 2) return null;
  const w = e.job.workload;
  const pp = e.split.pipeline;
  const perReplica = e.split.tensor * pp;
  const ctx = averageContext(e);
  const batch = Math.max(1, w.maxBatchTokens / w.inputTokens);
  const pfRate = batch / prefillTime(e, batch).seconds; // prompts/s per prefill replica, batched
  const pf1 = prefillTime(e, 1).seconds;
  const step = (c: number) => decodeStep(e, c / pp, ctx);
  const decRate = (c: number) => c / (w.outputTokens * step(c).step.seconds);
  const top = Math.max(1, Math.min(maxC, engineBatchLimit(e)));
  const decBatch = 'batch' in load ? Math.min(load.batch, top) : top;
  const decCap = decRate(decBatch);
  let np = 1;
  for (let n = 2; n < replicas; n++) if (Math.min(n * pfRate, (replicas - n) * decCap) > Math.min(np * pfRate, (replicas - np) * decCap)) np = n;
  const nd = replicas - np;
  const capacity = Math.min(np * pfRate, nd * decCap);
  const xfer = transferSeconds(kvBytesPerRequest(e, w.inputTokens), e.target.fabric, 'scaleOut') / e.job.model.layers;
  const info: Disaggregation = {
    prefillDevices: np * perReplica,
    decodeDevices: nd * perReplica,
    ratio: decCap / pfRate,
    kvTransferSeconds: xfer,
    requestsPerSecond: capacity,
  };
  if ('batch' in load) {
    const d = step(decBatch);
    const t = d.step.seconds;
    const ttft = pf1;
    return {
      info,
      requestsPerSecond: capacity,
      decodeConcurrency: decBatch,
      decodeStep: d.step,
      speculative: d.speculative,
      latency: {
        ttft: { mean: ttft, p50: ttft, p90: ttft, p99: ttft },
        tpot: { mean: t, p50: t, p90: t, p99: t },
        requestSeconds: ttft + xfer + (w.outputTokens - 1) * t,
      },
    };
  }
  const lam = load.requestRate;
  const rhoP = lam / (np * pfRate);
  const rhoD = lam / (nd * decCap);
  info.prefillUtilization = rhoP;
  info.decodeUtilization = rhoD;
  info.stable = rhoP < 1 && rhoD < 1;
  if (!info.stable) {
    const d = step(top);
    return { info, requestsPerSecond: capacity, decodeConcurrency: top, decodeStep: d.step, speculative: d.speculative, latency: null };
  }
  // each decode replica runs the batch whose rate is its share of the arrivals (bisected)
  const lamD = lam / nd;
  let lo = 0;
  let hi = top;
  for (let i = 0; i < 50 && hi - lo > 1e-6 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (decRate(mid) < lamD) lo = mid;
    else hi = mid;
  }
  const d = step(hi);
  const t = d.step.seconds;
  // prompts queue at a prefill replica, which prefills them batched at 1 / pfRate s each when busy (M/D/1)
  const S = 1 / pfRate;
  const wq = (rhoP * S) / (2 * (1 - rhoP));
  const tail = (p: number) => (p <= 1 - rhoP ? 0 : (wq / rhoP) * Math.log(rhoP / (1 - p)));
  const tt = (p: number) => pf1 + tail(p);
  const ttftMean = pf1 + wq;
  return {
    info,
    requestsPerSecond: lam,
    decodeConcurrency: hi,
    decodeStep: d.step,
    speculative: d.speculative,
    latency: {
      ttft: { mean: ttftMean, p50: tt(0.5), p90: tt(0.9), p99: tt(0.99) },
      tpot: { mean: t, p50: t, p90: t, p99: t },
      requestSeconds: ttftMean + xfer + (w.outputTokens - 1) * t,
    },
  };
}
