import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ctx } from '../../test/ctx.js';
import { normalizeInference } from '../scenario/inference.js';
import { planServe } from './plan.js';

/** A small Llama as a Hugging Face config: a few MB of weights, so the batch is bounded by the KV pool and the engine, never by the weights. */
const tiny = (o: { hidden?: number; layers?: number; vocab?: number } = {}) => ({
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: o.hidden ?? 256,
  intermediate_size: 2 * (o.hidden ?? 256),
  num_hidden_layers: o.layers ?? 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: (o.hidden ?? 256) / 4,
  max_position_embeddings: 8192,
  vocab_size: o.vocab ?? 1024,
  torch_dtype: 'bfloat16',
});

const plan = (d: Record<string, unknown>) => planServe(normalizeInference({ data: { kind: 'inference', ...d }, baseDir: '.', source: 'test' }, ctx, null));
const engineCap = (id: string) => {
  const lim = ctx.profiles.engines.get(id)!.kv.maxSeqs;
  return typeof lim === 'number' ? lim : Infinity;
};
const ENGINES = ['llama.cpp', 'default', 'vllm@0.10', 'sglang@0.5', 'trtllm@1.0'];

describe('the largest batch fits the device as the report prints its memory', () => {
  it('a tiny Llama on an 80 GB A100 with llama.cpp: at most the 64 sequences llama-server decodes together, in memory that fits', () => {
    // the new-user trial: 546,743 requests in flight in 87.3 GB of an 85.1 GB device before the fix
    const r = plan({
      model: tiny(),
      engine: 'llama.cpp',
      system: { accelerator: 'nvidia-a100-80gb-sxm', count: 1 },
      workload: { inputTokens: 100, outputTokens: 50 },
    });
    expect(r.fits).toBe(true);
    expect(engineCap('llama.cpp')).toBe(64);
    expect(r.workload.concurrency).toBe(64);
    expect(r.memory.perDeviceBytes).toBeLessThanOrEqual(r.memory.capacityBytes);
  });

  it("a fixed concurrency above the engine's batch limit is priced but warned: llama.cpp refuses a --parallel above 64", () => {
    const at = (concurrency: number) =>
      plan({
        model: tiny(),
        engine: 'llama.cpp',
        system: { accelerator: 'nvidia-a100-80gb-sxm', count: 1 },
        workload: { inputTokens: 100, outputTokens: 50, concurrency },
      });
    const over = at(200);
    expect(over.fits).toBe(true);
    const w = over.warnings.find((x) => x.code === 'estimate' && /more than the 64 sequences/.test(x.message));
    expect(w?.message).toMatch(/or 4 replicas/);
    expect(at(64).warnings.some((x) => /more than the 64 sequences/.test(x.message))).toBe(false);
  });

  it("a large vocabulary's logits grow with the batch: the engine whose pool takes the free memory holds fewer requests than its pool, and they fit", () => {
    // every sequence of a decode step samples from fp32 logits over the vocabulary (memory.ts
    // activationBytes); before the fix the pool was sized beside one request's logits, and
    // 545,873 requests were priced in 371 GB of an 85 GB device
    const r = plan({
      model: tiny({ vocab: 131072 }),
      engine: 'default',
      system: { accelerator: 'nvidia-a100-80gb-sxm', count: 1 },
      workload: { inputTokens: 100, outputTokens: 50 },
    });
    expect(r.fits).toBe(true);
    expect(r.memory.perDeviceBytes).toBeLessThanOrEqual(r.memory.capacityBytes);
    expect(r.memory.reserve.kvPoolBytes / r.memory.kvBytesPerRequest).toBeGreaterThan(r.workload.concurrency);
    expect(r.warnings.map((w) => w.code)).toContain('memory_headroom');
  });

  it('property: a plan fits exactly when its printed memory fits, and at saturation never batches beyond the engine', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ENGINES),
        fc.constantFrom('nvidia-a100-80gb-sxm', 'nvidia-l40s', 'nvidia-rtx-4090', 'nvidia-h100-sxm'),
        fc.record({ hidden: fc.constantFrom(128, 256, 512), layers: fc.integer({ min: 1, max: 4 }), vocab: fc.integer({ min: 256, max: 262144 }) }),
        fc.integer({ min: 1, max: 4096 }),
        fc.integer({ min: 1, max: 1024 }),
        (engine, accelerator, model, inputTokens, outputTokens) => {
          const base = { model: tiny(model), engine, system: { accelerator, count: 1 } };
          const sat = plan({ ...base, workload: { inputTokens, outputTokens } });
          expect(sat.fits).toBe(true);
          expect(sat.memory.perDeviceBytes).toBeLessThanOrEqual(sat.memory.capacityBytes);
          expect(sat.workload.concurrency).toBeLessThanOrEqual(engineCap(engine));
          const maxC = sat.memory.maxConcurrency;
          const at = plan({ ...base, workload: { inputTokens, outputTokens, concurrency: maxC } });
          expect(at.fits).toBe(true);
          expect(at.memory.perDeviceBytes).toBeLessThanOrEqual(at.memory.capacityBytes);
          const over = plan({ ...base, workload: { inputTokens, outputTokens, concurrency: maxC + 1 } });
          expect(over.fits).toBe(false);
          expect(over.throughput).toBeNull();
          expect(over.latency).toBeNull();
        },
      ),
      { numRuns: 40 },
    );
  });
});
