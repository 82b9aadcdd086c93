import { describe, expect, it } from 'vitest';
import { cpu as cpuSocket, ctx } from '../../test/ctx.js';
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
const within = (x: number, target: number, tol: number) => expect(Math.abs(x - target) / target).toBeLessThanOrEqual(tol);
const w = (concurrency: number) => ({ inputTokens: 512, outputTokens: 128, concurrency });

describe('seed claims: serving memory (rows 7, 8, 10)', () => {
  it('row 7: Llama 3.1 405B in BF16 needs two 8xH100 servers (810 GB of weights do not fit in 8)', () => {
    const eight = plan({
      model: 'llama-3.1-405b',
      system: { accelerator: 'nvidia-h100-sxm', count: 8 },
      parallelism: { tensor: 8, pipeline: 1 },
      workload: w(1),
    });
    const sixteen = plan({
      model: 'llama-3.1-405b',
      system: { accelerator: 'nvidia-h100-sxm', count: 16 },
      parallelism: { tensor: 8, pipeline: 2 },
      workload: w(1),
    });
    expect(eight.fits).toBe(false);
    expect(sixteen.fits).toBe(true);
    within(eight.memory.weightBytesTotal, 810e9, 0.01);
  });

  it('row 8: a 100B-class model needs 200-300 GB and a 10B-class model 20-30 GB (FP16 weights plus KV at modest batch)', () => {
    const big = plan({
      model: 'yuan2-102b',
      system: { accelerator: 'nvidia-h200-sxm', count: 2 },
      parallelism: { tensor: 2 },
      quantization: { weights: 'fp16' },
      workload: { inputTokens: 2048, outputTokens: 512, concurrency: 8 },
    });
    const total = 2 * (big.memory.breakdown.weights + big.memory.breakdown.kvCache);
    expect(total).toBeGreaterThanOrEqual(200e9);
    expect(total).toBeLessThanOrEqual(300e9);
    const small = plan({
      model: 'llama-2-13b',
      system: { accelerator: 'nvidia-a100-80gb-sxm', count: 1 },
      quantization: { weights: 'fp16' },
      workload: { inputTokens: 1024, outputTokens: 256, concurrency: 2 },
    });
    const t2 = small.memory.breakdown.weights + small.memory.breakdown.kvCache;
    expect(t2).toBeGreaterThanOrEqual(20e9);
    expect(t2).toBeLessThanOrEqual(30e9);
  });

  it('row 10: a 100B model in BF16 under 100 ms per token needs >= 2 TB/s (weight bytes / bandwidth)', () => {
    const r = plan({ model: 'yuan2-102b', system: { accelerator: 'nvidia-h200-sxm', count: 2 }, parallelism: { tensor: 2 }, workload: w(1) });
    within(r.memory.weightBytesTotal / 0.1, 2e12, 0.05);
  });
});

describe('seed claims: CPU serving (rows 9, 13)', () => {
  it('row 9: four Sapphire Rapids sockets with 8 x DDR5-4800 have 1228.8 GB/s, 995 GB/s measured', () => {
    const c = cpuSocket('intel-xeon-8480plus')!;
    within(4 * c.memoryBandwidth, 1228.8e9, 0.01);
    within(4 * c.memoryBandwidth * c.measuredFraction, 995e9, 0.01);
  });

  it('row 13: Yuan2.0-102B on 4 sockets (TP 4 over UPI): collectives are 10-30% of decode', () => {
    const r = plan({ model: 'yuan2-102b', system: { cpu: 'intel-xeon-8480plus', sockets: 4 }, parallelism: { tensor: 4 }, workload: w(1) });
    expect(r.breakdown.decode.communicationShare).toBeGreaterThanOrEqual(0.1);
    expect(r.breakdown.decode.communicationShare).toBeLessThanOrEqual(0.3);
    expect(r.bound).toBe('memory-bandwidth');
  });
});

describe('seed claims: decode is memory-bound (rows 15, 16, 17)', () => {
  it('row 15: LLaMA-7B decode A100/A10 speed ratio tracks the bandwidth ratio and stays flat over batch', () => {
    const ratio = (b: number) => {
      const a100 = plan({ model: 'llama-2-7b', system: { accelerator: 'nvidia-a100-80gb-sxm', count: 1 }, workload: w(b) });
      const a10 = plan({ model: 'llama-2-7b', system: { accelerator: 'nvidia-a10', count: 1 }, workload: w(b) });
      return a10.breakdown.decode.stepSeconds / a100.breakdown.decode.stepSeconds;
    };
    const bw = 2039 / 600;
    const rs = [1, 4, 16].map(ratio);
    for (const r of rs) within(r, bw, 0.15);
    expect((Math.max(...rs) - Math.min(...rs)) / Math.min(...rs)).toBeLessThan(0.1);
  });

  it('row 16: LLaMA-70B on 8 x A10 over PCIe (TP 8): all-reduce is 20-45% of decode', () => {
    const r = plan({ model: 'llama-2-70b', system: { accelerator: 'nvidia-a10', count: 8 }, parallelism: { tensor: 8 }, workload: w(1) });
    expect(r.fits).toBe(true);
    expect(r.breakdown.decode.communicationShare).toBeGreaterThanOrEqual(0.2);
    expect(r.breakdown.decode.communicationShare).toBeLessThanOrEqual(0.45);
  });

  it('row 17: at batch 1, at least 75% of a large model decode step is memory access', () => {
    const r = plan({ model: 'llama-3.1-70b', system: { accelerator: 'nvidia-h100-sxm', count: 4 }, parallelism: { tensor: 4 }, workload: w(1) });
    const d = r.breakdown.decode;
    expect(d.memorySeconds / (d.memorySeconds + d.computeSeconds)).toBeGreaterThanOrEqual(0.75);
  });
});

describe('seed claims: offloading (rows 27, 28)', () => {
  it('row 27: far beyond device memory, decode time is offloaded bytes / host-link bandwidth', () => {
    const r = plan({ model: 'llama-3.1-70b', system: { accelerator: 'nvidia-h100-sxm', count: 1 }, workload: w(1), offload: { weights: 0.6, to: 'host' } });
    within(r.latency!.tpotSeconds, r.offload!.bytesStreamedPerStep / (64e9 * 0.79), 0.15);
    expect(r.offload!.boundByLink).toBe(true);
    expect(r.bound).toBe('host-link');
  });

  it('row 28: Llama 3.1 405B on one RTX 4090 takes minutes per token and hours per answer', () => {
    const r = plan({
      model: 'llama-3.1-405b',
      system: { accelerator: 'nvidia-rtx-4090', count: 1, hostMemoryGB: 192, diskGBps: 3 },
      workload: { inputTokens: 200, outputTokens: 500, concurrency: 1 },
      offload: { weights: 'auto' },
    });
    expect(r.fits).toBe(true);
    expect(r.latency!.tpotSeconds / 60).toBeGreaterThan(1);
    expect(r.latency!.tpotSeconds / 60).toBeLessThan(30);
    expect(r.latency!.requestSeconds / 3600).toBeGreaterThan(2);
    expect(r.latency!.requestSeconds / 3600).toBeLessThan(200);
  });
});

describe('serving planner', () => {
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
