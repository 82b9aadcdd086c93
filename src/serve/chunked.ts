import type { Segment } from '../graph/types.js';
import type { Engine } from './engine.js';
import { timed } from './offload.js';
import { expectedTokensPerStep, type SpeculativeResult } from './speculative.js';
import { scaleStep, stepTime, type StepTime } from './step.js';

/**
 * Chunked prefill (vLLM V1, SGLang): every engine step carries one decode token (k+1 with
 * speculation) for each running request plus prefill tokens of waiting prompts, all within a
 * budget of `maxBatchTokens` tokens per step (vLLM's max_num_batched_tokens counts decode and
 * speculative tokens too). At steady state with C requests decoding, C / O requests finish per
 * token and as many prompts must be prefilled: C x I / O prefill tokens per step.
 */
export interface ChunkedStep {
  /** The mean step at this load (decodes plus the prefill tokens it carries on average), per output token with speculation. */
  step: StepTime;
  /** Seconds of that mean step (draft included). */
  stepSeconds: number;
  /** Seconds between two tokens of a request (the step over the tokens it yields per request). */
  tokenInterval: number;
  /** Output tokens one step yields per request (1; more with speculation). */
  tokensPerStep: number;
  /** Prefill tokens a step carries on average, per replica (all stages). */
  prefillTokens: number;
  /** Most prefill tokens a step can carry beside the decodes, per replica (all stages). */
  budget: number;
  /** Seconds of a step with the decodes only, and with the decodes and a full prefill budget. */
  decodeOnlySeconds: number;
  fullSeconds: number;
  /** Requests/s per replica this batch serves (the prefill budget can bound it below C / (O x interval)). */
  rate: number;
  /** Seconds of a step carrying `tokens` prefill tokens (per replica) beside the decodes. */
  withPrefill: (tokens: number) => number;
  speculative: SpeculativeResult | null;
}

/** Requests in flight per replica above which the decode tokens and their prompts' chunks overflow the step budget. */
export function chunkedBatchLimit(e: Engine): number {
  const w = e.job.workload;
  const sp = e.job.speculative;
  const verify = sp ? sp.tokens + 1 : 1;
  const perStep = sp ? expectedTokensPerStep(sp.acceptance, sp.tokens) : 1;
  // per stage micro-batch b: b x verify decode tokens + b x perStep x I / O prefill tokens <= maxBatchTokens
  return Math.max(1, Math.floor((e.split.pipeline * w.maxBatchTokens) / (verify + (perStep * w.inputTokens) / w.outputTokens)));
}

interface Variant {
  /** Decode tokens per running request in a step, and output tokens that step yields per request. */
  verify: number;
  yields: number;
  /** Draft seconds per step (speculation), added to every step. */
  draft: number;
}

function variant(e: Engine, C: number, ctx: number, v: Variant): Omit<ChunkedStep, 'speculative'> {
  const w = e.job.workload;
  const pp = e.split.pipeline;
  const b = C / pp;
  const I = w.inputTokens;
  const budgetStage = Math.max(1, w.maxBatchTokens - b * v.verify);
  const demandStage = (b * v.yields * I) / w.outputTokens;
  const pStage = Math.min(demandStage, budgetStage);
  const decode: Segment = { seqs: b, newTokens: v.verify, pastTokens: ctx };
  const at = (tokensStage: number): StepTime => timed(e, tokensStage > 0 ? [decode, { seqs: tokensStage / I, newTokens: I, pastTokens: 0 }] : [decode]);
  const mean = at(pStage);
  const seconds = mean.seconds + v.draft;
  // prefill-bound when the budget cannot take every finishing request's prompt: completions are the prompts the budget admits
  const perStep = Math.min((C * v.yields) / w.outputTokens, (pp * pStage) / I);
  const step = v.yields !== 1 || v.draft > 0 ? scaleStep(mean, seconds / v.yields / mean.seconds) : mean;
  return {
    step,
    stepSeconds: seconds,
    tokenInterval: seconds / v.yields,
    tokensPerStep: v.yields,
    prefillTokens: pp * pStage,
    budget: pp * budgetStage,
    decodeOnlySeconds: at(0).seconds + v.draft,
    fullSeconds: at(budgetStage).seconds + v.draft,
    rate: perStep / seconds,
    withPrefill: (tokens: number) => at(Math.min(budgetStage, tokens / pp)).seconds + v.draft,
  };
}

/**
 * The chunked step at C requests in flight per replica and mean context `ctx`; with speculative
 * decoding (Leviathan et al. 2023) the decodes verify k+1 tokens per step, the draft proposes k,
 * and a step yields (1 - a^(k+1)) / (1 - a) tokens per request, so its prompts' chunks grow by
 * as much. Speculation is kept when it shortens the interval between tokens at this load.
 */
export function chunkedStep(e: Engine, C: number, ctx: number): ChunkedStep {
  const plain = variant(e, C, ctx, { verify: 1, yields: 1, draft: 0 });
  const sp = e.job.speculative;
  if (!sp) return { ...plain, speculative: null };
  const E = expectedTokensPerStep(sp.acceptance, sp.tokens);
  const draft = sp.tokens * stepTime(e, [{ seqs: C / e.split.pipeline, newTokens: 1, pastTokens: ctx }], e.draft!).seconds;
  const spec = variant(e, C, ctx, { verify: sp.tokens + 1, yields: E, draft });
  const result: SpeculativeResult = {
    expectedTokensPerStep: E,
    speedup: plain.tokenInterval / spec.tokenInterval,
    helps: spec.tokenInterval < plain.tokenInterval,
  };
  return { ...(result.helps ? spec : plain), speculative: result };
}
