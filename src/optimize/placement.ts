import type { Engine } from '../serve/engine.js';
import { capacityOf, headWeightBytes, memoryFor } from '../serve/memory.js';
import { layerBytes } from '../serve/offload.js';
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

/** The smallest number of streamed layers (taken in `order`) that leaves room for `requests` requests, or null when none does. */
function fewestStreamed(e: Engine, order: number[], stored: Float64Array, requests: number): number | null {
  const mem = memoryFor(e, Math.max(1, requests));
  const { emb, head } = headWeightBytes(e);
  const cap = capacityOf(e.job);
  const pp = e.split.pipeline;
  const fixed = mem.activations + mem.other + (mem.kvPerRequest * Math.max(1, requests)) / e.job.kv.poolFraction + (pp === 1 ? emb + head : Math.max(emb, head));
  // the busiest stage holds ~1/pp of the layers
  let resident = stored.reduce((s, x) => s + x, 0) / pp;
  let biggest = 0;
  for (let k = 0; k <= order.length; k++) {
    if (fixed + resident + PREFETCH_BUFFERS * biggest <= cap) return k;
    if (k === order.length) break;
    const b = stored[order[k]!]! / pp;
    resident -= b;
    biggest = Math.max(biggest, b);
  }
  return null;
}

/**
 * Placements worth pricing for this engine's plan: none; every 16-bit layer compressed on the
 * device (DFloat11's mode) when lossless is allowed; the fewest streamed layers that fit the
 * requests, and more (a larger batch may pay for the extra traffic), up to every layer (the
 * ZeRO-Inference choice).
 */
export function placementCandidates(e: Engine, o: PlacementOptions): Placement[] {
  const L = e.job.model.layers;
  const { bytes, bytes16 } = layerBytes(e.prepared);
  const ratio = o.lossless;
  const stored = new Float64Array(L);
  for (let i = 0; i < L; i++) stored[i] = bytes[i]! - bytes16[i]! * (1 - (ratio?.[i] ?? 1));
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
  // the fewest that fit: grow k until memory fits (using the order the first k would take)
  const fullOrder = [...spread(cheap, cheap.length), ...spread(rest, rest.length)];
  const kmin = fewestStreamed(e, fullOrder, stored, o.requests);
  const ks = new Set<number>();
  if (kmin !== null && kmin > 0) {
    ks.add(kmin);
    ks.add(Math.min(L, kmin + Math.ceil(L / 4)));
  }
  ks.add(L);
  for (const k of [...ks].sort((a, b) => a - b)) {
    const streamed = orderFor(k);
    const layers = device();
    for (const i of streamed) layers[i] = 'host';
    out.push({ layers, lossless: compressed, buffers: PREFETCH_BUFFERS });
  }
  return out;
}

/** The ZeRO-Inference-style placement: every layer streamed, no lossless, double buffering (DeepSpeed ZeRO-Inference; no placement choice). */
export function streamEveryLayer(layers: number): Placement {
  return { layers: new Array(layers).fill('host'), lossless: null, buffers: PREFETCH_BUFFERS };
}
