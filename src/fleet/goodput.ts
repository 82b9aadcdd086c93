/**
 * Checkpointing and goodput. Seed 003 (Baidu) states the lost training time as
 *   failures x (recovery time + recompute time) + total checkpoint-writing time,
 * and the effective training time as 1 - lost / total. The checkpoint interval defaults to
 * the optimum of Young (1974) and Daly (2006); a Monte Carlo simulation of the same process
 * checks the closed form.
 */

export interface GoodputInput {
  /** Wall-clock length of the run, seconds. */
  totalSeconds: number;
  /** Mean time between interruptions of the whole job, seconds. */
  mtbiSeconds: number;
  /** Seconds from an interruption until training resumes (detect, reschedule, load). */
  restartSeconds: number;
  /** Seconds training is blocked per checkpoint. */
  blockingSeconds: number;
  /** Seconds of work between checkpoints. */
  intervalSeconds: number;
}

export interface GoodputClosedForm {
  expectedInterruptions: number;
  lost: { restart: number; recompute: number; checkpoint: number };
  effectiveTrainingTime: number;
}

/** Daly's optimum checkpoint interval for blocking cost delta and mean time between failures M. */
export function optimalInterval(delta: number, mtbi: number): number {
  if (delta <= 0) return 0;
  if (delta >= 2 * mtbi) return mtbi;
  const r = Math.sqrt(delta / (2 * mtbi));
  return Math.sqrt(2 * delta * mtbi) * (1 + r / 3 + (r * r) / 9) - delta;
}

/**
 * The seed's formula, lost = failures x (recovery + recompute) + checkpoint time, with the
 * terms made exact for a Poisson failure process: failures that strike while the job is
 * up each cost a recovery, which itself restarts when struck again (expected length
 * (e^(R/M) - 1) M), and the work since the last checkpoint (half a cycle on average, half
 * the run at most).
 */
export function goodputClosedForm(g: GoodputInput): GoodputClosedForm {
  const M = g.mtbiSeconds;
  const recovery = M * Math.expm1(g.restartSeconds / M);
  const up = g.totalSeconds / (1 + recovery / M); // time the job is running or checkpointing
  const upFailures = up / M;
  const cycle = g.intervalSeconds + g.blockingSeconds;
  // a failure loses the work since the last checkpoint: half a cycle on average, and never more
  // than the run has done (a cycle longer than the run loses half the run on average)
  const recompute = upFailures * (Math.min(cycle, up) / 2);
  const restart = g.totalSeconds - up;
  const checkpoint = g.intervalSeconds > 0 ? (Math.max(0, up - recompute) / cycle) * g.blockingSeconds : 0;
  const lost = restart + recompute + checkpoint;
  return {
    expectedInterruptions: g.totalSeconds / M,
    lost: { restart, recompute, checkpoint },
    effectiveTrainingTime: Math.max(0, 1 - lost / g.totalSeconds),
  };
}

/** Small, fast, seedable PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface MonteCarloResult {
  mean: number;
  ci95: [number, number];
  trials: number;
  meanInterruptions: number;
}

/**
 * Simulates `trials` runs: exponential times between interruptions; work advances in
 * intervals, each closed by a blocking checkpoint; an interruption loses the work since the
 * last completed checkpoint and costs a restart (which can itself be interrupted).
 */
export function goodputMonteCarlo(g: GoodputInput, trials: number, seed = 1, onProgress?: (done: number) => void): MonteCarloResult {
  const next = rng(seed);
  const results = new Float64Array(trials);
  let interruptions = 0;
  const interval = g.intervalSeconds > 0 ? g.intervalSeconds : g.totalSeconds;
  for (let i = 0; i < trials; i++) {
    let t = 0;
    let committed = 0;
    let nextFailure = -Math.log(1 - next()) * g.mtbiSeconds;
    while (t < g.totalSeconds) {
      // one interval of work then a checkpoint
      const end = Math.min(t + interval + g.blockingSeconds, g.totalSeconds);
      if (nextFailure >= end) {
        if (end === g.totalSeconds) {
          committed += Math.min(interval, g.totalSeconds - t); // work in flight at the end still counts
        } else {
          committed += interval;
        }
        t = end;
        continue;
      }
      // interrupted: the interval's work is lost, then restart
      interruptions++;
      t = nextFailure + g.restartSeconds;
      nextFailure = nextFailure - Math.log(1 - next()) * g.mtbiSeconds;
      while (nextFailure < t) {
        interruptions++;
        t = nextFailure + g.restartSeconds;
        nextFailure = nextFailure - Math.log(1 - next()) * g.mtbiSeconds;
      }
    }
    results[i] = Math.min(1, committed / g.totalSeconds);
    if (onProgress && (i + 1) % 500 === 0) onProgress(i + 1);
  }
  let sum = 0;
  for (let i = 0; i < trials; i++) sum += results[i]!;
  const mean = sum / trials;
  let v = 0;
  for (let i = 0; i < trials; i++) v += (results[i]! - mean) ** 2;
  const sd = Math.sqrt(v / Math.max(1, trials - 1));
  const half = (1.96 * sd) / Math.sqrt(trials);
  return { mean, ci95: [mean - half, mean + half], trials, meanInterruptions: interruptions / trials };
}
