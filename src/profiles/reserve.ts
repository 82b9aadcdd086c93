import type { MemoryReserve } from './types.js';

/**
 * A plan that fits with less free memory than this fraction of the device, after the
 * profile's reserve, is flagged (code memory_headroom): allocators and communicators grow at
 * run time and real jobs fail before 100%.
 */
export const HEADROOM_WARNING_FRACTION = 0.05;

/** The reserve a report priced, in bytes, with its source. */
export interface MemoryReserveReport {
  runtimeBytes: number;
  fragmentationBytes: number;
  /** Free memory below this fraction of the device is flagged (memory_headroom). */
  warnBelowFraction: number;
  source: string;
}

/** The reserve as a report states it; `runtimeBytes` defaults to the profile's (serving reports the bytes it priced). */
export function reserveReport(r: MemoryReserve, fragmentationBytes: number, runtimeBytes = r.runtimeBytes): MemoryReserveReport {
  return { runtimeBytes, fragmentationBytes, warnBelowFraction: HEADROOM_WARNING_FRACTION, source: r.source };
}
