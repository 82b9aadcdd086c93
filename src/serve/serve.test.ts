import { describe, expect, it } from 'vitest';
import { ctx } from '../../test/ctx.js';
import { normalizeInference } from '../scenario/inference.js';
import { IssueError } from '../core/issues.js';
import { planServe } from './plan.js';
import { searchDeployments as sd } from './slo.js';
import type { ServeJob } from './types.js';

const searchDeployments = (j: ServeJob) => sd(j, [...ctx.catalog.accelerators.values()]);

const plan = (d: Record<string, unknown>) => {
  return planServe(normalizeInference({ data: { kind: 'inference', ...d }, baseDir: '.', source: 'test' }, ctx, null));
};
const issuesOf = (d: Record<string, unknown>) => {
  try {
    plan(d);
  } catch (e) {
    if (e instanceof IssueError) return e.issues;
    throw e;
  }
  return [];
};
const w = (concurrency: number) => ({ inputTokens: 512, outputTokens: 128, concurrency });

describe('serving planner', () => {
  it('at a request rate every split serves the offered rate: the fastest request wins, and each other split says how much slower it is', () => {
    const r = plan({
      model: 'llama-3.1-70b',
      system: { accelerator: 'nvidia-h100-sxm', count: 8 },
      workload: { inputTokens: 2048, outputTokens: 256, requestRate: 2 },
    });
    const alts = r.alternatives!;
    expect(alts.length).toBeGreaterThan(1);
    for (const a of alts) {
      if (!a.fits || a.stable === false) continue;
      expect(a.throughput!.outputTokensPerSecondPerDevice).toBeCloseTo(r.throughput!.outputTokensPerSecondPerDevice, 6);
      expect(a.latency!.requestSeconds).toBeGreaterThanOrEqual(r.latency!.requestSeconds);
      if (a.latency!.requestSeconds > r.latency!.requestSeconds * 1.001) expect(a.why).toMatch(/^the same tokens\/s per device, slower requests \(\d/);
    }
  });
  it('answers the contract at saturation, for dense, GQA, MLA and MoE models', () => {
    const cases: [string, string, number, string][] = [
      ['llama-3.1-8b', 'nvidia-l40s', 1, 'fp8'],
      ['llama-3.1-70b', 'nvidia-h100-sxm', 4, 'fp8'],
      ['deepseek-v3', 'nvidia-h200-sxm', 8, 'fp8-block'],
      ['qwen3-30b-a3b', 'nvidia-a100-80gb-sxm', 1, 'bf16'],
      ['mixtral-8x7b', 'nvidia-b200-hgx', 2, 'nvfp4'],
      ['llama-2-7b', 'nvidia-a10', 1, 'int4'],
    ];
    for (const [model, acc, n, wf] of cases) {
      const r = plan({ model, system: { accelerator: acc, count: n }, quantization: { weights: wf }, workload: { inputTokens: 1024, outputTokens: 256 } });
      expect(r.fits, `${model} on ${acc}`).toBe(true);
      expect(r.memory.maxConcurrency).toBeGreaterThan(0);
      expect(r.workload.concurrency).toBe(r.memory.maxConcurrency);
      expect(r.throughput!.outputTokensPerSecond).toBeGreaterThan(0);
      expect(r.latency!.tpotSeconds).toBeGreaterThan(0);
      for (const k of ['computeSeconds', 'memorySeconds', 'communicationSeconds'])
        expect(typeof (r.breakdown.prefill as Record<string, number>)[k]).toBe('number');
    }
  });

  it('MoE decode at batch 1 reads only the experts it touches', () => {
    const one = plan({ model: 'qwen3-30b-a3b', system: { accelerator: 'nvidia-h100-sxm', count: 1 }, workload: w(1) });
    const dense = plan({ model: 'qwen3-30b-a3b', system: { accelerator: 'nvidia-h100-sxm', count: 1 }, workload: w(256) });
    expect(one.breakdown.decode.stepSeconds * 3).toBeLessThan(dense.breakdown.decode.stepSeconds);
  });

  it('an engine whose decode kernel reads KV per query head is slower on GQA models, and the key is checked', () => {
    const base = {
      model: 'llama-3.1-70b',
      system: { accelerator: 'nvidia-h100-sxm', count: 4 },
      workload: { inputTokens: 128, outputTokens: 2048, concurrency: 256 },
    };
    const grouped = plan(base);
    const perHead = plan({ ...base, engine: { decodeAttention: 'per-query-head' } });
    expect(perHead.breakdown.decode.memorySeconds).toBeGreaterThan(grouped.breakdown.decode.memorySeconds * 2);
    expect(perHead.throughput!.outputTokensPerSecond).toBeLessThan(grouped.throughput!.outputTokensPerSecond);
    expect(issuesOf({ ...base, engine: { decodeAttention: 'sometimes' } })[0]!.path).toEqual(['engine', 'decodeAttention']);
  });

  it('throughput grows and TPOT worsens with concurrency', () => {
    const a = plan({ model: 'llama-3.1-8b', system: { accelerator: 'nvidia-h100-sxm', count: 1 }, workload: w(1) });
    const b = plan({ model: 'llama-3.1-8b', system: { accelerator: 'nvidia-h100-sxm', count: 1 }, workload: w(64) });
    expect(b.throughput!.outputTokensPerSecond).toBeGreaterThan(a.throughput!.outputTokensPerSecond * 10);
    expect(b.latency!.tpotSeconds).toBeGreaterThan(a.latency!.tpotSeconds);
  });

  it('request-rate mode reports percentiles that grow with load', () => {
    const at = (rate: number) =>
      plan({
        model: 'llama-3.1-8b',
        system: { accelerator: 'nvidia-h100-sxm', count: 1 },
        workload: { inputTokens: 1024, outputTokens: 256, requestRate: rate },
      });
    const lo = at(1);
    const hi = at(8);
    expect(lo.latency!.percentiles!.ttft.p99).toBeGreaterThanOrEqual(lo.latency!.percentiles!.ttft.p50);
    expect(hi.latency!.percentiles!.ttft.p90).toBeGreaterThanOrEqual(lo.latency!.percentiles!.ttft.p90);
    expect(hi.workload.concurrency).toBeGreaterThanOrEqual(lo.workload.concurrency);
  });

  it('speculative decoding helps at high acceptance and not at low', () => {
    const sp = (acceptance: number) =>
      plan({
        model: 'llama-3.1-70b',
        system: { accelerator: 'nvidia-h100-sxm', count: 4 },
        parallelism: { tensor: 4 },
        workload: w(1),
        speculative: { draft: 'llama-3.1-8b', tokens: 4, acceptance },
      }).speculative!;
    expect(sp(0.8).helps).toBe(true);
    expect(sp(0.05).helps).toBe(false);
  });

  it('rejects formats the accelerator cannot run, splits that do not divide, and prompts beyond a learned position table', () => {
    expect(
      issuesOf({ model: 'llama-3.1-8b', system: { accelerator: 'nvidia-a100-80gb-sxm', count: 1 }, quantization: { weights: 'fp8' }, workload: w(1) })[0]!.path,
    ).toEqual(['quantization', 'weights']);
    expect(
      issuesOf({ model: 'llama-3.1-8b', system: { accelerator: 'nvidia-h100-sxm', count: 8 }, parallelism: { tensor: 3 }, workload: w(1) }).map((i) =>
        i.path.join('.'),
      ),
    ).toContain('parallelism.tensor');
    expect(
      issuesOf({ model: 'gpt3-175b', system: { accelerator: 'nvidia-h100-sxm', count: 8 }, workload: { inputTokens: 4000, outputTokens: 100 } })[0]!.path,
    ).toEqual(['workload']);
    expect(
      issuesOf({ model: 'mixtral-8x7b', system: { accelerator: 'nvidia-h100-sxm', count: 8 }, parallelism: { tensor: 8, expert: 3 }, workload: w(1) })[0]!.path,
    ).toEqual(['parallelism', 'expert']);
  });

  it('finds the cheapest deployment meeting an SLO, with a Pareto front, or explains the miss', () => {
    const n = normalizeInference(
      {
        data: {
          kind: 'inference',
          model: 'llama-3.1-8b',
          system: { accelerator: 'nvidia-h100-sxm', count: 1 },
          workload: { inputTokens: 1024, outputTokens: 256, requestRate: 4 },
          slo: { ttftMs: 500, tpotMs: 40 },
        },
        baseDir: '.',
        source: 't',
      },
      ctx,
      null,
    );
    const s = searchDeployments(n.job);
    expect(s.best).not.toBeNull();
    expect(s.best!.meetsSlo).toBe(true);
    for (const o of s.ranked) expect(o.usdPerMillionOutputTokens).toBeGreaterThanOrEqual(s.best!.usdPerMillionOutputTokens);
    for (let i = 1; i < s.pareto.length; i++) expect(s.pareto[i]!.tpotSeconds).toBeLessThan(s.pareto[i - 1]!.tpotSeconds);
    const impossible = searchDeployments({ ...n.job, slo: { ttftMs: 0.001, tpotMs: 0.001 } });
    expect(impossible.best).toBeNull();
    expect(impossible.closest.length).toBeGreaterThan(0);
    expect(impossible.closest[0]!.missBy.length).toBeGreaterThan(0);
  });
});
