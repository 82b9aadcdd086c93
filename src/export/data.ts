import { readDataJson } from '../util/data.js';
import { EXPORT_TARGETS, type ExportTarget, type TargetData } from './types.js';

/** The argument lists per framework version (data/export/*.json), read once per call. */
export function loadExportData(): Record<ExportTarget, TargetData> {
  return Object.fromEntries(EXPORT_TARGETS.map((t) => [t, readDataJson<TargetData>(`export/${t}.json`)])) as Record<ExportTarget, TargetData>;
}
