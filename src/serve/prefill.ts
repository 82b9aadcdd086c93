import type { Engine } from './engine.js';
import { timed } from './offload.js';
import { scaleStep, type StepTime } from './step.js';

/** Prefill of `n` prompts, in engine steps of at most maxBatchTokens tokens (each stage processes them in turn). */
export function prefillTime(e: Engine, n: number): StepTime {
  if (n === 1 && e.memo.prefillOne) return e.memo.prefillOne;
  const w = e.job.workload;
  const tokens = n * w.inputTokens;
  const steps = Math.max(1, Math.ceil(tokens / w.maxBatchTokens));
  const per = timed(e, [{ seqs: n / steps, newTokens: w.inputTokens, pastTokens: 0 }]);
  const t = scaleStep(per, steps);
  if (n === 1) e.memo.prefillOne = t;
  return t;
}
