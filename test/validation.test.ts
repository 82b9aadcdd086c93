import { describe, expect, it } from 'vitest';
import { ctx } from './ctx.js';
import { corpusDir } from '../src/validate/corpus.js';
import { validateInference, validateTraining } from '../src/validate/validate.js';

// The public corpora (../shared/validation, or the copy in data/validation): published measurements,
// each predicted with no knowledge of its value. The figure that counts is out of sample: every row
// predicted by a calibration refitted without its source group (from the unfitted priors). The
// targets of issue 11: median at most 10%, p90 at most 25%, for training and for serving.
describe('validation against published training measurements', () => {
  const s = validateTraining(corpusDir(), ctx);

  it('predicts (or explains) every row', () => {
    expect(s.rows.length).toBeGreaterThanOrEqual(163);
    for (const r of s.rows) expect(r.predicted !== null || (r.unsupported ?? '').length > 0).toBe(true);
    expect(s.unsupported).toBeLessThanOrEqual(2);
    expect(s.outOfSample!.rows.length).toBe(s.predicted);
  });

  it('out of sample: median absolute error at most 10%, p90 at most 25%', () => {
    expect(s.outOfSample!.medianApe).toBeLessThanOrEqual(10);
    expect(s.outOfSample!.p90Ape).toBeLessThanOrEqual(25);
  });

  it('in sample (the shipped constants) is no worse than out of sample, and its fitted constants are few', () => {
    expect(s.medianApe).toBeLessThanOrEqual(s.outOfSample!.medianApe + 0.5);
    expect(s.outOfSample!.fittedConstants.length).toBeLessThanOrEqual(9);
  });
});

describe('validation against published inference measurements', () => {
  const s = validateInference(corpusDir(), ctx);

  it('predicts every row', () => {
    expect(s.rows.length).toBeGreaterThanOrEqual(88);
    expect(s.unsupported).toBe(0);
  });

  it('out of sample: median absolute error at most 10%, p90 at most 25%', () => {
    expect(s.outOfSample!.medianApe).toBeLessThanOrEqual(10);
    expect(s.outOfSample!.p90Ape).toBeLessThanOrEqual(25);
  });

  it('names the engine profiles it applied', () => {
    expect(s.profiles?.map((p) => p.group)).toContain('TensorRT-LLM performance.md (v0.5/v0.6)');
    expect(s.profiles?.map((p) => p.engine)).toContain('trtllm@1.0');
    for (const p of s.profiles ?? []) expect(p.source.length).toBeGreaterThan(100);
  });
});
