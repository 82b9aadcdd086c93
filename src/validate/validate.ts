import { leaveOneGroupOut, predictRow } from '../calibrate/crossval.js';
import { fitParams } from '../calibrate/params.js';
import { priorCalibration } from '../calibrate/index.js';
import type { PlanContext } from '../context/types.js';
import { engineGroups, type EngineGroup } from './engines.js';
import { corpusProbes } from './probes.js';
import { errorStats, toValidationRow, unsupportedRow, type ErrorStats, type ValidationRow } from './summary.js';

export interface ValidationSummary extends ErrorStats {
  kind: 'training' | 'inference';
  /** Rows predicted with the shipped calibration (in sample: its fitted constants saw these rows). */
  rows: ValidationRow[];
  unsupported: number;
  notFitting: number;
  /**
   * Every row predicted by a calibration fitted without its source group (from the unfitted
   * priors): the accuracy to expect on work Sinan has not seen.
   */
  outOfSample?: ErrorStats & { rows: ValidationRow[]; fittedConstants: string[] };
  /** Serving-engine profiles applied to source groups (inference only). */
  profiles?: EngineGroup[];
}

export interface ValidateOptions {
  /** Also score every row out of sample (leave-one-source-group-out refits); default true. */
  outOfSample?: boolean;
  /** Apply the engine profiles of data/validation-engines.json to the inference groups; default true. */
  engineProfiles?: boolean;
  /** Apply the framework profiles and recipes of data/validation-frameworks.json to the training groups; default true. */
  frameworkProfiles?: boolean;
}

export function validateCorpus(dir: string, kind: 'training' | 'inference', ctx: PlanContext, o: ValidateOptions = {}): ValidationSummary {
  const { probes, unsupported } = corpusProbes(dir, kind, ctx, o);
  const rows = [...probes.map((p) => toValidationRow(predictRow(p, ctx.calibration))), ...unsupported.map(unsupportedRow)];
  const order = (id: string) => id;
  rows.sort((a, b) => order(a.id).localeCompare(order(b.id)));
  const s: ValidationSummary = {
    kind,
    rows,
    ...errorStats(rows),
    unsupported: unsupported.length,
    notFitting: rows.filter((r) => r.fits === false).length,
  };
  if (o.outOfSample !== false) {
    const params = fitParams();
    const cv = leaveOneGroupOut(probes, { params, start: priorCalibration(ctx.calibration, params), name: 'leave-one-group-out' });
    const oos = cv.rows.map(toValidationRow).sort((a, b) => a.id.localeCompare(b.id));
    const used = new Set(cv.folds.flatMap((f) => f.fit.params.filter((p) => p.identified).map((p) => p.key)));
    s.outOfSample = { ...errorStats(oos), rows: oos, fittedConstants: [...used] };
  }
  if (kind === 'inference' && o.engineProfiles !== false) {
    const seen = new Set(rows.map((r) => r.group));
    s.profiles = engineGroups().filter((p) => seen.has(p.group));
  }
  return s;
}

export const validateTraining = (dir: string, ctx: PlanContext, o: ValidateOptions = {}) => validateCorpus(dir, 'training', ctx, o);
export const validateInference = (dir: string, ctx: PlanContext, o: ValidateOptions = {}) => validateCorpus(dir, 'inference', ctx, o);
