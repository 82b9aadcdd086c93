import type { Engine } from '../serve/engine.js';
import { maxConcurrency } from '../serve/memory.js';
import { engineFor } from '../serve/offload.js';
import type { Placement } from '../serve/types.js';

/**
 * Candidate placements of a plan's layers (pure): which layers stream from host memory (disk
 * beyond it), which 16-bit layers are stored losslessly compressed, for the search to price.
 * Streaming a layer moves its stored size over the link every step and frees that much device
 * memory; a compressed 16-bit layer moves about 0.68 of it (and costs a decode pass on the
 * device), so with lossless compression the 16-bit layers are streamed first. The streamed
 * layers are spread evenly through the model, so that each transfer overlaps the compute of the
 * resident layers before it (schedule.ts).
 */

export const PREFETCH_BUFFERS = 2;

export interface PlacementOptions {
  /** Per layer, the compressed/raw ratio of the 16-bit matrices the plan keeps (1: none, or lossless not allowed). */
  lossless: number[] | null;
  offload: boolean;
  /** Requests the plan should hold at least (the workload's concurrency, or 1). */
  requests: number;
}

/** Layers picked evenly from `pool`: k of them, as far apart as possible. */
function spread(pool: number[], k: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < k; j++) out.push(pool[Math.min(pool.length - 1, Math.floor(((j + 0.5) * pool.length) / k))]!);
  return out;
}

/**
 * The smallest number of streamed layers (the first k of `orderFor(k)`) whose plan holds `requests`
 * requests, by the serving model's own admission rule (maxConcurrency: the engine's KV pool after
 * the resident weights and prefetch buffers), bisected; null when even streaming every layer does not.
 */
function fewestStreamed(e: Engine, L: number, place: (k: number) => Placement, requests: number): number | null {
  const holds = (k: number) => maxConcurrency(engineFor({ ...e.job, placement: place(k) }, e.split)) >= Math.max(1, requests);
  if (!holds(L)) return null;
  let lo = 0;
  let hi = L;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (holds(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Placements worth pricing for this engine's plan: none; every 16-bit layer compressed on the
 * device (DFloat11's mode) when lossless is allowed; the fewest streamed layers that fit the
 * requests, and more (a larger batch may pay for the extra traffic), up to every layer (the
 * ZeRO-Inference choice).
 */
export function placementCandidates(e: Engine, o: PlacementOptions): Placement[] {
  const L = e.job.model.layers;
  const ratio = o.lossless;
  const out: Placement[] = [];
  const compressed = ratio && ratio.some((r) => r < 1) ? ratio : null;
  const device = (): Placement['layers'] => new Array(L).fill('device');
  if (compressed) out.push({ layers: device(), lossless: compressed, buffers: PREFETCH_BUFFERS });
  if (!o.offload) return out;
  // stream the layers that move the fewest bytes per byte freed first (compressed 16-bit ones), spread evenly within each kind
  const idx = [...Array(L).keys()];
  const cheap = compressed ? idx.filter((i) => (ratio![i] ?? 1) < 1) : [];
  const rest = idx.filter((i) => !cheap.includes(i));
  const orderFor = (k: number): number[] => {
    if (k <= cheap.length) return spread(cheap, k);
    return [...cheap, ...spread(rest, k - cheap.length)];
  };
  const place = (k: number): Placement => {
    const layers = device();
    for (const i of orderFor(k)) layers[i] = 'host';
    return { layers, lossless: compressed, buffers: PREFETCH_BUFFERS };
  };
  // the fewest that fit, by the same memory rule the report applies
  const kmin = fewestStreamed(e, L, place, o.requests);
  const ks = new Set<number>();
  if (kmin !== null && kmin > 0) {
    ks.add(kmin);
    ks.add(Math.min(L, kmin + Math.ceil(L / 4)));
  }
  ks.add(L);
  for (const k of [...ks].sort((a, b) => a - b)) out.push(place(k));
  return out;
}

/** The ZeRO-Inference-style placement: every layer streamed, no lossless, double buffering (DeepSpeed ZeRO-Inference; no placement choice). */
export function streamEveryLayer(layers: number): Placement {
  return { layers: new Array(layers).fill('host'), lossless: null, buffers: PREFETCH_BUFFERS };
}
