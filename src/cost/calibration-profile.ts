import { IssueError, mkIssue, typeName } from '../core/issues.js';
import type { Calibration, Efficiency, EfficiencyProfile } from './calibration.js';

/**
 * A calibration profile file (written by `sinan calibrate`): a name, the built-in calibration it
 * was fitted against, and the constants it replaces, each with what it was fitted to.
 */
export interface CalibrationProfileFile {
  kind: 'sinan-calibration';
  version: 1;
  name: string;
  /** Efficiency fractions by generation: replace the built-in profile of that generation. */
  efficiency?: Record<string, Partial<Efficiency> & { fittedTo?: string }>;
  servingEfficiency?: Record<string, Partial<Efficiency> & { fittedTo?: string }>;
  /** Scalar constants by Calibration key. */
  constants?: Record<string, number>;
  fit?: Record<string, unknown>;
}

const SCALARS = [
  'servingStepOverhead',
  'servingLayerOverhead',
  'servingPrefillLayerOverhead',
  'cpuCollective',
  'kernelOverhead',
  'groupedGemmFraction',
  'memFraction',
  'scaleUpFraction',
  'inNetworkAlgBwFraction',
  'scaleOutFraction',
  'pcieFraction',
  'scaleUpHop',
  'pcieHop',
  'scaleOutHop',
  'collectiveLaunch',
  'overlapSlowdown',
  'elementwiseBytesFactor',
  'stepOverhead',
  'allToAllFraction',
  'hostLaunch',
] as const;

const EFF_KEYS = ['gemmBf16', 'gemmFp8', 'attnFwd', 'attnBwd'] as const;

export function parseCalibrationProfile(
  text: string,
  source: string,
): { name: string; file: CalibrationProfileFile; overrides: (base: Calibration) => Partial<Calibration> } {
  let f: CalibrationProfileFile;
  try {
    f = JSON.parse(text) as CalibrationProfileFile;
  } catch (e) {
    throw new IssueError([mkIssue({ code: 'parse_error', path: [], source, detail: `not valid JSON: ${(e as Error).message}` })]);
  }
  if (typeof f !== 'object' || f === null || f.kind !== 'sinan-calibration')
    throw new IssueError([
      mkIssue({
        code: 'invalid_value',
        path: ['kind'],
        value: (f as { kind?: unknown } | null)?.kind,
        reason: `${source} is not a calibration profile written by sinan calibrate (kind must be 'sinan-calibration')`,
      }),
    ]);
  const issues = [];
  for (const [k, v] of Object.entries(f.constants ?? {})) {
    if (!(SCALARS as readonly string[]).includes(k))
      issues.push(mkIssue({ code: 'unrecognized_key', path: ['constants', k], key: k, suggestion: null, allowed: [...SCALARS] }));
    else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      issues.push(mkIssue({ code: 'invalid_type', path: ['constants', k], expected: 'a finite non-negative number', received: typeName(v) }));
  }
  for (const group of ['efficiency', 'servingEfficiency'] as const)
    for (const [gen, e] of Object.entries(f[group] ?? {}))
      for (const [k, v] of Object.entries(e))
        if (k !== 'fittedTo' && (!(EFF_KEYS as readonly string[]).includes(k) || typeof v !== 'number' || !(v > 0 && v <= 1)))
          issues.push(
            mkIssue({ code: 'invalid_value', path: [group, gen, k], value: v, reason: `${k} must be one of ${EFF_KEYS.join(', ')} with a fraction in (0, 1]` }),
          );
  if (issues.length) throw new IssueError(issues);
  const name = typeof f.name === 'string' ? f.name : source;
  return {
    name,
    file: f,
    overrides: (base) => {
      const o: Partial<Calibration> = { ...(f.constants as Partial<Calibration>) };
      for (const group of ['efficiency', 'servingEfficiency'] as const) {
        if (!f[group]) continue;
        const table: Record<string, EfficiencyProfile> = { ...base[group] };
        for (const [gen, e] of Object.entries(f[group]!)) {
          const prev = table[gen]?.value ?? base.efficiency.default?.value ?? { gemmBf16: 0.5, gemmFp8: 0.5, attnFwd: 0.3, attnBwd: 0.2 };
          const { fittedTo, ...vals } = e;
          table[gen] = { generation: gen, value: { ...prev, ...vals }, fitted: true, source: `${name}: fitted to ${fittedTo ?? 'the user measurements'}` };
        }
        o[group] = table;
      }
      return o;
    },
  };
}
