import { calibration } from '../cost/calibration.js';
import { deviceFor } from '../cost/roofline.js';
import { fabricFor } from '../cost/topology.js';
import { kvBytesPerRequest, type StepLoad, type StepSplit } from '../graph/step.js';
import { countParameters } from '../model/params.js';
import type { ModelSpec } from '../model/types.js';
import { computeMode, kvBytesPerElement, WEIGHTS } from './formats.js';
import { gpuTarget, stepTime, type ServeTarget, type StepTime } from './step.js';
import type { ServeJob, ServeSplit } from './types.js';

/** The contract's inference result (contract/SCENARIOS.md), plus explanations. */
export interface ServeReport {
  kind: 'inference';
  fits: boolean;
  model: { id: string; name: string; parameters: number; activeParameters: number };
  system: { target: string; devices: number; replicas: number; devicesPerReplica: number };
  parallelism: { tensor: number; pipeline: number; expert: number };
  quantization: { weights: string; kvCache: string };
  /** Serving-engine properties the prediction assumed. */
  engine: { decodeAttention: string };
  memory: {
    perDeviceBytes: number;
    capacityBytes: number;
    breakdown: { weights: number; kvCache: number; activations: number; other: number };
    maxConcurrency: number;
    kvBytesPerRequest: number;
    weightBytesTotal: number;
  };
  latency: { ttftSeconds: number; tpotSeconds: number; requestSeconds: number; percentiles?: Percentiles };
  throughput: { outputTokensPerSecond: number; requestsPerSecond: number; outputTokensPerSecondPerDevice: number };
  breakdown: {
    prefill: { computeSeconds: number; memorySeconds: number; communicationSeconds: number };
    decode: { computeSeconds: number; memorySeconds: number; communicationSeconds: number; communicationShare: number; stepSeconds: number };
  };
  workload: {
    inputTokens: number;
    outputTokens: number;
    concurrency: number;
    mode: 'concurrency' | 'saturation' | 'request-rate';
    requestRate?: number;
    utilization?: number;
  };
  bound: 'compute' | 'memory-bandwidth' | 'communication' | 'host-link' | 'capacity';
  cost: { usdPerHour: number; usdPerMillionOutputTokens: number; pricePerDeviceHour: number };
  offload?: {
    fractionOffloaded: number;
    bytesStreamedPerStep: number;
    linkSeconds: number;
    deviceSeconds: number;
    boundByLink: boolean;
    tiers: { host: number; disk: number };
  };
  speculative?: { expectedTokensPerStep: number; speedup: number; helps: boolean };
  disaggregation?: { prefillDevices: number; decodeDevices: number; ratio: number; kvTransferSeconds: number; requestsPerSecond: number };
  slo?: { met: boolean; ttftMs?: number; tpotMs?: number; missBy: string[] };
  warnings: string[];
}

export interface Percentiles {
  ttft: { p50: number; p90: number; p99: number };
  tpot: { p50: number; p90: number; p99: number };
}

/** Where the job runs, as a serving target. */
export function targetFor(job: ServeJob): ServeTarget {
  const cal = calibration();
  if (job.cpu) {
    const c = job.cpu;
    const calCpu = { ...cal, memFraction: c.measuredFraction };
    const pseudo = {
      id: c.id,
      name: c.name,
      vendor: '',
      architecture: 'cpu',
      peakFlops: { fp32: null, tf32: null, bf16: c.bf16Flops, fp16: c.bf16Flops, fp8: null, fp4: null, int8: null },
      memoryBytes: 0,
      memoryBandwidth: c.memoryBandwidth,
      scaleUp: { tech: 'UPI', bandwidth: c.socketLinkBandwidth, domain: job.devices, inNetworkReduction: false },
      scaleOut: { bandwidth: 12.5e9, source: '' },
      hostLinkBandwidth: 32e9,
      perNode: job.devices,
      tdpWatts: c.tdpWatts,
      pricePerHour: job.pricePerHour,
      priceSource: '',
      sources: [],
      unverified: [],
    };
    return {
      device: deviceFor(pseudo, calCpu, 'serving'),
      fabric: fabricFor(pseudo, job.devices, calCpu),
      cpu: true,
      socketLinkBw: c.socketLinkBandwidth,
      label: `${job.devices} x ${c.id}`,
    };
  }
  return gpuTarget(job.accelerator!, job.perNode, job.fabric);
}

