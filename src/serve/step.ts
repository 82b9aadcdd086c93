import { calibration } from '../cost/calibration.js';
import { allReduceSeconds, sendRecvSeconds } from '../cost/collective.js';
import { deviceFor, elementwiseSeconds, gemmCost, type Device } from '../cost/roofline.js';
import { fabricFor, place, type Fabric } from '../cost/topology.js';
import { stepGraph, type StepLoad, type StepSplit } from '../graph/step.js';
import type { Accelerator } from '../hardware/types.js';
import type { ModelSpec } from '../model/types.js';

/** Where a serving step runs: a GPU with its fabric, or CPU sockets linked by UPI. */
export interface ServeTarget {
  device: Device;
  fabric: Fabric;
  /** Sockets talk through shared memory and UPI: collectives pay a fixed synchronisation cost. */
  cpu: boolean;
  /** Per-direction bandwidth between sockets (CPU targets). */
  socketLinkBw: number;
  label: string;
}

export function gpuTarget(a: Accelerator, perNode: number, overrides: { domain?: number; scaleUpGBps?: number } = {}): ServeTarget {
  const cal = calibration();
  return { device: deviceFor(a, cal, 'serving'), fabric: fabricFor(a, perNode, cal, overrides), cpu: false, socketLinkBw: 0, label: a.id };
}

export interface StepTime {
  /** One step through the whole model (all pipeline stages): the latency a token sees. */
  seconds: number;
  /** One pipeline stage: with enough requests in flight, steps complete at this interval. */
  stageSeconds: number;
  computeSeconds: number;
  memorySeconds: number;
  communicationSeconds: number;
  otherSeconds: number;
}

/** Prices one serving step with the shared roofline and collective models. */
export function stepTime(m: ModelSpec, split: StepSplit, load: StepLoad, t: ServeTarget): StepTime {
  const g = stepGraph(m, split, load);
  const d = t.device;
  let compute = 0;
  let memory = 0;
  for (const x of g.gemms) {
    const c = gemmCost(x, d);
    if (c.compute >= c.memory) compute += c.seconds;
    else memory += c.seconds;
  }
  // prefill attention is compute-bound (flash); decode attention streams the KV cache
  if (g.prefillAttentionFlops > 0) compute += g.prefillAttentionFlops / (d.bf16 * d.eff.attnFwd) + g.layers * d.cal.kernelOverhead;
  if (g.decodeAttentionFlops > 0) {
    const c = g.decodeAttentionFlops / (d.bf16 * d.eff.attnFwd);
    const mm = g.kvBytesRead / (d.bandwidth * d.cal.memFraction);
    if (c > mm) compute += c;
    else memory += mm;
    memory += g.layers * d.cal.kernelOverhead;
  }
  memory += elementwiseSeconds(g.elementwiseBytes, 6 * g.layers, d);
  let comm = 0;
  for (const c of g.comms) {
    if (t.cpu) comm += c.count * (d.cal.cpuCollective + ((2 * (split.tp - 1)) / split.tp) * (c.bytes / t.socketLinkBw));
    else comm += c.count * allReduceSeconds(c.bytes, place(split.tp, 1, t.fabric), t.fabric);
  }
  // decode steps are CUDA-graph captured; steps that prefill launch their kernels eagerly
  const perLayer = load.prefillSeqs > 0 ? d.cal.servingPrefillLayerOverhead : d.cal.servingLayerOverhead;
  const other = d.cal.servingStepOverhead + g.layers * split.pp * perLayer;
  const stage = compute + memory + comm + other;
  let seconds = stage;
  if (split.pp > 1) {
    const tokens = load.decodeSeqs * (load.tokensPerSeq ?? 1) + load.prefillSeqs * load.prefillTokens;
    const hop = sendRecvSeconds(tokens * m.hidden * 2, split.tp * split.pp > t.fabric.domain, t.fabric);
    seconds = split.pp * (compute + memory + comm) + (split.pp - 1) * hop + other;
  }
  return {
    seconds,
    stageSeconds: stage,
    computeSeconds: compute * split.pp,
    memorySeconds: memory * split.pp,
    communicationSeconds: comm * split.pp,
    otherSeconds: other,
  };
}
