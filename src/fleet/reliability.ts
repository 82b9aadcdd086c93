/**
 * Failure rates from the rows of data/reliability.csv (a copy of the shared catalog; the shell
 * reads it and passes the rows in). The defaults are
 * the Llama 3 405B root-cause table (Meta, "The Llama 3 Herd of Models", Table 5): 419
 * unexpected interruptions of a 16,384-H100 job in 54 days, by component.
 */

export interface FailureCategory {
  name: string;
  /** GPU, Network, Host, Dependency, Unplanned Maintenance, Unknown. */
  group: string;
  count: number;
  /** Interruptions per device per day. */
  ratePerDeviceDay: number;
  /** Needs a hardware swap (a spare or a repair) before the job can resume. */
  hardware: boolean;
}

export interface FailureModel {
  source: string;
  devices: number;
  days: number;
  categories: FailureCategory[];
  ratePerDeviceDay: number;
}

const LLAMA3_DEVICES = 16384;
const LLAMA3_DAYS = 54;

/** The Llama 3 405B failure model from the reliability table's rows (header first). */
export function llama3FailureModel(rows: string[][]): FailureModel {
  const head = rows[0]!;
  const col = (n: string) => head.indexOf(n);
  const cats: FailureCategory[] = [];
  for (const r of rows.slice(1)) {
    if (!(r[col('source_group')] ?? '').startsWith('Llama 3 405B pre-training (Table 5)')) continue;
    if (r[col('metric')] !== 'unexpected interruptions') continue;
    const cat = r[col('category')] ?? '';
    const m = /^(.*?)\s*\[(.*)\]$/.exec(cat);
    const group = m ? m[2]! : 'Unknown';
    const count = Number(r[col('value')]);
    cats.push({
      name: m ? m[1]! : cat,
      group,
      count,
      ratePerDeviceDay: count / (LLAMA3_DEVICES * LLAMA3_DAYS),
      hardware: group === 'GPU' || group === 'Host' || group === 'Network',
    });
  }
  const total = cats.reduce((s, c) => s + c.count, 0);
  return {
    source: 'Llama 3 405B pre-training, Table 5 (arXiv:2407.21783): 16,384 H100, 54 days',
    devices: LLAMA3_DEVICES,
    days: LLAMA3_DAYS,
    categories: cats,
    ratePerDeviceDay: total / (LLAMA3_DEVICES * LLAMA3_DAYS),
  };
}

export interface InterruptionForecast {
  expected: number;
  meanTimeBetweenHours: number;
  byGroup: { group: string; expected: number; share: number }[];
  hardwareShare: number;
}

/** Expected interruptions of a synchronous job on `devices` over `days`. */
export function forecastInterruptions(m: FailureModel, devices: number, days: number, ratePerDeviceDay?: number): InterruptionForecast {
  const scale = ratePerDeviceDay !== undefined ? ratePerDeviceDay / m.ratePerDeviceDay : 1;
  const expected = m.ratePerDeviceDay * scale * devices * days;
  const groups = new Map<string, number>();
  let hw = 0;
  for (const c of m.categories) {
    const e = c.ratePerDeviceDay * scale * devices * days;
    groups.set(c.group, (groups.get(c.group) ?? 0) + e);
    if (c.hardware) hw += e;
  }
  return {
    expected,
    meanTimeBetweenHours: expected > 0 ? (days * 24) / expected : Infinity,
    byGroup: [...groups.entries()].map(([group, e]) => ({ group, expected: e, share: e / expected })).sort((a, b) => b.expected - a.expected),
    hardwareShare: expected > 0 ? hw / expected : 0,
  };
}

/** P(X > k) for X ~ Poisson(mean). */
export function poissonTail(mean: number, k: number): number {
  let term = Math.exp(-mean);
  let cdf = term;
  for (let i = 1; i <= k; i++) {
    term *= mean / i;
    cdf += term;
  }
  return Math.max(0, 1 - cdf);
}

export interface SparePlan {
  /** Devices a hardware failure takes out of service (the replacement unit). */
  blastRadius: number;
  /** Replacement units under repair at any moment, on average. */
  inRepair: number;
  /** Chance that more units are in repair than there are spares (the job then waits). */
  shortfallProbability: number;
  /** Device-hours of capacity in repair over the run. */
  deviceHoursInRepair: number;
  /** Idle share of the fleet the spares represent. */
  spareOverhead: number;
}

/**
 * What the replacement granularity and hot spares mean: a whole node (`unit` = perNode) or
 * a single device is swapped; `spares` units stand by; repairs take `repairHours`.
 */
export function sparePlan(
  devices: number,
  days: number,
  ratePerDeviceDay: number,
  hardwareShare: number,
  unit: number,
  spares: number,
  repairHours: number,
): SparePlan {
  const hwPerHour = (ratePerDeviceDay * devices * hardwareShare) / 24;
  const inRepair = hwPerHour * repairHours;
  return {
    blastRadius: unit,
    inRepair,
    shortfallProbability: poissonTail(inRepair, spares),
    deviceHoursInRepair: hwPerHour * days * 24 * repairHours * unit,
    spareOverhead: (spares * unit) / (devices + spares * unit),
  };
}