/** Bytes of weights on one device of a replica. */
export function weightBytesPerDevice(m: ModelSpec, s: ServeSplit, job: Pick<ServeJob, 'weights'>): { perDevice: number; total: number } {
  const c = countParameters(m);
  const bits = WEIGHTS[job.weights].bits(m.hidden) / 8;
  const norms = m.layers * m.normsPerLayer * m.hidden * (m.normBias ? 2 : 1);
  const router = m.moe ? m.moe.moeLayers * m.moe.experts * m.hidden : 0;
  const linear =
    m.layers * c.attentionPerLayer -
    norms +
    (m.layers - (m.moe?.moeLayers ?? 0)) * c.denseMlpPerLayer +
    (m.moe ? m.moe.moeLayers * (c.moeSharedPerLayer - m.moe.experts * m.hidden) : 0) +
    c.expert;
  const plain = c.embedding + c.lmHead + c.positions + norms + router;
  const total = linear * bits + plain * 2;
  const tp = s.tensor;
  // linear layers, embeddings and head split over TP; everything split over PP stages
  return { perDevice: (linear * bits + (c.embedding + c.lmHead) * 2) / tp / s.pipeline + ((norms + router + c.positions) * 2) / s.pipeline, total };
}

function stepSplit(job: ServeJob, s: ServeSplit): StepSplit {
  const compute = job.cpu ? 'bf16' : computeMode(job.weights, job.accelerator!);
  return {
    tp: s.tensor,
    pp: s.pipeline,
    ep: s.expert,
    weightBits: WEIGHTS[job.weights].bits,
    compute,
    kvBytes: kvBytesPerElement(job.kvCache, job.model.attention.headDim),
    decodeAttention: job.engine.decodeAttention,
  };
}

export interface Engine {
  job: ServeJob;
  split: ServeSplit;
  target: ServeTarget;
  ss: StepSplit;
  /** Off-device weight streaming per step (offload), seconds and bytes. */
  stream: { bytes: number; seconds: number; fraction: number; host: number; disk: number };
}

/** One step's time, offload streaming included (overlapped layer by layer with compute). */
export function timed(e: Engine, load: StepLoad, model: ModelSpec = e.job.model): StepTime {
  const t = stepTime(model, e.ss, load, e.target);
  if (e.stream.seconds <= 0 || model !== e.job.model) return t;
  const layers = model.layers;
  const link = e.stream.seconds + e.stream.seconds / layers; // plus the first layer's prologue
  if (link <= t.seconds) return t;
  const extra = link - t.seconds;
  return { ...t, seconds: link, stageSeconds: t.stageSeconds + extra, memorySeconds: t.memorySeconds + extra };
}

/** Prefill of `n` prompts, in engine steps of at most maxBatchTokens tokens. */
export function prefillTime(e: Engine, n: number): StepTime {
  const w = e.job.workload;
  const tokens = n * w.inputTokens;
  const steps = Math.max(1, Math.ceil(tokens / w.maxBatchTokens));
  const per = timed(e, { decodeSeqs: 0, decodeContext: 0, prefillSeqs: n / steps, prefillTokens: w.inputTokens });
  return scale(per, steps);
}

function scale(t: StepTime, k: number): StepTime {
  return {
    seconds: t.seconds * k,
    stageSeconds: t.stageSeconds * k,
    computeSeconds: t.computeSeconds * k,
    memorySeconds: t.memorySeconds * k,
    communicationSeconds: t.communicationSeconds * k,
    otherSeconds: t.otherSeconds * k,
  };
}

/** Memory on one device for `concurrency` requests. */
export function memoryFor(e: Engine, concurrency: number) {
  const job = e.job;
  const w = job.workload;
  const m = job.model;
  const cal = calibration();
  const { perDevice, total } = weightBytesPerDevice(m, e.split, job);
  const resident = perDevice * (1 - e.stream.fraction);
  // paged KV cache: a request holds its prompt plus the tokens generated so far, on average half the output
  const kvPerReq = kvBytesPerRequest(m, e.split.tensor, e.split.pipeline, e.ss.kvBytes, w.inputTokens + w.outputTokens / 2);
  const tokens = Math.min(w.maxBatchTokens, Math.max(concurrency, w.inputTokens));
  const F = m.moe ? m.moe.expertIntermediate * m.moe.topK : m.mlp.intermediate;
  const activations = tokens * (8 * m.hidden + (3 * F) / e.split.tensor) * 2 + Math.max(concurrency, 1) * (m.vocab / e.split.tensor) * 4;
  const other = job.cpu ? 0 : cal.runtimeBytes;
  return { weights: resident, weightsTotal: total, kv: kvPerReq * concurrency, kvPerReq, activations, other };
}

