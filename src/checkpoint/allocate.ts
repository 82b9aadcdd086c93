/**
 * Choosing one format per item under a byte budget: a multiple-choice knapsack minimising the
 * total distortion, solved exactly by enumeration when small and by Lagrangian relaxation plus
 * greedy repair otherwise (pure).
 */

export interface Option {
  format: string;
  bytes: number;
  /** Sum of squared errors over the tensor's elements. */
  distortion: number;
}

export interface Allocation {
  choice: number[];
  bytes: number;
  distortion: number;
  exact: boolean;
}

function totals(options: Option[][], choice: number[]): { bytes: number; distortion: number } {
  let bytes = 0;
  let distortion = 0;
  for (let i = 0; i < options.length; i++) {
    bytes += options[i]![choice[i]!]!.bytes;
    distortion += options[i]![choice[i]!]!.distortion;
  }
  return { bytes, distortion };
}

/** Picks one option per item minimising total distortion with total bytes <= budget (null if impossible). */
export function allocate(options: Option[][], budget: number): Allocation | null {
  const minBytes = options.reduce((s, o) => s + Math.min(...o.map((x) => x.bytes)), 0);
  if (minBytes > budget) return null;
  let space = 1;
  for (const o of options) space *= o.length;
  if (space <= 200_000) {
    // exact: enumerate every combination
    const choice = new Array<number>(options.length).fill(0);
    let best: number[] | null = null;
    let bestD = Infinity;
    const rec = (i: number, bytes: number, d: number) => {
      if (bytes > budget || d >= bestD) return;
      if (i === options.length) {
        bestD = d;
        best = choice.slice();
        return;
      }
      for (let k = 0; k < options[i]!.length; k++) {
        choice[i] = k;
        rec(i + 1, bytes + options[i]![k]!.bytes, d + options[i]![k]!.distortion);
      }
    };
    rec(0, 0, 0);
    const c = best as number[] | null;
    if (!c) return null;
    return { choice: c, ...totals(options, c), exact: true };
  }
  // Lagrangian relaxation: each item minimises D + lambda * B; bisect lambda to meet the budget
  const pick = (lambda: number) =>
    options.map((o) => {
      let bi = 0;
      let bv = Infinity;
      for (let k = 0; k < o.length; k++) {
        const v = o[k]!.distortion + lambda * o[k]!.bytes;
        if (v < bv || (v === bv && o[k]!.bytes < o[bi]!.bytes)) [bi, bv] = [k, v];
      }
      return bi;
    });
  let lo = 0;
  let hi = 1;
  while (totals(options, pick(hi)).bytes > budget && hi < 1e30) hi *= 4;
  for (let it = 0; it < 100; it++) {
    const mid = (lo + hi) / 2;
    if (totals(options, pick(mid)).bytes > budget) lo = mid;
    else hi = mid;
  }
  const choice = pick(hi);
  // greedy repair: spend what is left on the upgrades with the best distortion saved per byte
  let { bytes } = totals(options, choice);
  for (;;) {
    let best = -1;
    let bestK = -1;
    let bestRate = 0;
    for (let i = 0; i < options.length; i++) {
      const cur = options[i]![choice[i]!]!;
      for (let k = 0; k < options[i]!.length; k++) {
        const o = options[i]![k]!;
        const dB = o.bytes - cur.bytes;
        const dD = cur.distortion - o.distortion;
        if (dD <= 0 || bytes + Math.max(0, dB) > budget) continue;
        const rate = dB <= 0 ? Infinity : dD / dB;
        if (rate > bestRate) [best, bestK, bestRate] = [i, k, rate];
      }
    }
    if (best < 0) break;
    bytes += options[best]![bestK]!.bytes - options[best]![choice[best]!]!.bytes;
    choice[best] = bestK;
  }
  return { choice, ...totals(options, choice), exact: false };
}

/** Parses '40GB', '500 MB', '1.5GiB' or a plain byte count. */
export function parseBytes(s: string): number | null {
  const m = /^\s*([\d.]+(?:e\d+)?)\s*([kmgt]?i?b?)?\s*$/i.exec(s);
  if (!m) return null;
  const v = Number(m[1]);
  const u = (m[2] ?? '').toLowerCase();
  const p = { '': 0, k: 1, m: 2, g: 3, t: 4 }[u.replace(/i?b$/, '') as '' | 'k' | 'm' | 'g' | 't'];
  if (!Number.isFinite(v) || p === undefined) return null;
  return v * (u.includes('i') ? 1024 : 1000) ** p;
}
