import { describe, expect, it } from 'vitest';
import { ctx, raw } from '../../test/ctx.js';
import { IssueError } from '../core/issues.js';
import { normalizeCluster as nc } from '../scenario/fleet.js';
import { normalizeTraining as nt } from '../scenario/training.js';
import { planCluster as pc } from './plan.js';
import { weakScaling } from './sweep.js';

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
  it('a count where nothing fits prints no number and is no reference: the ratios start at the first plan that fits', () => {
    const big = normalizeTraining(
      raw({
        kind: 'training',
        model: 'llama-3.1-70b',
        system: { accelerator: 'nvidia-h100-sxm', count: 8 },
        training: { sequenceLength: 8192, globalBatchSize: 64 },
      }),
    );
    const rows = weakScaling(big, [8, 64, 512], ctx.fleet, net);
    expect(rows[0]).toMatchObject({ x: 8, fits: false, tokensPerSecondPerDevice: null, relative: null });
    const firstFit = rows.find((r) => r.fits)!;
    expect(firstFit.relative).toBe(1);
    for (const r of rows) if (r.fits) expect(r.relative!).toBeCloseTo(r.tokensPerSecondPerDevice! / firstFit.tokensPerSecondPerDevice!, 9);
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