export function capacityOf(job: ServeJob): number {
  return job.cpu ? job.hostMemoryBytes / job.devices : job.accelerator!.memoryBytes;
}

/**
 * Largest concurrency whose KV cache fits: engines hand ~90% of the free memory to a paged
 * KV cache, in which requests in flight hold on average their prompt and half their output.
 */
export function maxConcurrency(e: Engine): number {
  const mem = memoryFor(e, 1);
  const free = capacityOf(e.job) - mem.weights - mem.activations - mem.other;
  if (free <= 0 || mem.kvPerReq <= 0) return 0;
  return Math.floor((0.9 * free) / mem.kvPerReq);
}

/** Builds the engine for a split, resolving offload so the weights fit. */
export function engineFor(job: ServeJob, split: ServeSplit): Engine {
  const target = targetFor(job);
  const ss = stepSplit(job, split);
  const e: Engine = { job, split, target, ss, stream: { bytes: 0, seconds: 0, fraction: 0, host: 0, disk: 0 } };
  if (job.offload && !job.cpu) {
    const { perDevice } = weightBytesPerDevice(job.model, split, job);
    const cap = capacityOf(job);
    const mem = memoryFor(e, 1);
    let f: number;
    if (job.offload.weights === 'auto') {
      // keep as much resident as fits beside one request's KV cache (with the engine's 10% reserve) and the runtime
      const room = cap - mem.activations - mem.other - mem.kvPerReq / 0.9 - 1e6;
      f = Math.min(1, Math.max(0, 1 - room / perDevice));
    } else f = job.offload.weights;
    const bytes = perDevice * f;
    const pcie = job.accelerator!.hostLinkBandwidth * calibration().pcieFraction;
    const hostShare = job.offload.to === 'disk' ? 0 : Math.min(bytes, job.hostMemoryBytes / job.devices);
    const diskShare = bytes - hostShare;
    // disk reads pass through host memory: the slower of disk and PCIe paces them
    const seconds = hostShare / pcie + diskShare / Math.min(job.diskBandwidth, pcie);
    e.stream = { bytes, seconds, fraction: f, host: hostShare, disk: diskShare };
  }
  return e;
}

function poissonQuantile(mean: number, p: number): number {
  let term = Math.exp(-mean);
  let cdf = term;
  let k = 0;
  while (cdf < p && k < 10000) {
    k++;
    term *= mean / k;
    cdf += term;
  }
  return k;
}

