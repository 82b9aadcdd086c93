/**
 * Sampling a tensor's error instead of measuring every row (pure). A tensor of U units (a few
 * rows each, whole blocks of every format) is cut into n equal strata and one unit of each is
 * measured, chosen by a hash of the tensor's name (deterministic). The relative squared error is
 * the ratio estimator sum(err) / sum(ref) over the sampled units; its 95% interval comes from
 * the units' spread (Cochran, Sampling Techniques, 3rd ed., 6.3: variance of a ratio estimate,
 * with the finite-population correction 1 - n/U). Measuring every unit gives an exact value.
 */

/** Units measured per tensor: every unit up to this many, then 1 in 32 (at least this many). */
export const MIN_SAMPLED_UNITS = 32;
export const SAMPLED_FRACTION = 1 / 32;
export const CONFIDENCE = '95% interval from the spread of the sampled rows (ratio estimator, finite-population correction)';

/** FNV-1a of a string, for deterministic choices. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Indices (ascending) of the units measured out of `units`; `exact` measures all. */
export function sampledUnits(units: number, name: string, exact = false): Int32Array {
  const n = exact ? units : Math.min(units, Math.max(MIN_SAMPLED_UNITS, Math.ceil(units * SAMPLED_FRACTION)));
  const out = new Int32Array(n);
  if (n === units) {
    for (let i = 0; i < n; i++) out[i] = i;
    return out;
  }
  let h = hashString(name) || 1;
  for (let k = 0; k < n; k++) {
    const lo = Math.floor((k * units) / n);
    const hi = Math.floor(((k + 1) * units) / n);
    h ^= h << 13;
    h ^= h >>> 17;
    h ^= h << 5;
    out[k] = lo + ((h >>> 0) % Math.max(1, hi - lo));
  }
  return out;
}

export interface RatioEstimate {
  /** Estimated sum(err) / sum(ref) over the whole tensor. */
  ratio: number;
  /** Half-width of the 95% interval, relative to the ratio (0: exact). */
  ci95: number;
}

/** The ratio estimate of sum(err)/sum(ref) from the sampled units' err and ref, out of `units`. */
export function ratioEstimate(err: ArrayLike<number>, ref: ArrayLike<number>, units: number): RatioEstimate {
  const n = err.length;
  let se = 0;
  let sr = 0;
  for (let i = 0; i < n; i++) {
    se += err[i]!;
    sr += ref[i]!;
  }
  if (sr <= 0) return { ratio: 0, ci95: 0 };
  const r = se / sr;
  if (n >= units || n < 2 || r === 0) return { ratio: r, ci95: 0 };
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = err[i]! - r * ref[i]!;
    ss += d * d;
  }
  const mean = sr / n;
  const v = (((1 - n / units) / n) * (ss / (n - 1))) / (mean * mean);
  return { ratio: r, ci95: (1.96 * Math.sqrt(v)) / r };
}
