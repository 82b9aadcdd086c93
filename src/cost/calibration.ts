/**
 * The calibration constants (data/calibration.json), as plain numbers, and the efficiency
 * profile that applies to an architecture. Pure: the shell parses the file and passes the
 * Calibration in; two calibrations can price plans side by side in one process.
 */

/** Achieved fractions of the dense peak for one architecture generation. */
export interface Efficiency {
  gemmBf16: number;
  gemmFp8: number;
  attnFwd: number;
  attnBwd: number;
}

/** An efficiency profile: the fractions, whether they were fitted to measurements of that generation, and the source. */
export interface EfficiencyProfile {
  generation: string;
  value: Efficiency;
  fitted: boolean;
  source: string;
}

export interface Calibration {
  /** Name of this calibration (the built-in one, or a user's profile file). */
  name: string;
  /** By generation ('ampere', 'hopper', 'blackwell', ...), with 'default' (microbenchmark ceilings) for the rest. */
  efficiency: Record<string, EfficiencyProfile>;
  /** The same for serving kernels (inference engines), by generation ('default' for every generation in servingValidated). */
  servingEfficiency: Record<string, EfficiencyProfile>;
  /** Generations whose serving predictions were checked against measurements (the inference corpus). */
  servingValidated: string[];
  /** Measured microbenchmark GEMM ceilings of particular parts (catalog measured_efficiency), by accelerator id. */
  gemmCeilings: Record<string, number>;
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
  /** Expert-parallel all-to-all bandwidth relative to the links' all-reduce bandwidth (dispatchers reach less of the link). */
  allToAllFraction: number;
  elementwiseBytesFactor: number;
  stepOverhead: number;
  /** CPU time to launch one kernel from an eager training step (a step can be no faster than its launches). */
  hostLaunch: number;
  /** CPU cost of one kernel inside a replayed CUDA graph. */
  graphLaunch: number;
  /** NCCL's per-protocol (LL, LL128, Simple) latencies and bandwidth factors for scale-out all-reduce. */
  nccl: { ringNetHop: number[]; treeNetHop: number[]; protocolBandwidth: number[]; treeBandwidth: number[]; ringSimplePlateau: number };
  /**
   * The unfitted value of every fitted constant (a microbenchmark or a stated estimate), by fit key
   * ('efficiency.hopper.gemmBf16', 'servingPrefillLayerOverhead'): where a fit starts when it must
   * not have seen the data the shipped values were fitted to (cross-validation).
   */
  priors: Record<string, { value: number; source: string }>;
}

export interface CalibrationEntry {
  value: unknown;
  source: string;
  fitted?: boolean;
  /** The unfitted value of a fitted constant, and where it comes from. */
  prior?: unknown;
  priorSource?: string;
}

export type RawCalibration = Record<string, Record<string, CalibrationEntry | string>>;

const isEntry = (e: unknown): e is CalibrationEntry => typeof e === 'object' && e !== null && 'value' in e;

function profiles(group: Record<string, CalibrationEntry | string> | undefined): Record<string, EfficiencyProfile> {
  const out: Record<string, EfficiencyProfile> = {};
  for (const [k, e] of Object.entries(group ?? {})) {
    if (k.startsWith('_') || !isEntry(e)) continue;
    out[k] = { generation: k, value: e.value as Efficiency, fitted: e.fitted ?? /^FITTED/.test(e.source), source: e.source };
  }
  return out;
}

/** A Calibration from the parsed calibration file (and the catalog's measured GEMM ceilings). */
export function parseCalibration(c: RawCalibration, gemmCeilings: Record<string, number> = {}, name = 'built-in'): Calibration {
  const v = <T>(group: string, key: string): T => {
    const e = c[group]?.[key];
    if (!isEntry(e)) throw new Error(`calibration lacks ${group}.${key}`);
    return e.value as T;
  };
  const priors: Calibration['priors'] = {};
  for (const [gen, e] of Object.entries(c.efficiency ?? {})) {
    if (!isEntry(e) || e.prior === undefined) continue;
    for (const [k, v] of Object.entries(e.prior as Record<string, number>)) priors[`efficiency.${gen}.${k}`] = { value: v, source: e.priorSource ?? '' };
  }
  const a2a = c.collectives?.allToAllFraction;
  if (isEntry(a2a) && typeof a2a.prior === 'number') priors.allToAllFraction = { value: a2a.prior, source: a2a.priorSource ?? '' };
  const pe = c.serving?.prefillLayerOverheadSeconds;
  if (isEntry(pe) && typeof pe.prior === 'number') priors.servingPrefillLayerOverhead = { value: pe.prior, source: pe.priorSource ?? '' };
  return {
    name,
    priors,
    efficiency: profiles(c.efficiency),
    servingEfficiency: profiles(c.servingEfficiency),
    servingValidated: ((c.servingEfficiency?.validatedGenerations as CalibrationEntry | undefined)?.value as string[]) ?? [],
    gemmCeilings,
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
    allToAllFraction: v('collectives', 'allToAllFraction'),
    elementwiseBytesFactor: v('framework', 'elementwiseBytesFactor'),
    stepOverhead: v('framework', 'stepOverheadSeconds'),
    hostLaunch: v('framework', 'hostLaunchSeconds'),
    graphLaunch: v('framework', 'graphLaunchSeconds'),
    nccl: {
      ringNetHop: v('nccl', 'ringNetHopSeconds'),
      treeNetHop: v('nccl', 'treeNetHopSeconds'),
      protocolBandwidth: v('nccl', 'protocolBandwidth'),
      treeBandwidth: v('nccl', 'treeBandwidth'),
      ringSimplePlateau: v('nccl', 'ringSimplePlateau'),
    },
  };
}

