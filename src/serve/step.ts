import { sendRecvSeconds } from '../cost/collective.js';
import { priceComms, priceOps } from '../cost/price.js';
import { gemmCost } from '../cost/roofline.js';
import { buildHead } from '../graph/head.js';
import { loadLayer } from '../graph/layer.js';
import type { Load, Segment } from '../graph/types.js';
import type { Engine, PreparedModel } from './engine.js';
import type { StepTime } from './types.js';

export type { StepTime } from './types.js';

/** Prices one step of a prepared model (the served one by default) on the engine's devices; `segments` is the batch each pipeline stage processes. */
export function stepTime(e: Engine, segments: Segment[], pm: PreparedModel = e.prepared): StepTime {
  const model = pm.model;
  const d = e.target.device;
  const f = e.target.fabric;
  const s = pm.layers[0]?.shape.split ?? e.graph;
  const pp = e.split.pipeline;
  const load: Load = { segments, training: false };
  let core = 0; // one stage: op time
  let comm = 0;
  let compute = 0;
  let memory = 0;
  let gemmMem = 0;
  let gemmComp = 0;
  // decode steps are CUDA-graph captured; steps that prefill launch their kernels eagerly
  const prefills = segments.some((g) => g.pastTokens === 0 && g.newTokens > 1);
  const perLayer = prefills ? d.cal.servingPrefillLayerOverhead : d.cal.servingLayerOverhead;
  const layerSeconds: number[] = [];
  for (const c of pm.layers) {
    const g = loadLayer(c.shape, load);
    const o = priceOps(g, d);
    const n = c.count / pp;
    const one = o.gemm.seconds + o.attnFwd.seconds + o.ewFwd;
    const oneComm = priceComms(g.comms, s, f).tp;
    core += n * one;
    compute += n * (o.gemm.compute + o.attnFwd.compute);
    memory += n * (o.gemm.memory + o.attnFwd.memory + o.ewMemory);
    gemmMem += n * o.gemm.memory;
    gemmComp += n * o.gemm.compute;
    comm += n * oneComm;
    layerSeconds.push(one + oneComm + perLayer);
  }
  let headSeconds = d.cal.servingStepOverhead;
  for (const x of buildHead(model, s, load).gemms) {
    const c = gemmCost(x, d);
    core += c.seconds / pp;
    compute += c.compute / pp;
    memory += c.memory / pp;
    gemmMem += c.memory / pp;
    gemmComp += c.compute / pp;
    headSeconds += c.seconds;
  }
  const L = model.layers;
  const stageOther = d.cal.servingStepOverhead + (L / pp) * perLayer;
  let seconds = core + comm + stageOther;
  if (pp > 1) {
    const tokens = segments.reduce((t, g) => t + g.seqs * g.newTokens, 0);
    const hop = sendRecvSeconds(tokens * model.hidden * 2, e.split.tensor * pp > f.domain, f);
    seconds = pp * (core + comm) + (pp - 1) * hop + d.cal.servingStepOverhead + L * perLayer;
  }
  return {
    seconds,
    stageSeconds: core + comm + stageOther,
    computeSeconds: compute * pp,
    memorySeconds: memory * pp,
    communicationSeconds: comm * pp,
    otherSeconds: seconds - pp * (core + comm),
    gemmMemorySeconds: gemmMem * pp,
    gemmComputeSeconds: gemmComp * pp,
    layerSeconds,
    headSeconds,
  };
}

/** Scales a step (k identical steps). */
export function scaleStep(t: StepTime, k: number): StepTime {
  return {
    seconds: t.seconds * k,
    stageSeconds: t.stageSeconds * k,
    computeSeconds: t.computeSeconds * k,
    memorySeconds: t.memorySeconds * k,
    communicationSeconds: t.communicationSeconds * k,
    otherSeconds: t.otherSeconds * k,
    gemmMemorySeconds: t.gemmMemorySeconds * k,
    gemmComputeSeconds: t.gemmComputeSeconds * k,
  };
}
