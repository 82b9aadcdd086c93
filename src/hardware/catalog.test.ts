import { describe, expect, it } from 'vitest';
import { acc, ctx } from '../../test/ctx.js';
import { catalogListing } from './catalog.js';

const accelerators = () => [...ctx.catalog.accelerators.values()];
const accelerator = (id: string) => acc(id);

describe('hardware catalog', () => {
  it('keeps every catalog id and its sources', () => {
    const ids = accelerators().map((a) => a.id);
    expect(ids).toEqual(
      expect.arrayContaining(['nvidia-a10', 'nvidia-a100-80gb-sxm', 'nvidia-h100-sxm', 'nvidia-h200-sxm', 'nvidia-b200-hgx', 'nvidia-gb200']),
    );
    for (const a of accelerators()) expect(a.sources.length).toBeGreaterThan(0);
  });

  it('reads dense peaks, memory and per-direction scale-up bandwidth', () => {
    const h = accelerator('nvidia-h100-sxm')!;
    expect(h.peakFlops.bf16).toBeCloseTo(989.4e12, -9);
    expect(h.peakFlops.fp8).toBeCloseTo(1978.9e12, -9);
    expect(h.memoryBytes).toBe(81559 * 2 ** 20); // nvidia-smi memory.total, not the marketed 80 GB
    expect(h.memoryBandwidth).toBe(3350e9);
    expect(h.scaleUp.bandwidth).toBe(450e9);
    expect(h.scaleUp.domain).toBe(8);
    expect(h.scaleOut.bandwidth).toBe(50e9);
    expect(accelerator('nvidia-gb200')!.scaleUp.domain).toBe(72);
  });

  it('treats PCIe-only parts as talking over PCIe inside a server', () => {
    const a10 = accelerator('nvidia-a10')!;
    expect(a10.scaleUp.tech).toMatch(/^PCIe/);
    expect(a10.scaleUp.bandwidth).toBe(32e9);
  });

  // Seed claim 24 (seed 003): H100 vs A100: HBM +65 %, interconnect +50 %, ~3x compute; FP8 doubles BF16.
  it('reproduces the H100/A100 ratios of seed 003 (claim 24)', () => {
    const h = accelerator('nvidia-h100-sxm')!;
    const a = accelerator('nvidia-a100-80gb-sxm')!;
    const within = (x: number, target: number) => expect(Math.abs(x - target) / target).toBeLessThanOrEqual(0.1);
    within(h.memoryBandwidth / a.memoryBandwidth, 1.65);
    within(h.scaleUp.bandwidth / a.scaleUp.bandwidth, 1.5);
    within(h.peakFlops.bf16! / a.peakFlops.bf16!, 3);
    within(h.peakFlops.fp8! / h.peakFlops.bf16!, 2);
  });

  it('lists every kind of catalog entry', () => {
    const kinds = new Set(catalogListing(ctx.catalog).map((l) => l.kind));
    expect([...kinds]).toEqual(expect.arrayContaining(['accelerator', 'cpu', 'link', 'network', 'switch', 'system']));
  });
});
