import { transferSeconds } from '../cost/topology.js';
import type { Segment } from '../graph/types.js';
import { baseEngine, type Engine, type PreparedModel, type Stream } from './engine.js';
import { capacityOf, headWeightBytes, memoryFor, weightBytes } from './memory.js';
import { streamedStep } from './schedule.js';
import { stepTime, type StepTime } from './step.js';
import type { Offload, Placement, ServeJob, ServeSplit } from './types.js';

/**
 * Weight offload (seed 000, ZeRO-Inference / FlexGen style): weights kept off the device stream
 * from host memory over the device's host link (and from disk beyond host memory) every step,
 * into prefetch buffers, in the layer schedule of schedule.ts that overlaps each transfer with the
 * compute of the layers before it. Two ways to say what streams: a fraction of every layer
 * (`offload`), or whole layers placed on the device, in host memory or on disk (`placement`,
 * with each layer's stored size: quantized and losslessly compressed layers move fewer bytes).
 */

/** Prefetch buffers of the fraction mode: double buffering, as ZeRO-Inference and FlexGen do. */
const FRACTION_BUFFERS = 2;

/** Stage of layer i of L over pp stages (consecutive layers per stage). */
export function stageOf(i: number, layers: number, pp: number): number {
  return Math.min(pp - 1, Math.floor((i * pp) / layers));
}

/** Per layer of the model, in order: bytes of its weights on one device, and of those the bytes stored in 16 bits. */
export function layerBytes(pm: PreparedModel): { bytes: Float64Array; bytes16: Float64Array } {
  const L = pm.order.length;
  const bytes = new Float64Array(L);
  const bytes16 = new Float64Array(L);
  for (let i = 0; i < L; i++) {
    const s = pm.layers[pm.order[i]!]!.shape;
    bytes[i] = s.weightBytes;
    bytes16[i] = s.bytes16;
  }
  return { bytes, bytes16 };
}

/** Seconds to bring `disk` bytes from disk: they pass through host memory, so the slower of disk and host link paces them. */
function diskSeconds(e: Engine, disk: number): number {
  return disk > 0 ? disk / Math.min(e.job.diskBandwidth, e.target.fabric.hostLinkBw) : 0;
}

/** Seconds to bring `host` bytes over the host link and `disk` bytes from disk. */
function tierSeconds(e: Engine, host: number, disk: number): number {
  return transferSeconds(host, e.target.fabric, 'host') + diskSeconds(e, disk);
}

function slowestOf(e: Engine, host: number, disk: number): Stream['slowest'] {
  if (host + disk <= 0) return null;
  return diskSeconds(e, disk) > transferSeconds(host, e.target.fabric, 'host') ? 'disk' : 'host-link';
}

/** A fraction `f` of every layer (and of the embedding and head) streams; host memory first, disk beyond it. */
function fractionStream(e: Engine, o: Offload): Stream {
  const job = e.job;
  const { perDevice } = weightBytes(e);
  const { bytes: lb } = layerBytes(e.prepared);
  const L = lb.length;
  const pp = e.split.pipeline;
  const lbMax = lb.reduce((m, x) => Math.max(m, x), 0);
  let f: number;
  if (o.weights === 'auto') {
    // keep as much resident as fits beside one request's KV cache (with the engine's reserve), the runtime and the prefetch buffers
    const mem = memoryFor(e, 1);
    const room = capacityOf(job) - mem.activations - mem.other - mem.kvPerRequest / job.kv.poolFraction - 1e6;
    f = Math.min(1, Math.max(0, (perDevice - room) / Math.max(1, perDevice - FRACTION_BUFFERS * lbMax)));
  } else f = o.weights;
  const total = perDevice * f;
  let hostLeft = o.to === 'disk' ? 0 : Math.min(total, job.hostMemoryBytes / job.devices);
  const transfer = new Float64Array(L);
  let host = 0;
  let disk = 0;
  // the busiest device's stage: the one with the most layers (the first, with consecutive layers per stage)
  const take = (bytes: number) => {
    const h = Math.min(bytes, hostLeft);
    hostLeft -= h;
    host += h;
    disk += bytes - h;
    return tierSeconds(e, h, bytes - h);
  };
  for (let i = 0; i < L; i++) if (stageOf(i, L, pp) === 0) transfer[i] = take(f * lb[i]!);
  const streamedLayers = host + disk;
  const headTransfer = take(Math.max(0, total - streamedLayers));
  // other stages stream the same shares of their own layers over their own links
  for (let i = 0; i < L; i++) if (stageOf(i, L, pp) !== 0) transfer[i] = tierSeconds(e, f * lb[i]!, 0);
  const bufferBytes = f > 0 ? FRACTION_BUFFERS * f * lbMax : 0;
  return {
    bytes: total,
    seconds: tierSeconds(e, host, disk),
    fraction: f,
    host,
    disk,
    slowest: slowestOf(e, host, disk),
    transfer,
    headTransfer,
    buffers: FRACTION_BUFFERS,
    bufferBytes,
    resident: perDevice * (1 - f) + bufferBytes,
  };
}

