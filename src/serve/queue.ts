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
  // prefills that arrive during a decode step delay it by D each
  const tp = (p: number) => td + poissonQuantile(q.lambda * td, p) * D;
  return {
    stable: true,
    utilization,
    ttft: { mean: D + wq + q.decodeStep, p50: tt(0.5), p90: tt(0.9), p99: tt(0.99) },
    tpot: { mean: td + q.lambda * td * D, p50: tp(0.5), p90: tp(0.9), p99: tp(0.99) },
  };
}
