import { readDataJson } from '../util/data.js';

/** The calibration constants of data/calibration.json, flattened to plain numbers. */
/** Achieved fractions of the dense peak for one architecture generation. */
export interface Efficiency {
  gemmBf16: number;
  gemmFp8: number;
  attnFwd: number;
  attnBwd: number;
}

export interface Calibration {
  /** By generation ('ampere', 'hopper', 'blackwell', ...), with 'default' for the rest. */
  efficiency: Record<string, Efficiency>;
  /** The same for serving kernels (inference engines), by generation. */
  servingEfficiency: Record<string, Efficiency>;
  /** Fixed host-side cost of one serving step (scheduling, sampling, launch), seconds. */
  servingStepOverhead: number;
  /** Host-side cost per transformer layer of one decode step (CUDA-graph captured), seconds. */
  servingLayerOverhead: number;
  /** Host-side cost per transformer layer of a step that prefills (launched eagerly), seconds. */
  servingPrefillLayerOverhead: number;
  /** Latency of one collective between CPU sockets (shared-memory all-reduce), seconds. */
  cpuCollective: number;
  kernelOverhead: number;
  groupedGemmFraction: number;
  memFraction: number;
  scaleUpFraction: number;
  inNetworkAlgBwFraction: number;
  scaleOutFraction: number;
  pcieFraction: number;
  scaleUpHop: number;
  pcieHop: number;
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
    efficiency: Object.fromEntries(
      Object.entries(c.efficiency ?? {})
        .filter(([k]) => !k.startsWith('_'))
        .map(([k, e]) => [k, e.value as Efficiency]),
    ),
    servingEfficiency: Object.fromEntries(
      Object.entries(c.servingEfficiency ?? {})
        .filter(([k]) => !k.startsWith('_'))
        .map(([k, e]) => [k, e.value as Efficiency]),
    ),
    servingStepOverhead: v('serving', 'stepOverheadSeconds'),
    servingLayerOverhead: v('serving', 'layerOverheadSeconds'),
    servingPrefillLayerOverhead: v('serving', 'prefillLayerOverheadSeconds'),
    cpuCollective: v('serving', 'cpuCollectiveSeconds'),
    kernelOverhead: v('gemm', 'kernelOverheadSeconds'),
    groupedGemmFraction: v('gemm', 'groupedGemmFraction'),
    memFraction: v('memory', 'bandwidthFraction'),
    scaleUpFraction: v('collectives', 'scaleUpFraction'),
    inNetworkAlgBwFraction: v('collectives', 'inNetworkAllReduceAlgBwFraction'),
    scaleOutFraction: v('collectives', 'scaleOutFraction'),
    pcieFraction: v('collectives', 'pcieFraction'),
    scaleUpHop: v('collectives', 'scaleUpHopSeconds'),
    pcieHop: v('collectives', 'pcieHopSeconds'),
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

/** The generation key of an accelerator's architecture ('ampere', 'hopper', ...). */
export function generationOf(architecture: string): string {
  const a = architecture.toLowerCase();
  for (const g of ['ampere', 'hopper', 'blackwell', 'ada', 'cdna', 'gaudi', 'tpu']) if (a.includes(g)) return g;
  return 'default';
}

/** The efficiencies that apply to an architecture. */
export function efficiencyFor(cal: Calibration, architecture: string): Efficiency {
  return cal.efficiency[generationOf(architecture)] ?? cal.efficiency.default!;
}

/** The serving efficiencies that apply to an architecture. */
export function servingEfficiencyFor(cal: Calibration, architecture: string): Efficiency {
  return cal.servingEfficiency[generationOf(architecture)] ?? cal.servingEfficiency.default ?? efficiencyFor(cal, architecture);
}

/** Every constant with its provenance, for `sinan calibration` and the README. */
export function calibrationSources(): { key: string; value: unknown; source: string }[] {
  const c = readDataJson<RawCal>('calibration.json');
  const out: { key: string; value: unknown; source: string }[] = [];
  for (const [group, entries] of Object.entries(c)) {
    if (group.startsWith('_')) continue;
    for (const [key, e] of Object.entries(entries)) if (!key.startsWith('_')) out.push({ key: `${group}.${key}`, value: e.value, source: e.source });
  }
  return out;
}
