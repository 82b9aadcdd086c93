import { readDataJson } from '../util/data.js';

/** The calibration constants of data/calibration.json, flattened to plain numbers. */
export interface Calibration {
  gemmFraction: Record<string, number>;
  kernelOverhead: number;
  groupedGemmFraction: number;
  attnFwdFraction: number;
  attnBwdFraction: number;
  memFraction: number;
  scaleUpFraction: number;
  inNetworkAlgBwFraction: number;
  scaleOutFraction: number;
  pcieFraction: number;
  scaleUpHop: number;
  scaleOutHop: number;
  collectiveLaunch: number;
  overlapSlowdown: number;
  runtimeBytes: number;
  fragmentation: number;
  elementwiseBytesFactor: number;
  stepOverhead: number;
}

interface Entry<T> {
  value: T;
  source: string;
}

type RawCal = Record<string, Record<string, Entry<unknown>>>;

let cached: Calibration | null = null;
let override: Partial<Calibration> | null = null;

/** Replaces some constants until called again with null (for calibration studies). */
export function overrideCalibration(o: Partial<Calibration> | null): void {
  override = o;
  cached = null;
}

export function calibration(): Calibration {
  if (cached) return cached;
  const c = readDataJson<RawCal>('calibration.json');
  const v = <T>(group: string, key: string): T => {
    const e = c[group]?.[key];
    if (!e) throw new Error(`calibration.json lacks ${group}.${key}`);
    return e.value as T;
  };
  cached = {
    gemmFraction: v('gemm', 'maxFraction'),
    kernelOverhead: v('gemm', 'kernelOverheadSeconds'),
    groupedGemmFraction: v('gemm', 'groupedGemmFraction'),
    attnFwdFraction: v('attention', 'forwardFraction'),
    attnBwdFraction: v('attention', 'backwardFraction'),
    memFraction: v('memory', 'bandwidthFraction'),
    scaleUpFraction: v('collectives', 'scaleUpFraction'),
    inNetworkAlgBwFraction: v('collectives', 'inNetworkAllReduceAlgBwFraction'),
    scaleOutFraction: v('collectives', 'scaleOutFraction'),
    pcieFraction: v('collectives', 'pcieFraction'),
    scaleUpHop: v('collectives', 'scaleUpHopSeconds'),
    scaleOutHop: v('collectives', 'scaleOutHopSeconds'),
    collectiveLaunch: v('collectives', 'launchSeconds'),
    overlapSlowdown: v('collectives', 'overlapSlowdown'),
    runtimeBytes: v('framework', 'runtimeBytes'),
    fragmentation: v('framework', 'fragmentation'),
    elementwiseBytesFactor: v('framework', 'elementwiseBytesFactor'),
    stepOverhead: v('framework', 'stepOverheadSeconds'),
    ...override,
  };
  return cached;
}

/** Every constant with its provenance, for `sinan calibration` and the README. */
export function calibrationSources(): { key: string; value: unknown; source: string }[] {
  const c = readDataJson<RawCal>('calibration.json');
  const out: { key: string; value: unknown; source: string }[] = [];
  for (const [group, entries] of Object.entries(c)) {
    if (group.startsWith('_')) continue;
    for (const [key, e] of Object.entries(entries)) out.push({ key: `${group}.${key}`, value: e.value, source: e.source });
  }
  return out;
}
