import { transferSeconds } from '../cost/topology.js';
import type { Segment } from '../graph/types.js';
import { baseEngine, type Engine, type PreparedModel } from './engine.js';
import { capacityOf, memoryOne, weightBytes } from './memory.js';
import { stepTime, type StepTime } from './step.js';
import type { ServeJob, ServeSplit } from './types.js';

/**
 * Weight offload (seed 000, ZeRO-Inference / FlexGen style): the off-device share of each
 * layer streams from host memory over the device's host link, and from disk beyond host memory,
 * layer by layer, overlapped with compute.
 */
export function engineFor(job: ServeJob, split: ServeSplit): Engine {
  const e = baseEngine(job, split);
  if (!job.offload || job.cpu) return e;
  const { perDevice } = weightBytes(e);
  const cap = capacityOf(job);
  const mem = memoryOne(e);
  let f: number;
  if (job.offload.weights === 'auto') {
    // keep as much resident as fits beside one request's KV cache (with the engine's reserve) and the runtime
    const room = cap - mem.activations - mem.other - mem.kvPerRequest / job.kv.poolFraction - 1e6;
    f = Math.min(1, Math.max(0, 1 - room / perDevice));
  } else f = job.offload.weights;
  const bytes = perDevice * f;
  const fabric = e.target.fabric;
  const hostShare = job.offload.to === 'disk' ? 0 : Math.min(bytes, job.hostMemoryBytes / job.devices);
  const diskShare = bytes - hostShare;
  // disk reads pass through host memory: the slower of disk and the host link paces them
  const tHost = transferSeconds(hostShare, fabric, 'host');
  const tDisk = diskShare > 0 ? diskShare / Math.min(job.diskBandwidth, fabric.hostLinkBw) : 0;
  const seconds = tHost + tDisk;
  e.stream = { bytes, seconds, fraction: f, host: hostShare, disk: diskShare, slowest: bytes <= 0 ? null : tDisk > tHost ? 'disk' : 'host-link' };
  return e;
}

/** One step's time, offload streaming included (overlapped layer by layer with compute). */
export function timed(e: Engine, segments: Segment[], pm: PreparedModel = e.prepared): StepTime {
  const t = stepTime(e, segments, pm);
  if (e.stream.seconds <= 0 || pm !== e.prepared) return t;
  const link = e.stream.seconds + e.stream.seconds / pm.model.layers; // plus the first layer's prologue
  if (link <= t.seconds) return t;
  const extra = link - t.seconds;
  return { ...t, seconds: link, stageSeconds: t.stageSeconds + extra, memorySeconds: t.memorySeconds + extra };
}
