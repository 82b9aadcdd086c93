import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ctx, model } from '../../test/ctx.js';
import { withOverrides } from '../cost/calibration.js';
import { countParameters } from '../model/params.js';
import { layerWeights, matrixParams } from '../model/weights.js';
import { normalizeInference } from '../scenario/inference.js';
import { normalizeTraining } from '../scenario/training.js';
import { baseEngine } from '../serve/engine.js';
import { weightBytes } from '../serve/memory.js';
import { planServe } from '../serve/plan.js';
import { planTraining } from '../train/plan.js';
import { layerClasses } from './flops.js';
import { buildHead } from './head.js';
import { buildLayer, keysAttended } from './layer.js';
import type { Load, Numerics, Split } from './types.js';

const bf16: Numerics = { gemm: 'bf16', weightBytes: () => 2, kvBytes: 2 };
const kt = { decodeAttention: 'grouped' as const, elementwiseKernelsPerLayer: 8, attention: 'fused' as const };
const flopsOf = (g: ReturnType<typeof buildLayer>) => g.attention.flops + g.gemms.reduce((s, x) => s + 2 * x.m * x.n * x.k * x.count, 0);
const MODELS = ['llama-3.1-70b', 'mixtral-8x7b', 'deepseek-v3', 'qwen3-30b-a3b', 'gpt-oss-120b', 'gpt3-175b'];

describe('one operator graph for every load', () => {
  it('a prefill of S tokens costs the FLOPs of a training forward pass over the same S tokens, per layer kind', () => {
    for (const id of MODELS) {
      const m = model(id);
      for (const c of layerClasses(m)) {
        for (const S of [1, 17, 512, 4096]) {
          const seg = [{ seqs: 3, newTokens: S, pastTokens: 0 }];
          const split: Split = { tp: 1, cp: 1, ep: 1, etp: 1, moeTokenReplicas: 1, sp: false };
          const train = buildLayer(m, c.spec, split, { segments: seg, training: true }, bf16, kt);
          const pre = buildLayer(m, c.spec, split, { segments: seg, training: false }, bf16, kt);
          expect(flopsOf(pre) / flopsOf(train), `${id} ${c.spec.mlp}/${c.spec.attention} S=${S}`).toBeCloseTo(1, 12);
        }
      }
    }
  });

  it('decoding one token after P cached tokens costs what the last token of a P+1 prefill costs', () => {
    const m = model('llama-3.1-8b');
    const split: Split = { tp: 2, cp: 1, ep: 1, etp: 1, moeTokenReplicas: 2, sp: false };
    const P = 1000;
    const at = (segments: Load['segments']) => buildLayer(m, m.pattern[0]!, split, { segments, training: false }, bf16, kt);
    const whole = flopsOf(at([{ seqs: 1, newTokens: P + 1, pastTokens: 0 }]));
    const first = flopsOf(at([{ seqs: 1, newTokens: P, pastTokens: 0 }]));
    const step = flopsOf(at([{ seqs: 1, newTokens: 1, pastTokens: P }]));
    expect((whole - first) / step).toBeCloseTo(1, 9);
  });

  it('counts causal, windowed and chunked keys exactly (property: the closed forms equal a direct sum)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 600 }),
        fc.option(fc.integer({ min: 1, max: 700 })),
        fc.option(fc.integer({ min: 1, max: 500 })),
        (past, q, w, c) => {
          let direct = 0;
          for (let p = past; p < past + q; p++) direct += c !== null ? (p % c) + 1 : Math.min(p + 1, w ?? Infinity);
          return Math.abs(keysAttended(past, q, w, c) - direct) < 1e-6;
        },
      ),
    );
  });
});

