/**
 * The numbers of the five source articles (../shared/SEED-CLAIMS.md), each reproduced through the
 * planner's public entry points, with the tolerance the claim table gives. Where the article's own
 * arithmetic or setup differs from what the planner computes, the test states the difference and
 * checks the part that can be checked (a reasoned exception, never a loosened number).
 */
import { describe, expect, it } from 'vitest';
import { cluster, goodput, serve, train } from '../src/api.js';
import type { Result } from '../src/core/issues.js';
import { countParameters } from '../src/model/params.js';
import { normalizeInference } from '../src/scenario/inference.js';
import { minimumDevices } from '../src/serve/plan.js';
import { minimumDevicesForStates } from '../src/train/plan.js';
import { evaluatePlan } from '../src/train/report.js';
import { basePlan } from '../src/train/types.js';
import { acc, ctx, model, raw, trainJob } from './ctx.js';

function ok<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return r.value;
}
const within = (x: number, target: number, tol: number) => expect(Math.abs(x - target) / target, `${x} vs ${target}`).toBeLessThanOrEqual(tol);

describe('row 1 (seed 001): GPT-3 175B mixed-precision Adam states: 350 + 350 + 2100 = 2800 GB', () => {
  it('the planner charges exactly those states on one device', () => {
    const r = evaluatePlan(trainJob(model('gpt3-175b'), 'nvidia-a100-80gb-sxm', 1, 2048, 1), basePlan({ recompute: 'full' }));
    const b = r.memory.breakdown;
    within(b.weights, 350e9, 0.01);
    within(b.gradients, 350e9, 0.01);
    within(b.optimizer, 2100e9, 0.01);
    within(r.memory.modelStatesBytes, 2800e9, 0.01);
    expect(r.fits).toBe(false);
  });
});

describe('row 2 (seed 001): the states alone need at least 35 A100-80GB', () => {
  it("the planner's own minimum (ZeRO-3, nothing else split) is 35 devices of 80 GB", () => {
    const j = trainJob(model('gpt3-175b'), 'nvidia-a100-80gb-sxm', 1, 2048, 1);
    expect(minimumDevicesForStates({ ...j, accelerator: { ...acc('nvidia-a100-80gb-sxm'), memoryBytes: 80e9 } })).toBe(35);
    // the seed counts "80 GB" as 80e9 bytes; an A100-80GB actually offers 81,117 MiB (85.06e9 bytes) to a
    // program, so the same states fit on 33 of them: the claim's 35 is its decimal arithmetic
    expect(minimumDevicesForStates(j)).toBe(33);
  });
});

