import { describe, expect, it } from 'vitest';
import { FabricError, maxAcceleratorsByTiers, sizeFabric, type FabricInput } from './fabric.js';

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
