import { describe, expect, it } from 'vitest';
import { ctx, raw } from '../../test/ctx.js';
import { IssueError } from '../core/issues.js';
import { normalizeCluster as nc, normalizeGoodput } from '../scenario/fleet.js';
import { normalizeTraining as nt } from '../scenario/training.js';
import { planCluster as pc, planGoodput } from './plan.js';
import { scaleUpSweep, weakScaling } from './sweep.js';

const normalizeCluster = (r: ReturnType<typeof raw>) => nc(r, ctx);
const planCluster = (n: ReturnType<typeof normalizeCluster>) => pc(n, ctx.fleet);
const normalizeTraining = (r: ReturnType<typeof raw>) => nt(r, ctx, null);

describe('cluster planning', () => {
  it('answers the contract for 100K H100 on an HPN-style dual-plane network', () => {
    const r = planCluster(
      normalizeCluster(
        raw({
          kind: 'cluster',
          system: { accelerator: 'nvidia-h100-sxm', count: 100000, perNode: 8 },
          network: { nicsPerNode: 8, nicGbps: 400, planes: 2, switchGbps: 51200 },
          pue: 1.3,
        }),
      ),
    );
    expect(r.tiers).toBe(3);
    expect(r.maxAcceleratorsByTiers).toHaveLength(3);
    expect(r.switches.perTier.reduce((a, b) => a + b, 0)).toBe(r.switches.total);
    expect(r.links.total).toBeGreaterThan(100000);
    expect(r.bisectionGbps).toBe((100000 * 400) / 2);
    expect(r.power.facilityWatts).toBeCloseTo(r.power.itWatts * 1.3);
  });

  it('sizes from a catalog switch', () => {
    const r = planCluster(
      normalizeCluster(
        raw({ kind: 'cluster', system: { accelerator: 'nvidia-h100-sxm', count: 2048, perNode: 8 }, network: { switch: 'nvidia-quantum2-qm9700' } }),
      ),
    );
    expect(r.tiers).toBe(2);
    expect(r.switches.ports).toBe(64);
  });

  it('rejects impossible fabrics, zero bandwidths and unknown switches with the field named', () => {
    const issues = (d: Record<string, unknown>) => {
      try {
        planCluster(normalizeCluster(raw(d)));
      } catch (e) {
        if (e instanceof IssueError) return e.issues;
        throw e;
      }
      return [];
    };
    const sys = { accelerator: 'nvidia-h100-sxm', count: 100000, perNode: 8 };
    expect(issues({ kind: 'cluster', system: sys, network: { maxTiers: 2, planes: 2, nicGbps: 400 } })[0]!.path).toEqual(['system', 'count']);
    expect(issues({ kind: 'cluster', system: sys, network: { nicGbps: 0 } })[0]!.path).toEqual(['network', 'nicGbps']);
    expect(issues({ kind: 'cluster', system: sys, network: { switch: 'nope' } })[0]).toMatchObject({ code: 'unknown_id', path: ['network', 'switch'] });
  });
});

const goodput = (over: Record<string, unknown>, reliability: Record<string, unknown>) =>
  planGoodput(
    normalizeGoodput(
      raw({
        kind: 'goodput',
        model: 'llama-3.1-70b',
        system: { accelerator: 'nvidia-h100-sxm', count: 3000, perNode: 8 },
        training: { sequenceLength: 8192, globalBatchSize: 1500 },
        ...over,
        reliability: { trials: 400, ...reliability },
      }),
      ctx,
      null,
    ),
    ctx.reliability,
  );

describe('seed claim 22: effective training time of 99% (Alibaba) and 95% (Baidu)', () => {
  it('3,000 GPUs for a month at the Llama 3 failure rate, 10-minute self-healing restarts and async checkpoints: ~99%', () => {
    const r = goodput({}, { days: 30, restartMinutes: 10, checkpoint: { writeGBps: 1000, async: true } });
    expect(r.effectiveTrainingTime).toBeGreaterThanOrEqual(0.985);
    expect(r.effectiveTrainingTime).toBeLessThanOrEqual(0.995);
    expect(Math.abs(r.monteCarlo.mean - r.effectiveTrainingTime)).toBeLessThan(0.003);
  });

  it('GPT-3 175B on 2,048 A100 with 30-minute manual recovery and synchronous 100 GB/s checkpoints: ~95%', () => {
    const r = goodput(
      {
        model: 'gpt3-175b',
        system: { accelerator: 'nvidia-a100-80gb-sxm', count: 2048, perNode: 8 },
        training: { sequenceLength: 2048, globalBatchSize: 1536 },
      },
      { days: 30, restartMinutes: 30, checkpoint: { writeGBps: 100, async: false } },
    );
    expect(r.effectiveTrainingTime).toBeGreaterThanOrEqual(0.94);
    expect(r.effectiveTrainingTime).toBeLessThanOrEqual(0.96);
    expect(r.lostSeconds.checkpoint).toBeGreaterThan(0);
    expect(r.checkpoint.optimal).toBe(true);
  });

  it('answers the goodput contract', () => {
    const r = goodput({}, { days: 10, restartMinutes: 5, checkpoint: { writeGBps: 500, async: true, intervalMinutes: 30 } });
    for (const k of ['expected', 'meanTimeBetweenHours']) expect(typeof (r.interruptions as Record<string, unknown>)[k]).toBe('number');
    for (const k of ['sizeBytes', 'writeSeconds', 'intervalSeconds']) expect(typeof (r.checkpoint as Record<string, unknown>)[k]).toBe('number');
    for (const k of ['restart', 'recompute', 'checkpoint']) expect(typeof (r.lostSeconds as Record<string, unknown>)[k]).toBe('number');
    expect(r.checkpoint.intervalSeconds).toBeGreaterThanOrEqual(30 * 60);
    expect(r.monteCarlo.ci95[0]).toBeLessThanOrEqual(r.monteCarlo.ci95[1]);
  });
});

