/**
 * Request-rate mode: Poisson arrivals at rate lambda to a replica that prefills each request
 * (D seconds, one at a time) between decode steps of `td` seconds. Stable only while the
 * offered rate is below what the replica can serve; an unstable queue has no latency.
 */

export interface QueueInput {
  /** Offered requests/s per replica. */
  lambda: number;
  /** Most requests/s the replica serves at the largest concurrency that fits. */
  capacity: number;
  /** Seconds of one prompt's prefill. */
  prefill: number;
  /** Seconds of one decode step at the chosen concurrency. */
  decodeStep: number;
  /** Share of the engine's time spent prefilling at the chosen concurrency. */
  prefillShare: number;
}

export interface QueueResult {
  stable: boolean;
  utilization: number;
  ttft: { mean: number; p50: number; p90: number; p99: number } | null;
  tpot: { mean: number; p50: number; p90: number; p99: number } | null;
}

/** Smallest k with P(Poisson(mean) <= k) >= p. */
export function poissonQuantile(mean: number, p: number): number {
  let term = Math.exp(-mean);
  let cdf = term;
  let k = 0;
  while (cdf < p && k < 100000) {
    k++;
    term *= mean / k;
    cdf += term;
  }
  return k;
}

export function queue(q: QueueInput): QueueResult {
  const utilization = q.lambda / q.capacity;
  if (!(utilization < 1)) return { stable: false, utilization, ttft: null, tpot: null };
  const D = q.prefill;
  const rho = Math.min(q.prefillShare, 1 - 1e-9);
  // M/D/1 mean wait for the prefill slot, and an exponential tail for its percentiles
  const wq = (rho * D) / (2 * (1 - rho));
  const tail = (p: number) => (p <= 1 - rho ? 0 : (wq / Math.max(rho, 1e-9)) * Math.log(rho / (1 - p)));
  const tt = (p: number) => D + tail(p) + q.decodeStep;
  const td = q.decodeStep;
  // prefills that arrive during a decode step delay it by D each; on average the engine decodes
  // only the share of its time it does not prefill, so tokens come td / (1 - rho) apart
  const tp = (p: number) => td + poissonQuantile(q.lambda * td, p) * D;
  return {
    stable: true,
    utilization,
    ttft: { mean: D + wq + q.decodeStep, p50: tt(0.5), p90: tt(0.9), p99: tt(0.99) },
    tpot: { mean: td / (1 - rho), p50: tp(0.5), p90: tp(0.9), p99: tp(0.99) },
  };
}

export interface ChunkedQueueInput {
  /** Offered requests/s per replica. */
  lambda: number;
  /** Most requests/s the replica serves at the largest batch that fits. */
  capacity: number;
  /** Prompt tokens of a request. */
  inputTokens: number;
  /** Mean step at this load, and the interval between two tokens of a request. */
  stepSeconds: number;
  tokenInterval: number;
  /** Output tokens a step yields per request. */
  tokensPerStep: number;
  /** Most prefill tokens a step carries beside the decodes (per replica). */
  budget: number;
  /** A step with the decodes only, and with the decodes and a full prefill budget. */
  decodeOnlySeconds: number;
  fullSeconds: number;
  /** Seconds of a step carrying `tokens` prefill tokens beside the decodes. */
  stepWith: (tokens: number) => number;
}

export interface ChunkedQueueResult extends QueueResult {
  /** Share of the prefill budget's time the arriving prompts use. */
  prefillUtilization: number;
  /** Mean seconds a request waits before its first chunk is scheduled (the step in progress, then the prompts ahead). */
  waitSeconds: number;
}

/**
 * P(U + W <= x) for U uniform on [0, t] (the rest of the step in progress when a request arrives)
 * and W the M/D/1 wait with an exponential tail: P(W = 0) = 1 - rho, P(W > y) = rho e^(-y/m).
 */
function residualPlusWaitCdf(x: number, t: number, rho: number, m: number): number {
  if (x <= 0) return 0;
  if (t <= 0) return 1 - rho * Math.exp(-x / m);
  const a = Math.min(x, t);
  return (a - rho * m * (Math.exp(-(x - a) / m) - Math.exp(-x / m))) / t;
}

function residualPlusWaitQuantile(p: number, t: number, rho: number, m: number): number {
  let lo = 0;
  let hi = t + m * Math.max(0, Math.log(Math.max(rho, 1e-300) / (1 - p))) + 1e-12;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (residualPlusWaitCdf(mid, t, rho, m) < p) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * Request-rate mode with chunked prefill. Prompts queue, first come first served, for the
 * prefill budget of the steps; when prompts are waiting every step carries a full budget, so a
 * prompt of I tokens occupies the pipe for S = I x fullStep / budget seconds: an M/D/1 queue at
 * rho = lambda x S (Pollaczek-Khinchine mean wait rho S / (2 (1 - rho)), exponential tail).
 * A request's TTFT is the rest of the step in progress, its wait, and its own chunks:
 * ceil(I / budget) steps of decodes plus I tokens of prefill work. Its tokens come one step
 * apart; a step carries the prompts that arrived during the one before (Poisson), so the
 * interval's percentiles are those steps' times and its mean the step at the mean load: the
 * prefill work is counted once, inside the step.
 */
export function chunkedQueue(q: ChunkedQueueInput): ChunkedQueueResult {
  const I = q.inputTokens;
  const B = Math.max(1, q.budget);
  const S = (I * q.fullSeconds) / B;
  const rho = q.lambda * S;
  const load = q.lambda / q.capacity;
  const utilization = Math.max(load, rho);
  if (!(load < 1 && rho < 1)) return { stable: false, utilization, prefillUtilization: rho, waitSeconds: Infinity, ttft: null, tpot: null };
  const tau = Math.max(0, q.fullSeconds - q.decodeOnlySeconds) / B;
  const own = Math.ceil(I / B) * q.decodeOnlySeconds + I * tau;
  const wq = (rho * S) / (2 * (1 - rho));
  const m = S / (2 * (1 - rho)); // the tail's scale: rho x m = wq
  const t = q.stepSeconds;
  const tt = (p: number) => own + residualPlusWaitQuantile(p, t, rho, m);
  const arrivals = q.lambda * t;
  const tp = (p: number) => q.stepWith(I * poissonQuantile(arrivals, p)) / q.tokensPerStep;
  return {
    stable: true,
    utilization,
    prefillUtilization: rho,
    waitSeconds: t / 2 + wq,
    ttft: { mean: own + t / 2 + wq, p50: tt(0.5), p90: tt(0.9), p99: tt(0.99) },
    tpot: { mean: q.tokenInterval, p50: tp(0.5), p90: tp(0.9), p99: tp(0.99) },
  };
}