/** Whole layers on the device, in host memory or on disk, each at its stored size (lossless layers compressed); host memory beyond its size spills to disk. */
function placementStream(e: Engine, p: Placement): Stream {
  const job = e.job;
  const d = e.target.device;
  const { bytes: lb, bytes16 } = layerBytes(e.prepared);
  const L = lb.length;
  const pp = e.split.pipeline;
  if (p.layers.length !== L) throw new RangeError(`placement lists ${p.layers.length} layers; the model has ${L}`);
  if (p.lossless && p.lossless.length !== L) throw new RangeError(`placement.lossless lists ${p.lossless.length} layers; the model has ${L}`);
  const { emb, head } = headWeightBytes(e);
  const transfer = new Float64Array(L);
  const decode = new Float64Array(L);
  const residentPerStage = new Float64Array(pp);
  const streamedPerStage = new Float64Array(pp);
  const hostPerStage = new Float64Array(pp);
  const diskPerStage = new Float64Array(pp);
  let hostLeft = job.hostMemoryBytes / job.devices;
  let biggestStreamed = 0;
  let biggest16 = 0;
  const counts = { device: 0, host: 0, disk: 0, lossless: 0, storedBytes: 0 };
  for (let i = 0; i < L; i++) {
    const r = p.lossless?.[i] ?? 1;
    const stored = lb[i]! - bytes16[i]! * (1 - r);
    const s = stageOf(i, L, pp);
    counts.storedBytes += stored;
    if (r < 1) {
      // decoded on the device every step: read the compressed bytes, write the 16-bit ones, at the streaming bandwidth
      decode[i] = (bytes16[i]! * (1 + r)) / (d.bandwidth * d.memFraction);
      biggest16 = Math.max(biggest16, bytes16[i]!);
      counts.lossless++;
    }
    let where = p.layers[i]!;
    if (where === 'host' && stored > hostLeft) where = 'disk';
    if (where === 'device') {
      residentPerStage[s] = residentPerStage[s]! + stored;
      counts.device++;
      continue;
    }
    if (where === 'host') {
      hostLeft -= stored;
      hostPerStage[s] = hostPerStage[s]! + stored;
      transfer[i] = tierSeconds(e, stored, 0);
      counts.host++;
    } else {
      diskPerStage[s] = diskPerStage[s]! + stored;
      transfer[i] = tierSeconds(e, 0, stored);
      counts.disk++;
    }
    streamedPerStage[s] = streamedPerStage[s]! + stored;
    biggestStreamed = Math.max(biggestStreamed, stored);
  }
  const buffers = Math.max(1, p.buffers);
  const bufferBytes = (biggestStreamed > 0 ? buffers * biggestStreamed : 0) + biggest16;
  // the busiest device: its stage's resident layers, the embedding (first stage) and head (last), the buffers
  let resident = 0;
  let busiest = 0;
  for (let s = 0; s < pp; s++) {
    const ends = pp === 1 ? emb + head : s === 0 ? emb : s === pp - 1 ? head : 0;
    const r = residentPerStage[s]! + ends;
    if (r > resident) {
      resident = r;
      busiest = s;
    }
  }
  const streamed = streamedPerStage.reduce((m, x) => Math.max(m, x), 0);
  const st = streamedPerStage.indexOf(streamed);
  const host = hostPerStage[st]!;
  const disk = diskPerStage[st]!;
  const devWeights = residentPerStage[busiest]! + streamedPerStage[busiest]!;
  return {
    bytes: streamed,
    seconds: tierSeconds(e, host, disk),
    fraction: devWeights > 0 ? streamedPerStage[busiest]! / devWeights : 0,
    host,
    disk,
    slowest: slowestOf(e, host, disk),
    transfer,
    decode,
    headTransfer: 0,
    buffers,
    bufferBytes,
    resident: resident + bufferBytes,
    placement: counts,
  };
}

export function engineFor(job: ServeJob, split: ServeSplit): Engine {
  const e = baseEngine(job, split);
  if (job.cpu) return e;
  if (job.placement) e.stream = placementStream(e, job.placement);
  else if (job.offload) e.stream = fractionStream(e, job.offload);
  return e;
}

/**
 * One step's time with the layer schedule: each pipeline stage runs its layers (and the last its
 * head) in the steady state of schedule.ts; what that adds to the stage's own compute (waiting on
 * the link, decoding lossless layers) is added to the step, as memory time.
 */
export function timed(e: Engine, segments: Segment[], pm: PreparedModel = e.prepared): StepTime {
  const t = stepTime(e, segments, pm);
  const s = e.stream;
  if (pm !== e.prepared || !s.transfer || !t.layerSeconds) return t;
  const L = pm.order.length;
  const pp = e.split.pipeline;
  let total = 0;
  let worst = 0;
  for (let st = 0; st < pp; st++) {
    const compute: number[] = [];
    const transfer: number[] = [];
    let plain = 0;
    for (let i = 0; i < L; i++) {
      if (stageOf(i, L, pp) !== st) continue;
      const c = t.layerSeconds[pm.order[i]!]!;
      plain += c;
      compute.push(c + (s.decode?.[i] ?? 0));
      transfer.push(s.transfer[i]!);
    }
    if (st === pp - 1) {
      plain += t.headSeconds ?? 0;
      compute.push(t.headSeconds ?? 0);
      transfer.push(s.headTransfer ?? 0);
    }
    const stall = Math.max(0, streamedStep(compute, transfer, s.buffers ?? 2).seconds - plain);
    total += stall;
    worst = Math.max(worst, stall);
  }
  if (total <= 0) return t;
  return { ...t, seconds: t.seconds + total, stageSeconds: t.stageSeconds + worst, memorySeconds: t.memorySeconds + total };
}