/** A copy of `cal` with some constants replaced (calibration studies, a user's profile). */
export function withOverrides(cal: Calibration, o: Partial<Calibration>, name = `${cal.name} (modified)`): Calibration {
  return { ...cal, ...o, name };
}

/** The generation key of an accelerator's architecture ('ampere', 'hopper', ...). */
export function generationOf(architecture: string): string {
  const a = architecture.toLowerCase();
  for (const g of ['ampere', 'hopper', 'blackwell', 'ada', 'cdna', 'gaudi', 'tpu', 'da vinci', 'cpu']) if (a.includes(g)) return g;
  return 'custom';
}

/**
 * The efficiency profile for an accelerator: its generation's, when one was fitted or stated;
 * otherwise a conservative one (the lowest fitted fraction of every generation, capped by the
 * part's own measured GEMM ceiling where the catalog has one), never the bare datasheet.
 */
export function efficiencyProfileFor(cal: Calibration, architecture: string, acceleratorId = '', serving = false): EfficiencyProfile {
  const gen = generationOf(architecture);
  const ceiling = cal.gemmCeilings[acceleratorId];
  if (serving) {
    const own = cal.servingEfficiency[gen];
    if (own) return own;
    const d = cal.servingEfficiency.default;
    if (d && cal.servingValidated.includes(gen))
      return { ...d, generation: gen, fitted: true, source: `${d.source}; checked against the inference corpus on ${gen}` };
    if (d) {
      const cap = (x: number) => Math.min(x, ceiling ?? x);
      return {
        generation: `${gen} (uncalibrated)`,
        value: { gemmBf16: cap(d.value.gemmBf16), gemmFp8: cap(d.value.gemmFp8), attnFwd: d.value.attnFwd, attnBwd: d.value.attnBwd },
        fitted: false,
        source: `no serving measurements of ${gen} hardware: microbenchmark ceilings${ceiling !== undefined ? ` capped at this part's measured GEMM ceiling ${ceiling}` : ''}`,
      };
    }
  }
  const own = cal.efficiency[gen];
  if (own) return own;
  const fitted = Object.values(cal.efficiency).filter((p) => p.fitted);
  const floor = (k: keyof Efficiency) => (fitted.length ? Math.min(...fitted.map((p) => p.value[k])) : (cal.efficiency.default?.value[k] ?? 0.5));
  const value: Efficiency = {
    gemmBf16: Math.min(floor('gemmBf16'), ceiling ?? 1),
    gemmFp8: Math.min(floor('gemmFp8'), ceiling ?? 1),
    attnFwd: floor('attnFwd'),
    attnBwd: floor('attnBwd'),
  };
  return {
    generation: `${gen} (uncalibrated)`,
    value,
    fitted: false,
    source: `no efficiencies were fitted to measurements of ${gen} hardware: the lowest fraction fitted on any calibrated generation (${fitted.map((p) => p.generation).join(', ') || 'none'})${ceiling !== undefined ? `, capped at this part's measured GEMM ceiling ${ceiling}` : ''}`,
  };
}

export function efficiencyFor(cal: Calibration, architecture: string, acceleratorId = ''): Efficiency {
  return efficiencyProfileFor(cal, architecture, acceleratorId).value;
}

/** Every constant with its provenance, for `sinan calibration` and the README. */
export function calibrationSources(c: RawCalibration): { key: string; value: unknown; source: string; fitted: boolean }[] {
  const out: { key: string; value: unknown; source: string; fitted: boolean }[] = [];
  for (const [group, entries] of Object.entries(c)) {
    if (group.startsWith('_')) continue;
    for (const [key, e] of Object.entries(entries))
      if (!key.startsWith('_') && isEntry(e))
        out.push({ key: `${group}.${key}`, value: e.value, source: e.source, fitted: e.fitted ?? /^FITTED/.test(e.source) });
  }
  return out;
}
