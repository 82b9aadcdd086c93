import { parseCalibration, type RawCalibration } from '../cost/calibration.js';
import type { FleetData } from '../fleet/power.js';
import { llama3FailureModel } from '../fleet/reliability.js';
import { buildCatalog, type Platform, type RawCatalog } from '../hardware/catalog.js';
import { buildModelRegistry, type BuiltinEntry } from '../model/registry.js';
import { buildProfiles, type RawProfiles } from '../profiles/registry.js';
import { parseCsv } from '../util/csv.js';
import { readDataJson, readDataText } from '../util/data.js';
import type { PlanContext } from './types.js';

/** The measured GEMM ceilings of particular parts, from the catalog's measured_efficiency entries. */
function gemmCeilings(raw: RawCatalog): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of raw.measured_efficiency) {
    const m = /^eff-(.+)-bf16-gemm$/.exec(String(e.id));
    const f = e.fraction_of_dense_peak;
    if (!m || typeof f !== 'number') continue;
    const acc = raw.accelerators.find((a) => String(a.id).endsWith(m[1]!));
    if (acc) out[acc.id as string] = f;
  }
  return out;
}

/** Builds the context from the files in data/ (the shell's job; the core only receives it). */
export function loadContext(): PlanContext {
  const raw = readDataJson<RawCatalog>('hardware.json');
  const catalog = buildCatalog(raw, readDataJson<{ platforms: Record<string, Platform> }>('platforms.json').platforms);
  const calRaw = readDataJson<RawCalibration>('calibration.json');
  return {
    catalog,
    models: buildModelRegistry(readDataJson<{ models: Record<string, BuiltinEntry> }>('models.json').models),
    calibration: parseCalibration(calRaw, gemmCeilings(raw)),
    calibrationSources: calRaw,
    profiles: buildProfiles(readDataJson<RawProfiles>('profiles.json')),
    reliability: llama3FailureModel(parseCsv(readDataText('reliability.csv'))),
    fleet: readDataJson<FleetData>('fleet.json'),
  };
}

let shared: PlanContext | null = null;

/** The built-in context, loaded once per process (for the CLI, the server and tests). */
export function defaultContext(): PlanContext {
  shared ??= loadContext();
  return shared;
}
