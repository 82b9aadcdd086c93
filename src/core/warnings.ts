import type { Path } from './issues.js';

/**
 * A warning: the output was produced, but part of it is uncertain or near a limit. Every
 * `--json` object carries a `warnings` list of these (contract v2).
 */
export type WarningCode =
  | 'uncalibrated_hardware'
  | 'memory_headroom'
  | 'default_engine'
  | 'assumed_kv_format'
  | 'calibration_fit'
  | 'default_framework'
  | 'unstable_queue'
  | 'does_not_fit'
  | 'beyond_context'
  | 'link_bound'
  | 'no_fit_closest'
  | 'slo_missed'
  | 'speculative_no_gain'
  | 'estimate'
  | 'ignored_key'
  | 'engine_changed'
  | 'typical_errors';

export interface Warning {
  code: WarningCode;
  path?: Path;
  message: string;
}

export function warning(code: WarningCode, message: string, path?: Path): Warning {
  return path ? { code, path, message } : { code, message };
}