describe('rows 3-6 (seed 003): compute, time and data', () => {
  it('row 3: model FLOPs are 6 P per token plus attention; full recompute makes hardware FLOPs 8 P', () => {
    const m = model('gpt3-175b');
    const P = countParameters(m).total;
    const r = ok(
      train({
        kind: 'training',
        model: 'gpt3-175b',
        system: { accelerator: 'nvidia-a100-80gb-sxm', count: 1024 },
        parallelism: { tensor: 8, pipeline: 8, data: 16, context: 1, expert: 1, virtualStages: 1, sequenceParallel: true, zero: 1 },
        training: { sequenceLength: 2048, globalBatchSize: 1536, microBatchSize: 1, recompute: 'full' },
      }),
    );
    // attention: 3 passes x 2 matmuls x 2 FLOPs x (s/2 causal keys) x d_model per layer
    const attention = 3 * 2 * 2 * (2048 / 2) * m.hidden * m.layers;
    within(r.flops.modelFlopsPerToken - attention, 6 * P, 0.05);
    within(r.flops.hfu / r.flops.mfu, 8 / 6, 0.05);
  });

  it('row 4: GPT-3 on 300B tokens is 314 ZFLOP, ~32 years of one A100 at its 312 TFLOP/s peak', () => {
    const r = ok(
      train({
        kind: 'training',
        model: 'gpt3-175b',
        system: { accelerator: 'nvidia-a100-80gb-sxm', count: 1024 },
        parallelism: { tensor: 8, pipeline: 8, data: 16 },
        training: { sequenceLength: 2048, globalBatchSize: 1536, tokens: 300e9 },
      }),
    );
    within(r.flops.modelFlopsPerToken * 300e9, 314e21, 0.03);
    within(r.run!.deviceHoursAtPeak / 24 / 365, 32, 0.03);
    expect(r.run!.deviceHours).toBeGreaterThan(r.run!.deviceHoursAtPeak);
  });

  it('row 5: LLaMA-65B on 2048 A100-80GB, 1.4T tokens, about 21 days (380 tokens/s/GPU)', () => {
    // The stack as the LLaMA paper describes it (Touvron et al. 2023, Sec. 2.4): the model and
    // sequence parallelism and the reduced recomputation of Korthikanti et al. 2022 (framework
    // megatron-lm@2022: no distributed optimizer yet) with xformers' memory-efficient attention
    // (a FlashAttention-2-class kernel), and checkpointing that keeps the linear layers' outputs and
    // recomputes the cheap rest (selective recomputation); 2048-token sequences, 4M-token batches.
    const r = ok(
      train({
        kind: 'training',
        model: 'llama-65b',
        system: { accelerator: 'nvidia-a100-80gb-sxm', count: 2048, perNode: 8 },
        training: {
          sequenceLength: 2048,
          globalBatchSize: 2048,
          precision: 'bf16',
          tokens: 1.4e12,
          recompute: 'selective',
          framework: { id: 'megatron-lm@2022', attention: 'flash2' },
        },
      }),
    );
    within(r.throughput.tokensPerSecondPerDevice, 380, 0.2);
    within(r.run!.days, 21, 0.2);
  });

  it('row 6: Chinchilla-optimal data is 20 tokens per parameter, and the planner plans with it', () => {
    const r = ok(
      train({
        kind: 'training',
        model: 'llama-3.1-8b',
        system: { accelerator: 'nvidia-h100-sxm', count: 64 },
        training: { sequenceLength: 8192, globalBatchSize: 256, tokens: 'chinchilla' },
      }),
    );
    expect(r.run!.tokens).toBe(20 * r.model.parameters);
    within(r.run!.seconds, r.run!.tokens / r.throughput.tokensPerSecond, 1e-12);
  });
});

const serveReq = (d: Record<string, unknown>) => normalizeInference(raw({ kind: 'inference', ...d }), ctx, null);

