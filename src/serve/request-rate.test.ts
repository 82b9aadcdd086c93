import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ctx } from '../../test/ctx.js';
import { normalizeInference } from '../scenario/inference.js';
import { planServe } from './plan.js';

const plan = (d: Record<string, unknown>) => planServe(normalizeInference({ data: { kind: 'inference', ...d }, baseDir: '.', source: 'test' }, ctx, null));

/** The new-user trial's scenario: Llama 3.1 8B on 8 H100 under vLLM 0.10 (chunked prefill by default). */
const llama8 = (requestRate: number, extra: Record<string, unknown> = {}) =>
  plan({
    model: 'llama-3.1-8b',
    system: { accelerator: 'nvidia-h100-sxm', count: 8 },
    parallelism: { tensor: 1, pipeline: 1 },
    engine: 'vllm@0.10',
    workload: { inputTokens: 2048, outputTokens: 256, requestRate, ...extra },
    slo: { ttftMs: 500, tpotMs: 30 },
  });

describe('request-rate serving', () => {
  it('warns when the offered rate needs nearly every slot the KV cache holds (waits for a slot are not modelled)', () => {
    const near = (r: ReturnType<typeof llama8>) => r.warnings.some((w) => w.code === 'estimate' && /waiting for a free slot/.test(w.message));
    const low = llama8(40);
    expect(low.stable).toBe(true);
    expect(near(low)).toBe(false);
    // 97.8% utilisation: 190 of the 204 requests the KV cache holds
    const high = llama8(88);
    expect(high.stable).toBe(true);
    expect(high.workload.running! / high.memory.maxConcurrency).toBeGreaterThan(0.9);
    expect(near(high)).toBe(true);
  });

  it('with chunked prefill the prompts load the queue: TTFT percentiles are ordered and grow with the rate', () => {
    const rates = [8, 40, 80];
    const rs = rates.map((r) => llama8(r));
    for (const r of rs) {
      expect(r.stable).toBe(true);
      const t = r.latency!.percentiles!.ttft;
      expect(t.p50).toBeLessThan(t.p90);
      expect(t.p90).toBeLessThan(t.p99);
    }
    for (let i = 1; i < rs.length; i++) {
      expect(rs[i]!.workload.utilization!).toBeGreaterThan(rs[i - 1]!.workload.utilization!);
      expect(rs[i]!.latency!.percentiles!.ttft.p90).toBeGreaterThan(rs[i - 1]!.latency!.percentiles!.ttft.p90);
      expect(rs[i]!.latency!.ttftSeconds).toBeGreaterThan(rs[i - 1]!.latency!.ttftSeconds);
    }
  });

  it('counts the prefill chunks once: the mean TPOT is the step that carries them, and the batch obeys Little’s law', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 85 }), fc.boolean(), (rate, chunked) => {
        const r = llama8(rate, { chunkedPrefill: chunked });
        expect(r.stable).toBe(true);
        const lam = rate / r.system.replicas;
        const L = r.latency!;
        const w = r.workload;
        // requests decoding = rate x the time a request spends decoding (its output tokens at the mean interval)
        expect(Math.abs(w.running! - lam * w.outputTokens * L.tpotSeconds)).toBeLessThan(1e-4 * w.running!);
        // requests arrived and unfinished = rate x request time
        expect(w.concurrency).toBeCloseTo(lam * L.requestSeconds, 6);
        expect(w.concurrency).toBeGreaterThanOrEqual(w.running!);
        if (chunked) expect(L.tpotSeconds).toBeCloseTo(r.breakdown.decode.stepSeconds, 12);
      }),
      { numRuns: 12 },
    );
  });

  it('applies speculative decoding with chunked prefill too, faster the more the target accepts', () => {
    const at = (acceptance: number) =>
      plan({
        model: 'llama-3.1-70b',
        system: { accelerator: 'nvidia-h100-sxm', count: 4 },
        parallelism: { tensor: 4 },
        engine: 'vllm@0.10',
        workload: { inputTokens: 1000, outputTokens: 500, concurrency: 4 },
        speculative: { draft: 'llama-3.1-8b', tokens: 4, acceptance },
      });
    const none = at(0);
    const mid = at(0.7);
    const all = at(1);
    expect(none.speculative!.helps).toBe(false);
    expect(none.warnings.map((x) => x.code)).toContain('speculative_no_gain');
    expect(mid.speculative!.expectedTokensPerStep).toBeCloseTo((1 - 0.7 ** 5) / 0.3, 9);
    expect(mid.speculative!.helps).toBe(true);
    expect(all.latency!.tpotSeconds).toBeLessThan(mid.latency!.tpotSeconds);
    expect(mid.latency!.tpotSeconds).toBeLessThan(none.latency!.tpotSeconds);
    expect(mid.latency!.tpotSeconds * mid.speculative!.speedup).toBeCloseTo(none.latency!.tpotSeconds, 9);
  });

  it('a disaggregated deployment is reported from its own pools, and unstable once a pool cannot carry the rate', () => {
    const at = (requestRate: number, disaggregation: boolean) =>
      plan({
        model: 'llama-3.1-70b',
        system: { accelerator: 'nvidia-h100-sxm', count: 16 },
        parallelism: { tensor: 2, pipeline: 1 },
        engine: 'vllm@0.10',
        quantization: { weights: 'fp8' },
        workload: { inputTokens: 4000, outputTokens: 500, requestRate },
        disaggregation,
        slo: { ttftMs: 2000, tpotMs: 50 },
      });
    const d = at(10, true);
    const co = at(10, false);
    const info = d.disaggregation!;
    expect(info.prefillDevices + info.decodeDevices).toBe(16);
    expect(d.stable).toBe(info.stable);
    expect(info.requestsPerSecond).toBeGreaterThan(10);
    // decode replicas run decode steps only: no prefill stalls between tokens
    expect(d.latency!.percentiles!.tpot.p99).toBeCloseTo(d.latency!.tpotSeconds, 12);
    expect(d.latency!.tpotSeconds).not.toBeCloseTo(co.latency!.tpotSeconds, 4);
    // Little's law in a decode replica
    const decodeReplicas = info.decodeDevices / 2;
    expect(d.workload.concurrency).toBeCloseTo((10 / decodeReplicas) * d.workload.outputTokens * d.latency!.tpotSeconds, 3);
    const over = at(info.requestsPerSecond * 1.05, true);
    expect(over.stable).toBe(false);
    expect(over.latency).toBeNull();
    expect(over.slo!.met).toBe(false);
    expect(over.warnings.map((x) => x.code)).toContain('unstable_queue');
    expect(Math.max(over.disaggregation!.prefillUtilization!, over.disaggregation!.decodeUtilization!)).toBeGreaterThanOrEqual(1);
  });

  it('searches only the splits that leave replicas for both pools when disaggregation is asked for', () => {
    const r = plan({
      model: 'llama-3.1-70b',
      system: { accelerator: 'nvidia-h100-sxm', count: 16 },
      quantization: { weights: 'fp8' },
      workload: { inputTokens: 4000, outputTokens: 500, requestRate: 13 },
      disaggregation: true,
    });
    expect(r.system.replicas).toBeGreaterThanOrEqual(2);
    expect(r.disaggregation).toBeDefined();
    for (const a of r.alternatives ?? []) expect(a.system.replicas).toBeGreaterThanOrEqual(2);
  });

  it('warns instead of disaggregating a single replica', () => {
    const r = plan({
      model: 'llama-3.1-8b',
      system: { accelerator: 'nvidia-h100-sxm', count: 1 },
      workload: { inputTokens: 1024, outputTokens: 128, requestRate: 1 },
      disaggregation: true,
    });
    expect(r.disaggregation).toBeUndefined();
    expect(r.warnings.find((x) => x.code === 'ignored_key')?.path).toEqual(['disaggregation']);
  });
});
