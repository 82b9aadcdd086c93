import { describe, expect, it } from 'vitest';
import { builtinModel } from '../model/registry.js';
import { stepGraph, type StepSplit } from './step.js';

const split = (tp: number, decodeAttention?: StepSplit['decodeAttention']): StepSplit => ({
  tp,
  pp: 1,
  ep: 1,
  weightBits: () => 16,
  compute: 'bf16',
  kvBytes: 2,
  ...(decodeAttention ? { decodeAttention } : {}),
});
const load = { decodeSeqs: 32, decodeContext: 2048, prefillSeqs: 0, prefillTokens: 0 };
const kvRead = (id: string, tp: number, mode?: StepSplit['decodeAttention']) => stepGraph(builtinModel(id)!, split(tp, mode), load).kvBytesRead;

describe('decode attention kernels', () => {
  it('a per-query-head kernel re-reads each GQA KV head once per query head of its group', () => {
    // Llama 3.1 70B: 64 query heads over 8 KV heads, a group of 8
    expect(kvRead('llama-3.1-70b', 1, 'per-query-head') / kvRead('llama-3.1-70b', 1)).toBeCloseTo(8, 10);
    // at TP 8 each device holds 8 query heads and 1 KV head: still a group of 8
    expect(kvRead('llama-3.1-70b', 8, 'per-query-head') / kvRead('llama-3.1-70b', 8)).toBeCloseTo(8, 10);
    // Llama 3.1 8B: 32 over 8, a group of 4
    expect(kvRead('llama-3.1-8b', 1, 'per-query-head') / kvRead('llama-3.1-8b', 1)).toBeCloseTo(4, 10);
  });

  it('changes nothing for multi-head or latent (MLA) attention, and grouped is the default', () => {
    expect(kvRead('llama-2-7b', 1, 'per-query-head')).toBe(kvRead('llama-2-7b', 1));
    expect(kvRead('deepseek-v3', 1, 'per-query-head')).toBe(kvRead('deepseek-v3', 1));
    expect(kvRead('llama-3.1-70b', 4, 'grouped')).toBe(kvRead('llama-3.1-70b', 4));
  });
});