describe('rows 7, 8, 10 (seed 004): serving memory', () => {
  it('row 7: Llama 3.1 405B in BF16 needs two 8 x H100 servers; the fewest whole servers the planner finds is 2', () => {
    const req = serveReq({
      model: 'llama-3.1-405b',
      system: { accelerator: 'nvidia-h100-sxm', count: 8 },
      workload: { inputTokens: 512, outputTokens: 128, concurrency: 1 },
    });
    expect(minimumDevices(req, 8)!.devices).toBe(16);
    expect(
      ok(
        serve({
          model: 'llama-3.1-405b',
          kind: 'inference',
          system: { accelerator: 'nvidia-h100-sxm', count: 8 },
          workload: { inputTokens: 512, outputTokens: 128, concurrency: 1 },
        }),
      ).fits,
    ).toBe(false);
    // device by device the planner could fit it on 11 GPUs (pipeline 11): the claim counts whole servers
    expect(minimumDevices(req, 1)!.devices).toBeLessThan(16);
  });

  it('row 8: a 100B-class model needs 200-300 GB and a 10B-class model 20-30 GB (FP16 weights plus KV at modest batch)', () => {
    const big = ok(
      serve({
        kind: 'inference',
        model: 'yuan2-102b',
        system: { accelerator: 'nvidia-h200-sxm', count: 2 },
        parallelism: { tensor: 2 },
        quantization: { weights: 'fp16' },
        workload: { inputTokens: 2048, outputTokens: 512, concurrency: 8 },
      }),
    );
    const total = 2 * (big.memory.breakdown.weights + big.memory.breakdown.kvCache);
    expect(total).toBeGreaterThanOrEqual(200e9);
    expect(total).toBeLessThanOrEqual(300e9);
    const small = ok(
      serve({
        kind: 'inference',
        model: 'llama-2-13b',
        system: { accelerator: 'nvidia-a100-80gb-sxm', count: 1 },
        quantization: { weights: 'fp16' },
        workload: { inputTokens: 1024, outputTokens: 256, concurrency: 2 },
      }),
    );
    const t2 = small.memory.breakdown.weights + small.memory.breakdown.kvCache;
    expect(t2).toBeGreaterThanOrEqual(20e9);
    expect(t2).toBeLessThanOrEqual(30e9);
  });

  it("row 10: a 100B model in BF16 under 100 ms per token needs >= 2 TB/s: the planner's batch-1 decode crosses 100 ms at ~2 TB/s achieved", () => {
    const decode = (gbps: number) =>
      ok(
        serve({
          kind: 'inference',
          model: 'yuan2-102b',
          system: { accelerator: { id: 'probe', architecture: 'hopper', bf16Tflops: 1000, memoryGB: 400, memoryBandwidthGBps: gbps }, count: 1 },
          workload: { inputTokens: 128, outputTokens: 32, concurrency: 1 },
        }),
      ).breakdown!.decode!;
    // the claim is a lower bound: the decode step's memory component (every byte it reads over the achieved
    // bandwidth). The TPOT the planner prints is that plus compute that does not overlap and launch overheads,
    // so it is above the bound at every bandwidth.
    const tpot = (gbps: number) => decode(gbps).memorySeconds;
    for (const g of [1000, 2500, 5000]) expect(decode(g).stepSeconds).toBeGreaterThan(decode(g).memorySeconds);
    // bisect the peak bandwidth at which the planner's bound is 100 ms
    let lo = 500;
    let hi = 10000;
    for (let i = 0; i < 40; i++) {
      const mid = (lo + hi) / 2;
      if (tpot(mid) > 0.1) lo = mid;
      else hi = mid;
    }
    const achieved = hi * 1e9 * ctx.calibration.memFraction;
    within(achieved, 2e12, 0.05);
  });
});

