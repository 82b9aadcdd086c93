import { planTraining, type TrainRequest } from '../train/plan.js';
import { FabricError, sizeFabric, type FabricInput } from './fabric.js';
import type { FleetData } from './power.js';

export interface SweepRow {
  x: number;
  /** Null when no plan exists at this point (the fabric cannot be built that large, or nothing fits). */
  tokensPerSecondPerDevice: number | null;
  /** Relative to the previous row with a number (scale-up) or to the first row with a number (weak scaling). */
  relative: number | null;
  mfu: number | null;
  plan: string;
  fits: boolean;
  tiers?: number;
  /** Data-parallel communication left exposed per step, seconds (weak scaling). */
  dataExposedSeconds?: number;
  /** Why there is no number. */
  reason?: string;
}

function planLabel(r: ReturnType<typeof planTraining>): string {
  const p = r.parallelism;
  return `TP ${p.tensor} PP ${p.pipeline}${p.virtualStages > 1 ? `x${p.virtualStages}` : ''} DP ${p.data}${p.context > 1 ? ` CP ${p.context}` : ''}${p.expert > 1 ? ` EP ${p.expert}` : ''} mb ${r.training.microBatchSize} ${r.training.recompute}`;
}

/** Training throughput as the scale-up (NVLink-class) domain grows; everything else fixed. */
export function scaleUpSweep(n: TrainRequest, domains: number[]): SweepRow[] {
  const rows: SweepRow[] = [];
  for (const d of domains) {
    if (d > n.job.devices) {
      rows.push({
        x: d,
        tokensPerSecondPerDevice: null,
        relative: null,
        mfu: null,
        plan: '',
        fits: false,
        reason: `a domain larger than the job's ${n.job.devices} devices`,
      });
      continue;
    }
    const job = { ...n.job, perNode: Math.min(n.job.perNode, d), fabric: { ...n.job.fabric, domain: d } };
    const r = planTraining({ ...n, job }, { alternatives: 0 });
    if (!r.fits) {
      rows.push({ x: d, tokensPerSecondPerDevice: null, relative: null, mfu: null, plan: '', fits: false, reason: 'no plan fits in memory' });
      continue;
    }
    const prev = rows.findLast((row) => row.tokensPerSecondPerDevice !== null);
    rows.push({
      x: d,
      tokensPerSecondPerDevice: r.throughput.tokensPerSecondPerDevice,
      relative: prev?.tokensPerSecondPerDevice ? r.throughput.tokensPerSecondPerDevice / prev.tokensPerSecondPerDevice : 1,
      mfu: r.flops.mfu,
      plan: planLabel(r),
      fits: r.fits,
    });
  }
  return rows;
}

/**
 * Weak scaling: per-device batch fixed, device count growing. With a network design, the
 * scale-out latency grows with the switch tiers the cluster needs.
 */
export function weakScaling(n: TrainRequest, counts: number[], fleet: FleetData, network?: Omit<FabricInput, 'accelerators'>): SweepRow[] {
  const rows: SweepRow[] = [];
  const perDevice = n.job.globalBatchSize / n.job.devices;
  const hop = fleet;
  for (const count of counts) {
    const gbs = Math.max(1, Math.round(perDevice * count));
    let tiers: number | undefined;
    const fabric = { ...n.job.fabric };
    if (network) {
      try {
        tiers = sizeFabric({ ...network, accelerators: count }).tiers;
      } catch (e) {
        if (!(e instanceof FabricError)) throw e;
        rows.push({ x: count, tokensPerSecondPerDevice: null, relative: null, mfu: null, plan: '', fits: false, reason: e.message });
        continue;
      }
      fabric.scaleOutLatencyUs = (n.job.cal.scaleOutHop + (tiers - 1) * 2 * hop.switchHopSeconds.value) * 1e6;
    }
    const constraints = { ...n.constraints };
    delete constraints.data;
    const job = { ...n.job, devices: count, perNode: Math.min(n.job.perNode, count), globalBatchSize: gbs, fabric };
    const r = planTraining({ ...n, job, constraints }, { alternatives: 0 });
    if (!r.fits) {
      // no number for a plan that does not fit, and it is no reference for the rows after it
      rows.push({
        x: count,
        tokensPerSecondPerDevice: null,
        relative: null,
        mfu: null,
        plan: planLabel(r),
        fits: false,
        reason: 'no plan fits in memory',
        ...(tiers !== undefined ? { tiers } : {}),
      });
      continue;
    }
    const first = rows.find((x) => x.tokensPerSecondPerDevice !== null);
    rows.push({
      x: count,
      tokensPerSecondPerDevice: r.throughput.tokensPerSecondPerDevice,
      relative: first?.tokensPerSecondPerDevice ? r.throughput.tokensPerSecondPerDevice / first.tokensPerSecondPerDevice : 1,
      mfu: r.flops.mfu,
      plan: planLabel(r),
      fits: r.fits,
      dataExposedSeconds: r.step.detail.dataExposedSeconds,
      ...(tiers !== undefined ? { tiers } : {}),
    });
  }
  return rows;
}