describe('parameters are counted in one place', () => {
  it('the graph holds, over a tensor-parallel group, the parameters params.ts counts', () => {
    for (const id of MODELS) {
      const m = model(id);
      const c = countParameters(m);
      for (const tp of [1, 2, 8]) {
        if (m.attention.heads % tp) continue;
        const ep = m.moe ? Math.min(tp, m.moe.experts) : 1;
        const split: Split = { tp, cp: 1, ep, etp: tp / ep, moeTokenReplicas: tp, sp: false };
        const load: Load = { segments: [{ seqs: 1, newTokens: 1, pastTokens: 0 }], training: false };
        let held = 0;
        let replicated = 0;
        for (const k of layerClasses(m)) {
          const g = buildLayer(m, k.spec, split, load, bf16, kt);
          held += k.count * (g.params.dense + g.params.expert) * tp;
          // replicated parts (norms, routers, MLA down-projections, row-parallel biases) are held tp times
          const w = layerWeights(m, k.spec.mlp);
          let rep = w.vectors;
          for (const x of w.matrices) if (x.tp === 'none' && x.group !== 'experts') rep += matrixParams(x);
          for (const x of w.matrices) if (x.tp === 'row' && x.bias && x.group !== 'experts') rep += x.out;
          replicated += k.count * rep * (tp - 1);
        }
        const h = buildHead(m, split, load);
        held += (h.params.embedding + h.params.head) * tp;
        const final = m.normAffine ? m.hidden * (m.normBias ? 2 : 1) : 0; // the final norm is replicated too
        expect(held - replicated - final * (tp - 1), `${id} tp ${tp}`).toBe(c.total);
      }
    }
  });

  it('serving weight bytes in bf16 are 2 x the parameters on the device', () => {
    for (const id of MODELS) {
      const n = normalizeInference(
        {
          data: {
            kind: 'inference',
            model: id,
            system: { accelerator: 'nvidia-h200-sxm', count: 1 },
            workload: { inputTokens: 128, outputTokens: 16, concurrency: 1 },
          },
          baseDir: '.',
          source: 't',
        },
        ctx,
        null,
      );
      const w = weightBytes(baseEngine(n.job, { tensor: 1, pipeline: 1, expert: 1 }));
      const p = countParameters(model(id)).total;
      expect(w.perDevice / (2 * p), id).toBeCloseTo(1, 9);
      expect(w.total / (2 * p), id).toBeCloseTo(1, 9);
    }
  });
});

describe('one MoE semantics', () => {
  it('training (every rank brings its tokens, all-to-all) and serving (experts read the replicated batch) compute the same expert-token pairs', () => {
    const m = model('mixtral-8x7b');
    const moe = m.pattern.find((l) => l.mlp === 'moe')!;
    const T = 4096;
    const pairs = (s: Split) =>
      buildLayer(m, moe, s, { segments: [{ seqs: 1, newTokens: T, pastTokens: 0 }], training: s.moeTokenReplicas === 1 }, bf16, kt)
        .gemms.filter((g) => g.grouped)
        .reduce((a, g) => a + g.m * g.count, 0) / 2; // gate_up and down see the same pairs
    // training, tp 2, ep 4: each rank sends its T/tp tokens x top-k; serving, tp 8 = ep 4 x etp 2: the batch x top-k / ep
    const train = pairs({ tp: 2, cp: 1, ep: 4, etp: 1, moeTokenReplicas: 1, sp: true });
    const serve = pairs({ tp: 8, cp: 1, ep: 4, etp: 2, moeTokenReplicas: 8, sp: false });
    expect(train).toBeCloseTo((T / 2) * m.moe!.topK, 6);
    expect(serve).toBeCloseTo((T * m.moe!.topK) / 4, 6);
    // the same ep x etp group computes every pair of the batch it holds once
    expect(serve * 4).toBeCloseTo(T * m.moe!.topK, 6);
  });
});

describe('plans are pure functions of their context', () => {
  it('two calibrations give two answers in one process, and the first is unchanged by the second', () => {
    const scenario = {
      kind: 'training',
      model: 'llama-3.1-8b',
      system: { accelerator: 'nvidia-h100-sxm', count: 8 },
      training: { sequenceLength: 4096, globalBatchSize: 64 },
      parallelism: { tensor: 1, pipeline: 1, data: 8, context: 1, expert: 1, virtualStages: 1, sequenceParallel: false, zero: 1 },
    };
    const slow = { ...ctx, calibration: withOverrides(ctx.calibration, { memFraction: 0.4, kernelOverhead: 4e-5 }, 'slow') };
    const raw = () => ({ data: structuredClone(scenario), baseDir: '.', source: 't' });
    const a = planTraining(normalizeTraining(raw(), ctx, null));
    const b = planTraining(normalizeTraining(raw(), slow, null));
    const a2 = planTraining(normalizeTraining(raw(), ctx, null));
    expect(b.step.seconds).toBeGreaterThan(a.step.seconds * 1.01);
    expect(a2.step.seconds).toBe(a.step.seconds);
    expect(b.profiles.calibration).toBe('slow');
    const inf = (c: typeof ctx) =>
      planServe(
        normalizeInference(
          {
            data: {
              kind: 'inference',
              model: 'llama-3.1-8b',
              system: { accelerator: 'nvidia-h100-sxm', count: 1 },
              workload: { inputTokens: 512, outputTokens: 128, concurrency: 8 },
            },
            baseDir: '.',
            source: 't',
          },
          c,
          null,
        ),
      );
    expect(inf(slow).latency!.tpotSeconds).toBeGreaterThan(inf(ctx).latency!.tpotSeconds * 1.5);
  });
});