/** Evaluates the engine on the job's workload. */
export function evaluateServe(e: Engine): ServeReport {
  const job = e.job;
  const w = job.workload;
  const m = job.model;
  const counts = countParameters(m);
  const perReplica = e.split.tensor * e.split.pipeline;
  const replicas = Math.max(1, Math.floor(job.devices / perReplica));
  const maxC = maxConcurrency(e);
  const warnings: string[] = [];
  let mode: ServeReport['workload']['mode'];
  let C: number;
  if (w.concurrency !== null) {
    mode = 'concurrency';
    C = w.concurrency;
  } else if (w.requestRate !== null) {
    mode = 'request-rate';
    C = 1;
  } else {
    mode = 'saturation';
    C = Math.max(1, maxC);
  }

  // decode step at the average context of a request in flight
  const ctx = w.inputTokens + w.outputTokens / 2;
  let spec: ServeReport['speculative'];
  const decodeAt = (c: number): StepTime => {
    const base = timed(e, { decodeSeqs: c, decodeContext: ctx, prefillSeqs: 0, prefillTokens: 0 });
    if (!job.speculative) return base;
    const sp = job.speculative;
    const a = Math.min(sp.acceptance, 0.999);
    const E = (1 - Math.pow(a, sp.tokens + 1)) / (1 - a);
    const verify = timed(e, { decodeSeqs: c, decodeContext: ctx, prefillSeqs: 0, prefillTokens: 0, tokensPerSeq: sp.tokens + 1 });
    const draft = stepTime(sp.draft, { ...e.ss, ep: 1 }, { decodeSeqs: c, decodeContext: ctx, prefillSeqs: 0, prefillTokens: 0 }, e.target);
    const per = (verify.seconds + sp.tokens * draft.seconds) / E;
    spec = { expectedTokensPerStep: E, speedup: base.seconds / per, helps: per < base.seconds };
    if (!spec.helps) return base;
    return scale(verify, (per / verify.seconds) as number);
  };

  // one cycle of C requests: their prefills plus OSL decode steps (non-chunked continuous batching)
  const cycle = (c: number) => {
    if (w.chunkedPrefill) {
      const mix = timed(e, { decodeSeqs: c, decodeContext: ctx, prefillSeqs: c / w.outputTokens, prefillTokens: w.inputTokens });
      return { total: mix.seconds * w.outputTokens, decode: mix, prefill: mix, tpot: mix.seconds };
    }
    const pf = prefillTime(e, c);
    const d = decodeAt(c);
    const total = pf.stageSeconds + w.outputTokens * d.stageSeconds; // pipelined stages overlap requests
    const tpot = (w.outputTokens * d.seconds + pf.seconds * ((c - 1) / Math.max(c, 1))) / w.outputTokens;
    return { total, decode: d, prefill: pf, tpot };
  };

  let cyc = cycle(C);
  let rate = C / cyc.total; // requests per second per replica
  let utilization: number | undefined;
  if (mode === 'request-rate') {
    const lam = w.requestRate! / replicas;
    // smallest batch that keeps up with the arrivals (Little's law on the batch)
    let c = 1;
    const limit = Math.max(1, maxC);
    while (c < limit && c / cycle(c).total < lam) c = Math.min(limit, Math.ceil(c * 1.25) + (c < 8 ? 1 : 0));
    C = c;
    cyc = cycle(C);
    rate = C / cyc.total;
    utilization = lam / rate;
    if (utilization >= 1)
      warnings.push(
        `the request rate ${w.requestRate}/s exceeds what ${replicas} replica(s) can serve (${(rate * replicas).toFixed(2)}/s at the largest batch that fits): queues grow without bound`,
      );
  }
  const pf1 = prefillTime(e, 1);
  const d1 = cyc.decode;
  let ttft = pf1.seconds + (C > 1 ? d1.seconds : 0);
  let tpot = cyc.tpot;
  let percentiles: Percentiles | undefined;
  if (mode === 'request-rate') {
    const lam = w.requestRate! / replicas;
    const D = pf1.seconds;
    const rho = Math.min(0.999, (lam * cyc.prefill.seconds) / Math.max(C, 1));
    const wq = (rho * D) / (2 * (1 - rho)); // M/D/1 mean wait for the prefill slot
    const tail = (p: number) => (p <= 1 - rho ? 0 : (wq / Math.max(rho, 1e-9)) * Math.log(rho / (1 - p)));
    const tt = (p: number) => D + tail(p) + d1.seconds;
    const td = d1.seconds;
    const tp = (p: number) => td + poissonQuantile(lam * td, p) * D;
    ttft = D + wq + d1.seconds;
    tpot = td + lam * td * D;
    percentiles = { ttft: { p50: tt(0.5), p90: tt(0.9), p99: tt(0.99) }, tpot: { p50: tp(0.5), p90: tp(0.9), p99: tp(0.99) } };
  }
  const requestSeconds = ttft + (w.outputTokens - 1) * tpot;
  const reqPerSec = mode === 'request-rate' ? Math.min(w.requestRate!, rate * replicas) : rate * replicas;
  const outTps = reqPerSec * w.outputTokens;

  const mem = memoryFor(e, C);
  const cap = capacityOf(job);
  const perDeviceBytes = mem.weights + mem.kv + mem.activations + mem.other;
  const fits = C <= Math.max(maxC, 0) && maxC >= 1;
  if (!fits)
    warnings.push(
      maxC < 1
        ? `the weights do not leave room for one request's KV cache on ${job.accelerator?.id ?? 'this system'}`
        : `concurrency ${C} exceeds the ${maxC} requests whose KV cache fits`,
    );

  const d = cyc.decode;
  const dsum = d.computeSeconds + d.memorySeconds + d.communicationSeconds + d.otherSeconds;
  const pf = pf1;
  const linkBound =
    e.stream.seconds > 0 && e.stream.seconds >= stepTime(m, e.ss, { decodeSeqs: C, decodeContext: ctx, prefillSeqs: 0, prefillTokens: 0 }, e.target).seconds;
  const bound: ServeReport['bound'] = !fits
    ? 'capacity'
    : linkBound
      ? 'host-link'
      : d.communicationSeconds > Math.max(d.computeSeconds, d.memorySeconds)
        ? 'communication'
        : d.memorySeconds >= d.computeSeconds
          ? 'memory-bandwidth'
          : 'compute';
  const usdPerHour = job.devices * job.pricePerHour;
  const report: ServeReport = {
    kind: 'inference',
    fits,
    model: { id: m.id, name: m.name, parameters: counts.total, activeParameters: counts.active },
    system: { target: e.target.label, devices: job.devices, replicas, devicesPerReplica: perReplica },
    parallelism: { tensor: e.split.tensor, pipeline: e.split.pipeline, expert: e.split.expert },
    quantization: { weights: job.weights, kvCache: job.kvCache },
    engine: { ...job.engine },
    memory: {
      perDeviceBytes: Math.round(perDeviceBytes),
      capacityBytes: cap,
      breakdown: { weights: Math.round(mem.weights), kvCache: Math.round(mem.kv), activations: Math.round(mem.activations), other: Math.round(mem.other) },
      maxConcurrency: Math.max(0, maxC),
      kvBytesPerRequest: Math.round(mem.kvPerReq),
      weightBytesTotal: Math.round(mem.weightsTotal),
    },
    latency: { ttftSeconds: ttft, tpotSeconds: tpot, requestSeconds, ...(percentiles ? { percentiles } : {}) },
    throughput: { outputTokensPerSecond: outTps, requestsPerSecond: reqPerSec, outputTokensPerSecondPerDevice: outTps / job.devices },
    breakdown: {
      prefill: { computeSeconds: pf.computeSeconds, memorySeconds: pf.memorySeconds, communicationSeconds: pf.communicationSeconds },
      decode: {
        computeSeconds: d.computeSeconds,
        memorySeconds: d.memorySeconds,
        communicationSeconds: d.communicationSeconds,
        communicationShare: dsum > 0 ? d.communicationSeconds / dsum : 0,
        stepSeconds: d.seconds,
      },
    },
    workload: {
      inputTokens: w.inputTokens,
      outputTokens: w.outputTokens,
      concurrency: C,
      mode,
      ...(w.requestRate !== null ? { requestRate: w.requestRate } : {}),
      ...(utilization !== undefined ? { utilization } : {}),
    },
    bound,
    cost: { usdPerHour, usdPerMillionOutputTokens: outTps > 0 ? (usdPerHour / (outTps * 3600)) * 1e6 : Infinity, pricePerDeviceHour: job.pricePerHour },
    warnings,
  };
  if (e.stream.bytes > 0) {
    const dev = stepTime(m, e.ss, { decodeSeqs: C, decodeContext: ctx, prefillSeqs: 0, prefillTokens: 0 }, e.target).seconds;
    report.offload = {
      fractionOffloaded: e.stream.fraction,
      bytesStreamedPerStep: e.stream.bytes,
      linkSeconds: e.stream.seconds,
      deviceSeconds: dev,
      boundByLink: e.stream.seconds > dev,
      tiers: { host: e.stream.host, disk: e.stream.disk },
    };
  }
  if (spec) report.speculative = spec;
  if (job.disaggregation) {
    const pfRate = w.maxBatchTokens / w.inputTokens / prefillTime(e, w.maxBatchTokens / w.inputTokens).seconds; // prompts/s per prefill replica
    const decRate = C / (w.outputTokens * d.seconds);
    const ratio = decRate / pfRate;
    const kv = kvBytesPerRequest(m, e.split.tensor, e.split.pipeline, e.ss.kvBytes, w.inputTokens);
    const xfer = kv / (job.accelerator ? job.accelerator.scaleOut.bandwidth * calibration().scaleOutFraction : 1e10);
    const total = Math.max(2, replicas);
    const np = Math.max(1, Math.round((total * ratio) / (1 + ratio)));
    const nd = Math.max(1, total - np);
    report.disaggregation = {
      prefillDevices: np * perReplica,
      decodeDevices: nd * perReplica,
      ratio,
      kvTransferSeconds: xfer / m.layers,
      requestsPerSecond: Math.min(0.9 * np * pfRate, 0.92 * nd * decRate),
    };
  }
  if (job.slo) {
    const miss: string[] = [];
    const tt = percentiles ? percentiles.ttft.p90 : ttft;
    const tp = percentiles ? percentiles.tpot.p90 : tpot;
    if (job.slo.ttftMs !== undefined && tt * 1000 > job.slo.ttftMs) miss.push(`TTFT ${(tt * 1000).toFixed(0)} ms > ${job.slo.ttftMs} ms`);
    if (job.slo.tpotMs !== undefined && tp * 1000 > job.slo.tpotMs) miss.push(`TPOT ${(tp * 1000).toFixed(1)} ms > ${job.slo.tpotMs} ms`);
    report.slo = {
      met: miss.length === 0 && fits,
      ...(job.slo.ttftMs !== undefined ? { ttftMs: job.slo.ttftMs } : {}),
      ...(job.slo.tpotMs !== undefined ? { tpotMs: job.slo.tpotMs } : {}),
      missBy: miss,
    };
  }
  return report;
}
