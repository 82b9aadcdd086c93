import type { Segment } from '../graph/types.js';
import type { Engine } from './engine.js';
import { timed } from './offload.js';
import { scaleStep, stepTime, type StepTime } from './step.js';

/**
 * Speculative decoding (Leviathan et al. 2023): a draft proposes k tokens, the target verifies
 * k+1 in one step; with per-token acceptance a the expected tokens per step are
 * (1 - a^(k+1)) / (1 - a).
 */
export interface SpeculativeResult {
  expectedTokensPerStep: number;
  speedup: number;
  helps: boolean;
}

/** Expected tokens per verification step at per-token acceptance `acceptance` with `tokens` proposed. */
export function expectedTokensPerStep(acceptance: number, tokens: number): number {
  const a = Math.min(acceptance, 0.999);
  return (1 - Math.pow(a, tokens + 1)) / (1 - a);
}

/** The decode step per token at `seqs` sequences per stage and context `ctx`, with speculation when the job asks for it and it helps. */
export function decodeStep(e: Engine, seqs: number, ctx: number): { step: StepTime; speculative: SpeculativeResult | null } {
  const plain: Segment[] = [{ seqs, newTokens: 1, pastTokens: ctx }];
  const base = timed(e, plain);
  const sp = e.job.speculative;
  if (!sp) return { step: base, speculative: null };
  const E = expectedTokensPerStep(sp.acceptance, sp.tokens);
  const verify = timed(e, [{ seqs, newTokens: sp.tokens + 1, pastTokens: ctx }]);
  const draft = stepTime(e, plain, e.draft!);
  const per = (verify.seconds + sp.tokens * draft.seconds) / E;
  const result = { expectedTokensPerStep: E, speedup: base.seconds / per, helps: per < base.seconds };
  return { step: result.helps ? scaleStep(verify, per / verify.seconds) : base, speculative: result };
}
