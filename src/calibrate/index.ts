import type { Calibration } from '../cost/calibration.js';
import { applyParams, fitParams, type FitParam } from './params.js';

export { fitConstants, huber, type FitOptions, type FitResult, type ParamFit } from './fit.js';
export { leaveOneGroupOut, predictRow, type CrossValidation, type PredictedRow } from './crossval.js';
export { applyParams, fitParams, ATTN_BWD_RATIO, type FitParam } from './params.js';
export { inferenceProbe, trainingProbe, pick, type Probe } from './probe.js';
export { calibrateRuns, userFitParams, type CalibrationOutcome, type ErrorSummary } from './user.js';

/** The calibration with every fitted constant at its unfitted value (its prior): what a fit that must not have seen the data starts from. */
export function priorCalibration(cal: Calibration, params: FitParam[] = fitParams()): Calibration {
  return applyParams(
    cal,
    params,
    params.map((p) => cal.priors[p.key]?.value ?? cal.priors[p.key.replace(/\.gemm$/, '.gemmBf16')]?.value ?? p.get(cal)),
    `${cal.name} (priors)`,
  );
}
