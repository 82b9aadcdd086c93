import { describe, expect, it } from 'vitest';
import { ctx, raw } from '../../test/ctx.js';
import { normalizeInference } from '../scenario/inference.js';
import { engineFor } from './offload.js';
import { servingRoofline } from './roofline.js';
import { stepTime } from './step.js';
import { averageContext } from './memory.js';

const engine = (model: string, acc: string, n: number, weights: string, concurrency: number) => {
  const j = normalizeInference(
    raw({
      kind: 'inference',
      model,
      system: { accelerator: acc, count: n },
      quantization: { weights },
      workload: { inputTokens: 2048, outputTokens: 256, concurrency },
    }),
    ctx,
    null,
  ).job;
  return engineFor(j, { tensor: n, pipeline: 1, expert: 1 });
};

describe('per-operator roofline', () => {
  const cases: [string, string, number, string, number][] = [
    ['llama-3.1-8b', 'nvidia-h100-sxm', 1, 'bf16', 16],
    ['llama-3.1-70b', 'nvidia-h100-sxm', 4, 'fp8', 32],
    ['qwen3-30b-a3b', 'nvidia-a100-80gb-sxm', 1, 'bf16', 8],
  ];
  for (const [model, acc, n, wf, c] of cases) {
    it(`${model} on ${n} x ${acc} (${wf}): its operators add up to the step time's op time`, () => {
      const e = engineFor({ ...engine(model, acc, n, wf, c).job }, { tensor: n, pipeline: 1, expert: 1 });
      const r = servingRoofline(e);
      for (const phase of ['prefill', 'decode'] as const) {
        const segs = phase === 'prefill' ? [{ seqs: 1, newTokens: 2048, pastTokens: 0 }] : [{ seqs: c, newTokens: 1, pastTokens: averageContext(e) }];
        const t = stepTime(e, segs);
        const ops = r.ops.filter((o) => o.phase === phase);
        const sum = ops.reduce((s, o) => s + o.seconds, 0);
        // step = operators + collectives + fixed per-step and per-layer overheads
        expect(sum).toBeCloseTo(t.seconds - t.communicationSeconds - t.otherSeconds, 9);
        for (const o of ops) {
          const peak = o.precision === 'fp8' ? r.peakFlops.fp8 : o.precision === 'fp4' ? r.peakFlops.fp4 : r.peakFlops.bf16;
          expect(o.flopsPerSecond, o.op).toBeLessThanOrEqual(peak);
          expect(o.bytes / o.seconds, o.op).toBeLessThanOrEqual(r.bandwidth);
        }
      }
    });
  }

  it('decode GEMMs at small batch are memory-bound and read every weight once; a long prefill is compute-bound', () => {
    const e = engine('llama-3.1-8b', 'nvidia-h100-sxm', 1, 'bf16', 4);
    const r = servingRoofline(e);
    const dec = r.ops.filter((o) => o.phase === 'decode' && o.op !== 'attention' && o.op !== 'elementwise');
    for (const o of dec) expect(o.bound, o.op).toBe('memory');
    // bf16 weights: 2 bytes per parameter, the embedding table aside (a lookup, not a GEMM)
    const gemmBytes = dec.reduce((s, o) => s + o.bytes, 0);
    const m = e.prepared.model;
    const nonEmbedding = 8.03e9 - m.vocab * m.hidden;
    expect(gemmBytes / (2 * nonEmbedding)).toBeGreaterThan(0.99);
    expect(gemmBytes / (2 * nonEmbedding)).toBeLessThan(1.02);
    const pre = r.ops.filter((o) => o.phase === 'prefill' && /^(qkv|mlp|attn_out)/.test(o.op));
    expect(pre.length).toBeGreaterThan(0);
    for (const o of pre) expect(o.bound, o.op).toBe('compute');
    // intensity grows with the tokens a weight is applied to
    const up = (p: string) => r.ops.find((o) => o.phase === p && o.op === pre[0]!.op)!.intensity;
    expect(up('prefill')).toBeGreaterThan(50 * up('decode'));
  });
});
