import type { Item } from './accuracy.js';

/**
 * Mixed precision as a multiple-choice knapsack (pure): one option per item, the fewest bytes
 * with the total distortion within the budget. Lagrangian relaxation (each item minimises
 * bytes + mu x distortion; mu bisected to the smallest that meets the budget) then a greedy
 * pass that spends what is left of the budget on the moves that save the most bytes per unit
 * of distortion. `allowed` restricts the formats (e.g. those with fast GEMMs on the hardware).
 */

export interface WeightAllocation {
  /** Chosen option index per item. */
  choice: Int32Array;
  bytes: number;
  dist: number;
}

function pick(items: readonly Item[], mu: number, allowed: (f: string) => boolean, choice: Int32Array): { bytes: number; dist: number } {
  let bytes = 0;
  let dist = 0;
  for (let i = 0; i < items.length; i++) {
    const o = items[i]!.options;
    let best = 0;
    let bestCost = Infinity;
    for (let k = 0; k < o.length; k++) {
      if (k > 0 && !allowed(o[k]!.format)) continue;
      const c = o[k]!.bytes + mu * o[k]!.dist;
      if (c < bestCost || (c === bestCost && o[k]!.dist < o[best]!.dist)) {
        bestCost = c;
        best = k;
      }
    }
    choice[i] = best;
    bytes += o[best]!.bytes;
    dist += o[best]!.dist;
  }
  return { bytes, dist };
}

/** The smallest allocation whose distortion is at most `budget` (option 0 of every item, 'keep', has none). */
export function allocateWeights(items: readonly Item[], budget: number, allowed: (f: string) => boolean = () => true): WeightAllocation {
  const choice = new Int32Array(items.length);
  let t = pick(items, 0, allowed, choice);
  if (t.dist <= budget) return { choice, bytes: t.bytes, dist: t.dist };
  // bisect mu on a log scale: large mu keeps everything
  let lo = 0;
  let hi = 1;
  const tmp = new Int32Array(items.length);
  while (pick(items, hi, allowed, tmp).dist > budget && hi < 1e300) hi *= 16;
  lo = hi / 16;
  for (let it = 0; it < 60; it++) {
    const mid = Math.sqrt(Math.max(lo, 1e-300) * hi);
    if (pick(items, mid, allowed, tmp).dist > budget) lo = mid;
    else hi = mid;
  }
  t = pick(items, hi, allowed, choice);
  // greedy: spend the remaining budget on the cheapest bytes
  let left = budget - t.dist;
  for (;;) {
    let bestI = -1;
    let bestK = -1;
    let bestRate = 0;
    for (let i = 0; i < items.length; i++) {
      const o = items[i]!.options;
      const cur = o[choice[i]!]!;
      for (let k = 0; k < o.length; k++) {
        if (k > 0 && !allowed(o[k]!.format)) continue;
        const saved = cur.bytes - o[k]!.bytes;
        const added = o[k]!.dist - cur.dist;
        if (saved <= 0 || added > left) continue;
        const rate = added <= 0 ? Infinity : saved / added;
        if (rate > bestRate) {
          bestRate = rate;
          bestI = i;
          bestK = k;
        }
      }
    }
    if (bestI < 0) break;
    const o = items[bestI]!.options;
    left -= o[bestK]!.dist - o[choice[bestI]!]!.dist;
    t = { bytes: t.bytes - (o[choice[bestI]!]!.bytes - o[bestK]!.bytes), dist: t.dist + (o[bestK]!.dist - o[choice[bestI]!]!.dist) };
    choice[bestI] = bestK;
  }
  return { choice, bytes: t.bytes, dist: t.dist };
}

/** Every item in one format where it has it (the uniform plans: the scenario's format, single-format baselines). */
export function uniformAllocation(items: readonly Item[], format: string): WeightAllocation {
  const choice = new Int32Array(items.length);
  let bytes = 0;
  let dist = 0;
  items.forEach((it, i) => {
    const k = Math.max(
      0,
      it.options.findIndex((o) => o.format === format),
    );
    choice[i] = k;
    bytes += it.options[k]!.bytes;
    dist += it.options[k]!.dist;
  });
  return { choice, bytes, dist };
}
