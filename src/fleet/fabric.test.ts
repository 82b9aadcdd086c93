import { describe, expect, it } from 'vitest';
import { acc as accelerator, ctx } from '../../test/ctx.js';
import { FabricError, maxAcceleratorsByTiers, sizeFabric, type FabricInput } from './fabric.js';
import { clusterPower } from './power.js';

// HPN 7.0 (seed 002): 8 GPUs and 8 x 400G NICs per server, each NIC 2 x 200G on two planes,
// 51.2 Tb/s switches => 256 ports of 200G.
const hpn = (n: number): FabricInput => ({
  accelerators: n,
  perNode: 8,
  nicsPerNode: 8,
  nicGbps: 400,
  planes: 2,
  radix: 51200 / 200,
  oversubscription: 1,
  maxTiers: 3,
});

describe('seed claim 18: HPN 7.0 tiers', () => {
  it('one tier reaches 128 eight-GPU servers (~1K GPUs), two tiers > 10K, three tiers 100K', () => {
    const [one, two, three] = maxAcceleratorsByTiers(hpn(1));
    expect(one! / 8).toBeGreaterThanOrEqual(128);
    expect(one! / 8).toBeLessThanOrEqual(136);
    expect(two).toBeGreaterThan(10_000);
    expect(three).toBeGreaterThanOrEqual(100_000);
  });
  it('needs 1, 2 and 3 tiers at 1K, 15K and 100K GPUs', () => {
    expect(sizeFabric(hpn(1024)).tiers).toBe(1);
    expect(sizeFabric(hpn(15_360)).tiers).toBe(2);
    expect(sizeFabric(hpn(100_000)).tiers).toBe(3);
  });
});

describe('fabric sizing', () => {
  it('matches the fat-tree formulas for a 64-port switch (k^2/2, k^3/4)', () => {
    const f: FabricInput = { accelerators: 1, perNode: 8, nicsPerNode: 8, nicGbps: 400, planes: 1, radix: 64, oversubscription: 1, maxTiers: 3 };
    const [, two, three] = maxAcceleratorsByTiers(f);
    expect(two).toBe((64 * 64) / 2);
    expect(three).toBe((64 * 64 * 64) / 4);
  });
  it('counts switches and links of a two-tier non-blocking fabric', () => {
    const d = sizeFabric({ accelerators: 2048, perNode: 8, nicsPerNode: 8, nicGbps: 400, planes: 1, radix: 64, oversubscription: 1, maxTiers: 3 });
    expect(d.tiers).toBe(2);
    expect(d.switchesPerTier).toEqual([64, 32]); // 64 leaves (8 rails x 8), 32 spines
    expect(d.linksPerLevel).toEqual([2048, 2048]);
    expect(d.bisectionGbps).toBe((2048 * 400) / 2);
  });
  it('oversubscription raises reach and cuts bisection', () => {
    const base = { accelerators: 4096, perNode: 8, nicsPerNode: 8, nicGbps: 400, planes: 1, radix: 64, maxTiers: 3 };
    const nb = sizeFabric({ ...base, oversubscription: 1 });
    const os = sizeFabric({ ...base, oversubscription: 3 });
    expect(os.bisectionGbps).toBeLessThan(nb.bisectionGbps);
    expect(maxAcceleratorsByTiers({ ...base, oversubscription: 3 })[1]).toBeGreaterThan(maxAcceleratorsByTiers({ ...base, oversubscription: 1 })[1]!);
  });
  it('rejects a cluster beyond the allowed tiers', () => {
    expect(() => sizeFabric({ ...hpn(100_000), maxTiers: 2 })).toThrow(FabricError);
  });
});

describe('seed claim 19: power of 100K GPUs', () => {
  it('100K H100 draw 120-200 MW at the facility (two 110 kV substations)', () => {
    const d = sizeFabric(hpn(100_000));
    const p = clusterPower(ctx.fleet, accelerator('nvidia-h100-sxm'), 100_000, d, 1.3);
    expect(p.facilityWatts / 1e6).toBeGreaterThanOrEqual(120);
    expect(p.facilityWatts / 1e6).toBeLessThanOrEqual(200);
    expect(p.itWatts).toBeGreaterThan(p.acceleratorWatts);
  });
});
