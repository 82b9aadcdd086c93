import { availableParallelism } from 'node:os';
import { SCENARIO_LIMITS } from '../scenario/load.js';

/** The HTTP API's stated limits (README, GET /v1/openapi.json). */
export interface HttpLimits {
  /** Largest request body, bytes (a scenario file's own limit). Over it: 413. */
  bodyBytes: number;
  /** Longest a request may take, waiting and planning, ms. Past it: 503, and the plan is stopped. */
  timeLimitMs: number;
  /** Plans computed at once (one worker thread each). */
  workers: number;
  /** Requests that may wait for a worker; beyond that: 503 at once. */
  queue: number;
  /** Most runner-up plans a request may ask for (?alternatives=N). */
  alternatives: number;
}

export function defaultLimits(): HttpLimits {
  return {
    bodyBytes: SCENARIO_LIMITS.bytes,
    timeLimitMs: 30_000,
    workers: Math.max(2, Math.min(4, availableParallelism() - 1)),
    queue: 128,
    alternatives: 64,
  };
}
