import type { Calibration, RawCalibration } from '../cost/calibration.js';
import type { FailureModel } from '../fleet/reliability.js';
import type { FleetData } from '../fleet/power.js';
import type { HardwareCatalog } from '../hardware/catalog.js';
import type { ModelRegistry } from '../model/registry.js';
import type { ProfileRegistry } from '../profiles/types.js';

/**
 * Everything a plan depends on besides the scenario: catalogs, calibration, software profiles
 * and failure data. Shells build it (context/load.ts reads data/); the numeric core receives it
 * and reads no file, so two contexts price side by side in one process.
 */
export interface PlanContext {
  catalog: HardwareCatalog;
  models: ModelRegistry;
  calibration: Calibration;
  /** The calibration file as parsed, for listings with sources. */
  calibrationSources: RawCalibration;
  profiles: ProfileRegistry;
  reliability: FailureModel;
  fleet: FleetData;
}

/**
 * How scenario loading may read files a scenario names (a model config.json, a calibration
 * profile). The CLI reads them relative to the scenario; the HTTP server passes null, so a
 * request can name no file on the server.
 */
export interface FileAccess {
  readText(path: string, limitBytes: number): string;
}