describe('rows 9, 13 (seed 004): CPU serving', () => {
  it('row 9: four Sapphire Rapids sockets, 8 x DDR5-4800 each: 1228.8 GB/s theoretical (the article divides by 1024: 1200)', () => {
    const c = ctx.catalog.cpus.get('intel-xeon-8480plus')!;
    within(4 * c.memoryBandwidth, 1228.8e9, 0.01);
    // the 995 GB/s measured read is not reproduced: it IS the source of the measured fraction (0.81) the
    // planner applies to every socket, and says so
    expect(c.measuredSource).toMatch(/995 of 1228\.8 GB\/s measured read \(seed 004/);
  });

  it('row 13: Yuan2.0-102B in NF4 with double quantization on 4 sockets (TP 4 over UPI): collectives are 10-30% of decode', () => {
    // the article's setup: tensor parallelism over the 4 sockets and NF4 + double-quantized weights; the
    // collective latency is sourced (calibration serving.cpuCollectiveSeconds: DeepSpeed's measured CPU all-reduce)
    const r = ok(
      serve({
        kind: 'inference',
        model: 'yuan2-102b',
        system: { cpu: 'intel-xeon-8480plus', sockets: 4 },
        parallelism: { tensor: 4 },
        quantization: { weights: 'nf4-dq' },
        workload: { inputTokens: 512, outputTokens: 128, concurrency: 1 },
      }),
    );
    expect(r.breakdown.decode.communicationShare).toBeGreaterThanOrEqual(0.1);
    expect(r.breakdown.decode.communicationShare).toBeLessThanOrEqual(0.3);
    expect(r.bound).toBe('memory-bandwidth');
  });
});

describe('rows 11, 12 (seed 004): NF4 storage', () => {
  const mem = (weights: string) =>
    ok(
      serve({
        kind: 'inference',
        model: 'yuan2-102b',
        system: { accelerator: 'nvidia-h200-sxm', count: 4 },
        parallelism: { tensor: 4 },
        quantization: { weights },
        workload: { inputTokens: 128, outputTokens: 16, concurrency: 1 },
      }),
    );
  it('row 11: scale overhead of NF4 block 64 for 100B parameters is 6.25 GB; with double quantization 1.5625 + 0.0244 GB', () => {
    // the planner's whole-model weight bytes minus 4 bits per quantized parameter, scaled to 100B quantized parameters
    const m = model('yuan2-102b');
    const c = countParameters(m);
    const kept = c.embedding + c.lmHead; // embeddings, head, norms and routers stay 16-bit
    const quantized = c.total - kept - m.layers * m.normsPerLayer * m.hidden - m.hidden;
    const keptBytes = 2 * (c.total - quantized);
    const scales = (w: string) => ((mem(w).memory.weightBytesTotal - keptBytes - quantized / 2) * 100e9) / quantized;
    within(scales('nf4'), 6.25e9, 0.01);
    within(scales('nf4-dq'), 1.5625e9 + 0.0244e9, 0.01);
  });

  it('row 12: NF4 cuts the quantized weights and the bytes a decode step moves about 4x (3.8-4.0x with double-quantized scales)', () => {
    const m = model('yuan2-102b');
    const c = countParameters(m);
    const kept = 2 * (c.embedding + c.lmHead + m.layers * m.normsPerLayer * m.hidden + m.hidden);
    const bf = mem('bf16');
    const nf = mem('nf4-dq');
    const ratio = (bf.memory.weightBytesTotal - kept) / (nf.memory.weightBytesTotal - kept);
    expect(ratio).toBeGreaterThanOrEqual(3.8);
    expect(ratio).toBeLessThanOrEqual(4.0);
    // the whole model shrinks less (embeddings and head stay 16-bit, as bitsandbytes keeps them), and so do the
    // bytes a batch-1 decode step moves: the article's "1/4" counts the quantized weights
    const whole = bf.memory.weightBytesTotal / nf.memory.weightBytesTotal;
    expect(whole).toBeGreaterThan(3.3);
    expect(whole).toBeLessThan(ratio);
    const moved = bf.breakdown.decode.memorySeconds / nf.breakdown.decode.memorySeconds;
    expect(moved).toBeGreaterThan(3.3);
    expect(moved).toBeLessThanOrEqual(4.0);
  });
});

describe('rows 15-17 (seed 001): decode is memory-bound', () => {
  it('row 15: LLaMA-7B decode A100/A10 speed ratio tracks the bandwidth ratio and stays flat over batch', () => {
    const step = (acc: string, b: number) =>
      ok(
        serve({
          kind: 'inference',
          model: 'llama-2-7b',
          system: { accelerator: acc, count: 1 },
          workload: { inputTokens: 512, outputTokens: 128, concurrency: b },
        }),
      ).breakdown.decode.stepSeconds;
    const rs = [1, 4, 16].map((b) => step('nvidia-a10', b) / step('nvidia-a100-80gb-sxm', b));
    for (const r of rs) within(r, 2039 / 600, 0.15);
    expect((Math.max(...rs) - Math.min(...rs)) / Math.min(...rs)).toBeLessThan(0.1);
  });

  it('row 16: LLaMA-70B on 8 x A10 over PCIe (TP 8): all-reduce is 20-45% of decode', () => {
    const r = ok(
      serve({
        kind: 'inference',
        model: 'llama-2-70b',
        system: { accelerator: 'nvidia-a10', count: 8 },
        parallelism: { tensor: 8 },
        workload: { inputTokens: 512, outputTokens: 128, concurrency: 1 },
      }),
    );
    expect(r.fits).toBe(true);
    expect(r.breakdown.decode.communicationShare).toBeGreaterThanOrEqual(0.2);
    expect(r.breakdown.decode.communicationShare).toBeLessThanOrEqual(0.45);
  });

  it("row 17: at batch 1, at least 75% of a large model's decode GEMM time is memory traffic (both roofline components measured)", () => {
    const at = (c: number) =>
      ok(
        serve({
          kind: 'inference',
          model: 'llama-3.1-70b',
          system: { accelerator: 'nvidia-h100-sxm', count: 4 },
          parallelism: { tensor: 4 },
          workload: { inputTokens: 512, outputTokens: 128, concurrency: c },
        }),
      ).breakdown.decode;
    const one = at(1);
    expect(one.computeSeconds).toBeGreaterThan(0);
    expect(one.gemmMemoryShare).toBeGreaterThanOrEqual(0.75);
    expect(one.memorySeconds / (one.memorySeconds + one.computeSeconds)).toBeGreaterThanOrEqual(0.75);
    // the share is a measured quantity: at a large batch compute takes over
    expect(at(512).gemmMemoryShare).toBeLessThan(0.75);
  });
});

describe('rows 18, 19 (seed 002): HPN 7.0 fabric and power', () => {
  const hpn = (count: number) =>
    ok(
      cluster({
        kind: 'cluster',
        system: { accelerator: 'nvidia-h100-sxm', count, perNode: 8 },
        network: { nicsPerNode: 8, nicGbps: 400, planes: 2, switchGbps: 51200 },
        pue: 1.3,
      }),
    );
  it('row 18: one tier reaches 128-136 eight-GPU servers; 1, 2 and 3 tiers at 1K, 15K and 100K GPUs', () => {
    const r = hpn(1024);
    expect(r.maxAcceleratorsByTiers[0]! / 8).toBeGreaterThanOrEqual(128);
    expect(r.maxAcceleratorsByTiers[0]! / 8).toBeLessThanOrEqual(136);
    expect([hpn(1024).tiers, hpn(15_360).tiers, hpn(100_000).tiers]).toEqual([1, 2, 3]);
  });
  it('row 19: 100K H100 need 120-200 MW at the facility (two 110 kV substations)', () => {
    const p = hpn(100_000).power;
    expect(p.facilityWatts / 1e6).toBeGreaterThanOrEqual(120);
    expect(p.facilityWatts / 1e6).toBeLessThanOrEqual(200);
  });
});

describe('row 20 (seed 002): 1,000-GPU runs reach 96% linear scaling', () => {
  it.each(['llama-2-7b', 'llama-2-13b'])('%s keeps at least 90% of per-GPU throughput from 8 to 1024 H800 (searched plans)', (id) => {
    const run = (count: number) =>
      ok(
        train({
          kind: 'training',
          model: id,
          system: { accelerator: 'nvidia-h800-sxm', count },
          training: { sequenceLength: 4096, globalBatchSize: 2 * count, precision: 'bf16' },
        }),
      );
    const ratio = run(1024).throughput.tokensPerSecondPerDevice / run(8).throughput.tokensPerSecondPerDevice;
    expect(ratio).toBeGreaterThanOrEqual(0.9);
    expect(ratio).toBeLessThanOrEqual(1.01);
  });
});

describe('row 21 (seed 002): the best scale-up domain for 150-200 GB GPUs is at most 128', () => {
  const sweep = async (m: Record<string, unknown>) => {
    const { scaleUpSweep } = await import('../src/fleet/sweep.js');
    const { normalizeTraining } = await import('../src/scenario/training.js');
    return scaleUpSweep(
      normalizeTraining(
        raw({ kind: 'training', model: m, system: { accelerator: 'nvidia-b200-hgx', count: 8192 }, training: { sequenceLength: 4096, globalBatchSize: 4096 } }),
        ctx,
        null,
      ),
      [8, 128, 256],
    ).map((r) => r.tokensPerSecondPerDevice!);
  };
  it('a 1.8T MoE gains more than 20% from 8 to 128 and less than 5% from 128 to 256', async () => {
    const [a, b, c] = await sweep({
      model_type: 'mixtral',
      hidden_size: 10240,
      num_hidden_layers: 120,
      num_attention_heads: 80,
      num_key_value_heads: 8,
      intermediate_size: 40960,
      num_local_experts: 16,
      num_experts_per_tok: 2,
      vocab_size: 100352,
      hidden_act: 'gelu',
    });
    expect(b! / a!).toBeGreaterThan(1.2);
    expect(c! / b!).toBeLessThan(1.05);
  });
  it('a 4T dense model gains less than 5% past 128; its 8 -> 128 gain is small (reasoned exception)', async () => {
    const [a, b, c] = await sweep({
      model_type: 'llama',
      hidden_size: 51200,
      num_hidden_layers: 128,
      num_attention_heads: 400,
      num_key_value_heads: 8,
      intermediate_size: 204800,
      vocab_size: 128256,
      hidden_act: 'gelu',
    });
    expect(c! / b!).toBeLessThan(1.05);
    // Exception to "> 20% from 8 to 128" for the dense model: with 180 GB B200s a 4T dense model already
    // trains at TP 8 inside an 8-GPU domain with interleaved pipelines hiding most of the bubble; a larger
    // domain only moves pipeline and data-parallel traffic onto NVLink, which the schedule already
    // overlaps. The planner finds a few percent, not 20%; the article's 20% is a property of MoE expert
    // all-to-all (the case above), which a larger domain takes off the NICs.
    expect(b! / a!).toBeGreaterThanOrEqual(0.999);
    expect(b! / a!).toBeLessThan(1.2);
  });
});

describe('rows 14, 22, 23 (seeds 002-004): failures and effective training time', () => {
  // Stated assumptions, with sources:
  // - failure rate: the Llama 3 405B table (419 interruptions of 16,384 H100 in 54 days; data/reliability.csv);
  // - recovery: Llama 3 405B reached "> 90%" effective training time with those 419 interruptions (same paper,
  //   Sec. 3.3.4; catalog R0025), so lost time per interruption was at most 10% x 54 days / 419 = 18.6 minutes,
  //   restart and recomputed work together; we take a 10-minute restart plus the planner's recompute;
  // - checkpoints: asynchronous (seed 003 credits "异步写入", asynchronous writes; Alibaba's self-healing restarts
  //   from checkpoints as well), at 1 TB/s aggregate, the Llama 3 paper's storage scale.
  const run = (count: number, days: number) =>
    ok(
      goodput({
        kind: 'goodput',
        model: 'llama-3.1-70b',
        system: { accelerator: 'nvidia-h100-sxm', count, perNode: 8 },
        training: { sequenceLength: 8192, globalBatchSize: count / 2 },
        reliability: { days, restartMinutes: 10, checkpoint: { writeGBps: 1000, async: true }, trials: 400 },
      }),
    );

  it('row 14: the failure defaults reproduce 419 interruptions of 16,384 H100 in 54 days (the calibration source)', () => {
    const r = run(16384, 54);
    within(r.interruptions.expected, 419, 0.05);
    within(r.interruptions.meanTimeBetweenHours, 3.09, 0.05);
  });

  it('the assumed recovery stays within what Llama 3 reported (> 90% at 16,384 GPUs over 54 days)', () => {
    expect(run(16384, 54).effectiveTrainingTime).toBeGreaterThan(0.9);
  });

  it('row 22: Alibaba, 3,000 GPUs for a month: about 99%', () => {
    const r = run(3000, 30);
    expect(r.effectiveTrainingTime).toBeGreaterThanOrEqual(0.985);
    expect(r.effectiveTrainingTime).toBeLessThanOrEqual(0.995);
    expect(Math.abs(r.monteCarlo.mean - r.effectiveTrainingTime)).toBeLessThan(0.005);
  });

  it('row 22: Baidu, 95%, with asynchronous checkpoints, the same assumptions, at an assumed 10,000 GPUs', () => {
    // Seed 003 names no scale, restart time or period: only "failures several times a day" and 95%, an
    // integer percent. Assumed: 10,000 GPUs for 30 days (4.7 interruptions a day at the Llama 3 rate, which is
    // "several a day"), every other assumption as above, none chosen for this row. The band is the article's
    // precision plus the unknown scale: 93-97%.
    const r = run(10000, 30);
    expect(r.checkpoint.async).toBe(true);
    expect(r.interruptions.expected / 30).toBeGreaterThan(2);
    expect(r.effectiveTrainingTime).toBeGreaterThanOrEqual(0.93);
    expect(r.effectiveTrainingTime).toBeLessThanOrEqual(0.97);
    // and the recovery that 95% implies at that scale is no longer than what Llama 3's "> 90%" allows (18.6
    // minutes lost per interruption): a goodput formula that double-counted lost time would imply less than
    // nothing, one that missed a term more than Llama 3's bound
    const at = (minutes: number) =>
      ok(
        goodput({
          kind: 'goodput',
          model: 'llama-3.1-70b',
          system: { accelerator: 'nvidia-h100-sxm', count: 10000, perNode: 8 },
          training: { sequenceLength: 8192, globalBatchSize: 5000 },
          reliability: { days: 30, restartMinutes: minutes, checkpoint: { writeGBps: 1000, async: true }, trials: 10 },
        }),
      ).effectiveTrainingTime;
    let lo = 0;
    let hi = 60;
    for (let i = 0; i < 30; i++) {
      const mid = (lo + hi) / 2;
      if (at(mid) > 0.95) lo = mid;
      else hi = mid;
    }
    expect(lo).toBeGreaterThan(1);
    expect(lo).toBeLessThan(18.6);
  });

  it('row 23: lost time = interruptions x (recovery + recompute) + checkpoint writing, and nothing else', () => {
    const r = run(3000, 30);
    const total = 30 * 86400;
    const lost = r.lostSeconds.restart + r.lostSeconds.recompute + r.lostSeconds.checkpoint;
    expect(r.effectiveTrainingTime).toBeCloseTo(1 - lost / total, 12);
    expect(r.lostSeconds.restart / r.interruptions.expected).toBeGreaterThanOrEqual(r.restartSeconds * 0.98);
  });
});

describe('row 24 (seed 003): H100 vs A100', () => {
  it('HBM +65%, interconnect +50%, ~3x compute; FP8 doubles BF16', () => {
    const h = acc('nvidia-h100-sxm');
    const a = acc('nvidia-a100-80gb-sxm');
    within(h.memoryBandwidth / a.memoryBandwidth, 1.65, 0.1);
    within(h.scaleUp.bandwidth / a.scaleUp.bandwidth, 1.5, 0.1);
    within(h.peakFlops.bf16! / a.peakFlops.bf16!, 3, 0.1);
    within(h.peakFlops.fp8! / h.peakFlops.bf16!, 2, 0.1);
  });
});

describe('row 25 (seed 003): in-network reduction: sends drop from 2N to N+1, ~2x on InfiniBand, ~30% on NVSwitch', () => {
  const plan = (system: Record<string, unknown>, parallelism: Record<string, unknown>) =>
    ok(
      train({
        kind: 'training',
        model: 'llama-3.1-8b',
        system: { accelerator: 'nvidia-h100-sxm', perNode: 8, ...system },
        parallelism: { pipeline: 1, context: 1, expert: 1, virtualStages: 1, zero: 0, ...parallelism },
        training: { sequenceLength: 4096, globalBatchSize: 1024, microBatchSize: 1, recompute: 'none', precision: 'bf16', tpCommOverlap: false },
      }),
    );
  it('SHARP: the planner sends (N+1)/N of the gradients per rank instead of 2(N-1)/N, and reduces them ~2x faster across 128 nodes', () => {
    const base = { tensor: 8, data: 128, sequenceParallel: false };
    const off = plan({ count: 1024 }, base);
    const on = plan({ count: 1024, scaleOut: { inNetworkReduction: true } }, base);
    const g = off.communication.dataBytesPerStep;
    within(off.communication.dataBytesSentPerRank, ((2 * 127) / 128) * g, 1e-9);
    within(on.communication.dataBytesSentPerRank, (129 / 128) * g, 1e-9);
    within(off.step.detail.dataSeconds / on.step.detail.dataSeconds, 2, 0.1);
  });
  it('NVLS on the NVSwitch: tensor-parallel all-reduces ~30% faster', () => {
    const base = { tensor: 8, data: 1, sequenceParallel: false };
    const nvls = plan({ count: 8 }, base);
    const ring = plan({ count: 8, scaleUp: { inNetworkReduction: false } }, base);
    within(ring.step.detail.tensorSeconds / nvls.step.detail.tensorSeconds, 1.3, 0.1);
  });
});

describe('row 26 (seed 003): communication volumes of GPT-3 175B on a 3-D split', () => {
  it('DP is GB-scale per step, PP MB-scale per micro-batch, TP hundreds of GB per step', () => {
    const r = ok(
      train({
        kind: 'training',
        model: 'gpt3-175b',
        system: { accelerator: 'nvidia-a100-80gb-sxm', count: 1024 },
        parallelism: { tensor: 8, pipeline: 8, data: 16, context: 1, expert: 1, virtualStages: 1, sequenceParallel: false, zero: 1 },
        training: { sequenceLength: 2048, globalBatchSize: 1536, microBatchSize: 1, recompute: 'none' },
      }),
    );
    const c = r.communication;
    expect(c.dataBytesPerStep).toBeGreaterThanOrEqual(1e9);
    expect(c.dataBytesPerStep).toBeLessThan(1e11);
    const perMicroBatch = c.pipelineBytesPerStep / (2 * r.training.microBatches);
    expect(perMicroBatch).toBeGreaterThanOrEqual(1e6);
    expect(perMicroBatch).toBeLessThan(1e9);
    expect(c.tensorBytesPerStep).toBeGreaterThanOrEqual(1e11);
    expect(c.tensorBytesPerStep).toBeLessThan(1e12);
  });
});

describe('rows 27, 28 (seeds 000, 004): offloading', () => {
  it('row 27: far beyond device memory, decode time is the offloaded bytes over the measured host-link bandwidth', () => {
    const r = ok(
      serve({
        kind: 'inference',
        model: 'llama-3.1-70b',
        system: { accelerator: 'nvidia-h200-sxm', count: 1 },
        workload: { inputTokens: 512, outputTokens: 128, concurrency: 1 },
        offload: { weights: 0.8, to: 'host' },
      }),
    );
    // measured independently: PCIe Gen5 x16 pinned host-to-device on an H200, 55.4 GB/s (research note
    // physics/FACTS.md, 'pcie.gen5.h2d.h200'), not the planner's own 64 GB/s x 0.79
    within(r.latency!.tpotSeconds, r.offload!.bytesStreamedPerStep / 55.4e9, 0.15);
    expect(r.offload!.boundByLink).toBe(true);
    expect(r.bound).toBe('host-link');
  });

  it('row 28: Llama 3.1 405B on one RTX 4090: minutes per token, hours per answer, bound by the slowest tier (the disk)', () => {
    const r = ok(
      serve({
        kind: 'inference',
        model: 'llama-3.1-405b',
        system: { accelerator: 'nvidia-rtx-4090', count: 1, hostMemoryGB: 192, diskGBps: 3 },
        workload: { inputTokens: 200, outputTokens: 500, concurrency: 1 },
        offload: { weights: 'auto' },
      }),
    );
    expect(r.fits).toBe(true);
    expect(r.bound).toBe('disk');
    expect(r.offload!.slowestTier).toBe('disk');
    expect(r.latency!.tpotSeconds / 60).toBeGreaterThan(1);
    expect(r.latency!.tpotSeconds / 60).toBeLessThan(30);
    expect(r.latency!.requestSeconds / 3600).toBeGreaterThan(2);
    expect(r.latency!.requestSeconds / 3600).toBeLessThan(200);
    // First token: the article reports ~30 minutes. The prompt is prefilled in one pass over the weights, so the
    // planner's first token takes one weight pass (~3.5 min at 3 GB/s from NVMe past 192 GB of host memory);
    // 30 minutes would mean ~0.4 GB/s, e.g. weights paged in through mmap faults from a consumer SSD. The test
    // checks the planner's account (first token = one pass over the streamed weights), not the article's number.
    within(r.latency!.ttftSeconds, r.offload!.linkSeconds, 0.1);
  });
});