// Seed claim 21 (seed 002): for 150-200 GB GPUs the best x-Link (scale-up) domain is <= 128:
// gains flatten past 128. A 1.8T MoE (16 experts, top-2) and a 4T dense model on B200 (180 GB).
describe('seed claim 21: scale-up domain sweep', () => {
  const scenario = (model: Record<string, unknown>) =>
    normalizeTraining(
      raw({ kind: 'training', model, system: { accelerator: 'nvidia-b200-hgx', count: 8192 }, training: { sequenceLength: 4096, globalBatchSize: 4096 } }),
    );
  const moe = {
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
  };
  const dense = {
    model_type: 'llama',
    hidden_size: 51200,
    num_hidden_layers: 128,
    num_attention_heads: 400,
    num_key_value_heads: 8,
    intermediate_size: 204800,
    vocab_size: 128256,
    hidden_act: 'gelu',
  };

  it('1.8T MoE: > 20% from 8 to 128, < 5% from 128 to 256', () => {
    const rows = scaleUpSweep(scenario(moe), [8, 128, 256]);
    expect(rows[1]!.tokensPerSecondPerDevice! / rows[0]!.tokensPerSecondPerDevice!).toBeGreaterThan(1.2);
    expect(rows[2]!.tokensPerSecondPerDevice! / rows[1]!.tokensPerSecondPerDevice!).toBeLessThan(1.05);
  });

  it('4T dense: < 5% from 128 to 256', () => {
    const rows = scaleUpSweep(scenario(dense), [8, 128, 256]);
    expect(rows[2]!.tokensPerSecondPerDevice! / rows[1]!.tokensPerSecondPerDevice!).toBeLessThan(1.05);
    expect(rows[1]!.tokensPerSecondPerDevice!).toBeGreaterThanOrEqual(rows[0]!.tokensPerSecondPerDevice! * 0.999);
  });
});

describe('weak scaling study', () => {
  const n = () =>
    normalizeTraining(
      raw({
        kind: 'training',
        model: 'llama-3.1-8b',
        system: { accelerator: 'nvidia-h100-sxm', count: 8 },
        training: { sequenceLength: 8192, globalBatchSize: 16 },
      }),
    );
  const net = { perNode: 8, nicsPerNode: 8, nicGbps: 400, planes: 2, radix: 256, oversubscription: 1, maxTiers: 3 };
  it('reports per-device throughput and fabric tiers from 8 to 100K devices, data-parallel exposure growing with the group', () => {
    const rows = weakScaling(n(), [8, 1024, 16384, 100000], ctx.fleet, net);
    expect(rows.map((r) => r.tiers)).toEqual([1, 1, 2, 3]);
    for (const r of rows) expect(r.relative!).toBeGreaterThan(0.9);
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.relative!).toBeLessThanOrEqual(rows[i - 1]!.relative! + 1e-9);
      expect(rows[i]!.dataExposedSeconds!).toBeGreaterThan(rows[i - 1]!.dataExposedSeconds!);
    }
  });
  it('prints no number for a cluster the fabric cannot build', () => {
    const rows = weakScaling(n(), [8, 1e9], ctx.fleet, net);
    expect(rows[1]).toMatchObject({ x: 1e9, tokensPerSecondPerDevice: null, relative: null });
    expect(rows[1]!.reason).toMatch(/more than 3 switch tiers/);
  });
});

describe('collectives at scale (NCCL tuning model)', () => {
  it('a small all-reduce pays tree latency, which grows with log2 of the nodes, and never ring latency', async () => {
    const { interNodeAllReduce } = await import('../cost/collective.js');
    const { fabricFor } = await import('../cost/topology.js');
    const f = fabricFor(ctx.catalog.accelerators.get('nvidia-h100-sxm')!, 8, ctx.calibration);
    const at = (nodes: number) => interNodeAllReduce(1e6, nodes, f);
    expect(at(2048)).toBeGreaterThan(at(16));
    // ring would pay 2 x 2047 network steps (> 10 ms at NCCL's 2.7 us LL step); tree pays 2 x 11 levels
    expect(at(2048)).toBeLessThan(2 * 11 * 14e-6 + 2e6 / (f.scaleOutBw * 0.92) + 1e-9);
    // large buckets keep ring bandwidth: 2(n-1)/n of the bytes per NIC
    const big = interNodeAllReduce(1e9, 64, f);
    expect(big).toBeLessThan(((2 * 63) / 64) * (1e9 / f.scaleOutBw) * 1.1);
  });
});
