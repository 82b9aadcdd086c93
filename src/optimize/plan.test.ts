import { describe, expect, it } from 'vitest';
import { optimize } from '../api.js';
import { ctx } from '../../test/ctx.js';

/** The new-user trial's model: a random Llama of 2 layers, hidden 256, vocabulary 1024 (a few MB of weights). */
const tinyLlama = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 256,
  intermediate_size: 512,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 64,
  max_position_embeddings: 256,
  vocab_size: 1024,
  torch_dtype: 'bfloat16',
};

const scenario = {
  kind: 'inference',
  model: tinyLlama,
  system: { accelerator: 'nvidia-a100-80gb-sxm', count: 1 },
  quantization: { weights: 'bf16' },
  engine: 'llama.cpp',
  workload: { inputTokens: 100, outputTokens: 50 },
  goal: { objective: 'throughput', accuracy: 0.01 },
};

const flag = (cmd: string, name: string) => {
  const m = new RegExp(`${name} (\\d+)`).exec(cmd);
  if (!m) throw new Error(`no ${name} in ${cmd}`);
  return Number(m[1]);
};

describe('optimizing a tiny model on a big device', () => {
  // before the fix: 546,743 and 1,943,978 requests in flight, 87.30 and 93.03 GB per 85.1 GB device,
  // and `--parallel 1943978 --ctx-size 291596700` in the command
  const r = optimize(scenario);
  if (!r.ok) throw new Error(`optimize failed: ${JSON.stringify(r)}`);
  const o = r.value;
  const cap = ctx.profiles.engines.get('llama.cpp')!.kv.maxSeqs as number;

  it('prints every row (baseline included) within the device memory and the engine batch, or as not fitting with no numbers', () => {
    expect(o.rows).toHaveLength(4);
    for (const row of o.rows) {
      const p = row.plan;
      if (p.fits) {
        expect(p.memory.perDeviceBytes, row.label).toBeLessThanOrEqual(p.memory.capacityBytes);
        expect(p.workload.concurrency, row.label).toBeLessThanOrEqual(cap);
        expect(p.throughput!.outputTokensPerSecond, row.label).toBeGreaterThan(0);
      } else {
        expect(p.throughput, row.label).toBeNull();
        expect(p.latency, row.label).toBeNull();
      }
    }
    expect(o.rows[0]!.plan.fits).toBe(true);
    expect(cap).toBe(64);
  });

  it('serves the best row with llama-server slots and a context that are the plan: parallel = its batch, ctx-size = the KV cells it priced', () => {
    const best = o.best;
    const parallel = flag(o.serveCommand, '--parallel');
    const ctxSize = flag(o.serveCommand, '--ctx-size');
    expect(parallel).toBe(best.workload.concurrency);
    expect(parallel).toBeLessThanOrEqual(cap);
    // llama.cpp's n_ctx is the KV cells of every slot together; reserve-max: each request holds its prompt and answer
    expect(ctxSize).toBe(parallel * (scenario.workload.inputTokens + scenario.workload.outputTokens));
    const perToken = best.memory.kvBytesPerRequest / (scenario.workload.inputTokens + scenario.workload.outputTokens);
    expect(ctxSize * perToken).toBeLessThanOrEqual(best.memory.breakdown.kvCache * (1 + 1e-9));
  });
});
