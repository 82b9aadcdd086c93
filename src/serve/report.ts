import { warning, type Warning } from '../core/warnings.js';
import { countParameters } from '../model/params.js';
import { layerWeights } from '../model/weights.js';
import { disaggregate, type DisaggregatedPlan, type Disaggregation } from './disaggregation.js';
import type { Engine } from './engine.js';
import { averageContext, capacityOf, engineBatchLimit, kvPoolBytes, maxConcurrency, memoryFor, memoryOne } from './memory.js';
import { prefillTime } from './prefill.js';
import { chunkedBatchLimit, chunkedStep, type ChunkedStep } from './chunked.js';
import { chunkedQueue, queue, type QueueResult } from './queue.js';
import { decodeStep, type SpeculativeResult } from './speculative.js';
import { HEADROOM_WARNING_FRACTION, reserveReport, type MemoryReserveReport } from '../profiles/reserve.js';
import { stepTime, type StepTime } from './step.js';

/** The contract's inference result (contract/SCENARIOS.md v2), plus explanations. */
export interface ServeReport {
  kind: 'inference';
  fits: boolean;
  model: { id: string; name: string; parameters: number; activeParameters: number };
  system: { target: string; devices: number; replicas: number; devicesPerReplica: number };
  parallelism: { tensor: number; pipeline: number; expert: number };
  quantization: {
    weights: string;
    kvCache: string;
    /** K and V formats when the job sets them separately. */
    kvKeys?: string;
    kvValues?: string;
    /** Mixed precision: each format's share of the layers' weight parameters. */
    mix?: Record<string, number>;
  };
  /** Serving-engine properties the prediction assumed. */
  engine: { profile: string; decodeAttention: string };
  profiles: { efficiency: { generation: string; fitted: boolean; source: string }; calibration: string; engine: string };
  memory: {
    perDeviceBytes: number;
    capacityBytes: number;
    headroomBytes: number;
    breakdown: { weights: number; kvCache: number; activations: number; other: number };
    maxConcurrency: number;
    kvBytesPerRequest: number;
    weightBytesTotal: number;
    /**
     * What `other` holds: the engine profile's runtime reserve; the KV pool's share of free memory
     * (as the profile defines it); the bytes of the pool priced on one device, and of what the
     * engine holds beside it with one request in flight (weights, activations, runtime): an
     * engine's memory flag is set from these two (src/export).
     */
    reserve: MemoryReserveReport & { kvPoolFraction: number; kvPoolBytes: number; residentBytes: number };
  };
  /** Null when the plan does not fit or its queue is unstable: no finite latency exists. */
  latency: { ttftSeconds: number; tpotSeconds: number; requestSeconds: number; percentiles?: Percentiles } | null;
  /** Null when the plan does not fit. */
  throughput: { outputTokensPerSecond: number; requestsPerSecond: number; outputTokensPerSecondPerDevice: number } | null;
  /** Request-rate mode only: whether the deployment keeps up with the offered rate. */
  stable?: boolean;
  breakdown: {
    prefill: { computeSeconds: number; memorySeconds: number; communicationSeconds: number; seconds: number };
    decode: {
      /** Roofline components summed over every op of one decode step. */
      computeSeconds: number;
      memorySeconds: number;
      communicationSeconds: number;
      otherSeconds: number;
      communicationShare: number;
      /** Share of the GEMMs' roofline time that is memory traffic. */
      gemmMemoryShare: number;
      stepSeconds: number;
    };
  };
  workload: {
    inputTokens: number;
    outputTokens: number;
    /**
     * Requests in flight per replica, all pipeline stages together. In request-rate mode the mean
     * number arrived and not yet finished: rate per replica x request time (Little's law).
     */
    concurrency: number;
    /** Request-rate mode: the mean batch the engine decodes (its steps and KV cache are priced at it). */
    running?: number;
    mode: 'concurrency' | 'saturation' | 'request-rate';
    requestRate?: number;
    utilization?: number;
  };
  bound: 'compute' | 'memory-bandwidth' | 'communication' | 'host-link' | 'disk' | 'capacity';
  /** Null when the plan does not fit. */
  cost: { usdPerHour: number; usdPerMillionOutputTokens: number | null; pricePerDeviceHour: number } | null;
  offload?: {
    fractionOffloaded: number;
    bytesStreamedPerStep: number;
    linkSeconds: number;
    deviceSeconds: number;
    boundByLink: boolean;
    slowestTier: 'host-link' | 'disk' | null;
    tiers: { host: number; disk: number };
    /** Per-layer placement: layers on the device, in host memory and on disk, lossless ones, prefetch buffers. */
    layers?: { device: number; host: number; disk: number; lossless: number; prefetchBuffers: number; bufferBytes: number };
  };
  speculative?: SpeculativeResult;
  disaggregation?: Disaggregation;
  slo?: { met: boolean; ttftMs?: number; tpotMs?: number; missBy: string[] };
  warnings: Warning[];
}

export interface Percentiles {
  ttft: { p50: number; p90: number; p99: number };
  tpot: { p50: number; p90: number; p99: number };
}

interface Cycle {
  /** Seconds for one round of C requests (prefills and every output token). */
  total: number;
  decode: StepTime;
  /** Seconds between two tokens of one request (all stages). */
  tokenInterval: number;
  /** Wall time of the prefills of one round. */
  prefillWall: number;
  tpot: number;
  speculative: SpeculativeResult | null;
  /** The chunked-prefill step (chunked engines only). */
  chunked: ChunkedStep | null;
}

/**
 * One round of C requests in flight per replica (continuous batching at steady state). With
 * pipeline parallelism the C requests form one micro-batch of C / pipeline per stage, so
 * requests in flight, KV memory and throughput describe the same C (Little's law).
 */
function cycle(e: Engine, C: number): Cycle {
  const w = e.job.workload;
  const pp = e.split.pipeline;
  const ctx = averageContext(e);
  const b = C / pp;
  if (w.chunkedPrefill) {
    const ch = chunkedStep(e, C, ctx);
    return {
      total: C / ch.rate,
      decode: ch.step,
      tokenInterval: ch.tokenInterval,
      prefillWall: 0,
      tpot: ch.tokenInterval,
      speculative: ch.speculative,
      chunked: ch,
    };
  }
  const pf = prefillTime(e, C);
  const one = prefillTime(e, 1);
  const prefillWall = pf.stageSeconds + (pp > 1 ? one.seconds - one.stageSeconds : 0);
  const d = decodeStep(e, b, ctx);
  const tokenInterval = d.step.seconds;
  const total = prefillWall + w.outputTokens * tokenInterval;
  const tpot = (w.outputTokens * tokenInterval + prefillWall * ((C - 1) / Math.max(C, 1))) / w.outputTokens;
  return { total, decode: d.step, tokenInterval, prefillWall, tpot, speculative: d.speculative, chunked: null };
}

/** The largest batch the engine runs: what the KV pool holds, its batch limit and, chunked, what its step's token budget takes. */
/** Share of the largest batch above which request-rate latencies carry a warning (waits for a free slot are not modelled). */
const NEAR_FULL_BATCH = 0.9;

function batchTop(e: Engine, maxC: number): number {
  const chunk = e.job.workload.chunkedPrefill ? chunkedBatchLimit(e) : Infinity;
  return Math.max(1, Math.min(maxC, engineBatchLimit(e), chunk));
}

/**
 * The mean batch at which the engine serves `lambda` requests/s (below `top`, which serves more):
 * bracketed on a coarse grid, then bisected, so the batch, the rate and the time a request spends
 * in the engine agree (Little's law). A mean below one request is an engine idle part of the time.
 */
function batchFor(e: Engine, lambda: number, top: number): number {
  const rate = (c: number) => c / cycle(e, c).total;
  let lo = 0;
  let hi = Math.min(1, top);
  while (hi < top && rate(hi) < lambda) {
    lo = hi;
    hi = Math.min(top, Math.ceil(hi * 1.25) + (hi < 8 ? 1 : 0));
  }
  for (let i = 0; i < 40 && hi - lo > 1e-6 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (rate(mid) < lambda) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The reserve report with the KV pool's share of free memory (a property added, not a spread: this runs once per searched plan). */
function withPoolFraction(r: MemoryReserveReport, kvPoolFraction: number, e: Engine): ServeReport['memory']['reserve'] {
  const x = r as ServeReport['memory']['reserve'];
  const one = memoryOne(e);
  x.kvPoolFraction = kvPoolFraction;
  x.kvPoolBytes = Math.max(0, Math.round(kvPoolBytes(e)));
  x.residentBytes = Math.round(one.weights + one.activations + one.other);
  return x;
}

/** The formats of the report: the job's, K and V when split, and the mix of a weight plan. */
function quantizationOf(e: Engine): ServeReport['quantization'] {
  const job = e.job;
  const kv = job.kvSplit;
  const q: ServeReport['quantization'] = {
    weights: job.weightPlan ? 'mixed' : job.weights,
    kvCache: kv && kv.keys !== kv.values ? `${kv.keys}/${kv.values}` : job.kvCache,
  };
  if (kv) {
    q.kvKeys = kv.keys;
    q.kvValues = kv.values;
  }
  if (job.weightPlan) {
    const params: Record<string, number> = {};
    let total = 0;
    job.model.pattern.forEach((l, i) => {
      for (const w of layerWeights(job.model, l.mlp === 'moe' && job.model.moe ? 'moe' : 'dense').matrices) {
        if (w.role === 'router') continue;
        const f = job.weightPlan!.layers[i]?.[w.role] ?? job.weights;
        const n = w.count * w.out * w.in;
        params[f] = (params[f] ?? 0) + n;
        total += n;
      }
    });
    q.mix = Object.fromEntries(Object.entries(params).map(([f, n]) => [f, n / total]));
  }
  return q;
}

/** Evaluates the engine on the job's workload. */
export function evaluateServe(e: Engine): ServeReport {
  const job = e.job;
  const w = job.workload;
  const m = job.model;
  const counts = (e.memo.parameters ??= countParameters(m));
  const perReplica = e.split.tensor * e.split.pipeline;
  const replicas = Math.max(1, Math.floor(job.devices / perReplica));
  const maxC = maxConcurrency(e);
  const warnings: Warning[] = [];
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
    // the engine fills its batch up to what the KV pool holds, its own batch limit and (chunked) its step's token budget allow
    C = batchTop(e, maxC);
  }
  const fits = maxC >= 1 && C <= maxC;

  let cyc = cycle(e, C);
  let rate = C / cyc.total; // requests/s per replica
  let utilization: number | undefined;
  let stable: boolean | undefined;
  let q: QueueResult | null = null;
  let running: number | undefined;
  if (mode === 'request-rate' && fits) {
    const lam = w.requestRate! / replicas;
    // the largest batch that fits bounds what can be served; the engine runs the batch whose rate is the offered one
    const top = batchTop(e, maxC);
    const capacity = top / cycle(e, top).total;
    C = lam < capacity ? batchFor(e, lam, top) : top;
    running = C;
    cyc = cycle(e, C);
    rate = C / cyc.total;
    const ch = cyc.chunked;
    if (ch) {
      const cq = chunkedQueue({
        lambda: lam,
        capacity,
        inputTokens: w.inputTokens,
        stepSeconds: ch.stepSeconds,
        tokenInterval: ch.tokenInterval,
        tokensPerStep: ch.tokensPerStep,
        budget: ch.budget,
        decodeOnlySeconds: ch.decodeOnlySeconds,
        fullSeconds: ch.fullSeconds,
        stepWith: ch.withPrefill,
      });
      q = cq;
      if (!cq.stable && lam < capacity)
        warnings.push(
          warning(
            'unstable_queue',
            `the offered ${w.requestRate} requests/s bring ${((lam * w.inputTokens * replicas) / 1e3).toFixed(1)}k prompt tokens/s, more than the chunked-prefill budget of ${replicas} replica(s) prefills (prefill utilisation ${(cq.prefillUtilization * 100).toFixed(0)}%): queues grow without bound, so no latency is reported`,
            ['workload', 'requestRate'],
          ),
        );
    } else {
      const pf1 = prefillTime(e, 1).seconds;
      q = queue({ lambda: lam, capacity, prefill: pf1, decodeStep: cyc.tokenInterval, prefillShare: (lam * cyc.prefillWall) / C });
    }
    utilization = q.utilization;
    stable = q.stable;
    // near the largest batch, requests would also wait for a free slot (KV cache or the engine's
    // batch limit), which the queue above does not model: say so rather than print a tail as sure
    if (q.stable && lam < capacity && C >= NEAR_FULL_BATCH * top)
      warnings.push(
        warning(
          'estimate',
          `the offered rate needs ${Math.ceil(C)} requests in flight per replica, ${((100 * C) / top).toFixed(0)}% of the ${top} the deployment can hold (${top === maxC ? 'KV cache' : 'engine batch limit'}): requests waiting for a free slot are not modelled, so the latency tails are optimistic`,
          ['workload', 'requestRate'],
        ),
      );
    if (!(lam < capacity))
      warnings.push(
        warning(
          'unstable_queue',
          `the offered ${w.requestRate} requests/s exceed the ${(capacity * replicas).toFixed(2)}/s that ${replicas} replica(s) serve at the largest batch that fits (utilisation ${(utilization * 100).toFixed(0)}%): queues grow without bound, so no latency is reported`,
          ['workload', 'requestRate'],
        ),
      );
  }
  const pf1 = prefillTime(e, 1);
  let latency: ServeReport['latency'] = null;
  if (fits && (mode !== 'request-rate' || q?.stable)) {
    if (q?.stable && q.ttft && q.tpot) {
      const requestSeconds = q.ttft.mean + (w.outputTokens - 1) * q.tpot.mean;
      // Little's law: requests arrived and not finished, per replica
      C = (w.requestRate! / replicas) * requestSeconds;
      latency = {
        ttftSeconds: q.ttft.mean,
        tpotSeconds: q.tpot.mean,
        requestSeconds,
        percentiles: { ttft: { p50: q.ttft.p50, p90: q.ttft.p90, p99: q.ttft.p99 }, tpot: { p50: q.tpot.p50, p90: q.tpot.p90, p99: q.tpot.p99 } },
      };
    } else {
      const ttft = pf1.seconds + (C > 1 ? cyc.tokenInterval : 0);
      latency = { ttftSeconds: ttft, tpotSeconds: cyc.tpot, requestSeconds: ttft + (w.outputTokens - 1) * cyc.tpot };
    }
  }
  const served = mode === 'request-rate' ? Math.min(w.requestRate!, rate * replicas) : rate * replicas;
  let throughput = fits
    ? { outputTokensPerSecond: served * w.outputTokens, requestsPerSecond: served, outputTokensPerSecondPerDevice: (served * w.outputTokens) / job.devices }
    : null;
  let decodeSteps = cyc.decode;
  let speculative = cyc.speculative;
  let dis: DisaggregatedPlan | null = null;
  if (job.disaggregation && fits) {
    dis = disaggregate(e, replicas, maxC, mode === 'request-rate' ? { requestRate: w.requestRate! } : { batch: C });
    if (!dis)
      warnings.push(
        warning(
          'ignored_key',
          `disaggregation needs at least two replicas to split into prefill and decode pools; the ${job.devices} device(s) hold ${replicas} replica(s) of ${perReplica}, served co-located`,
          ['disaggregation'],
        ),
      );
    else {
      // the disaggregated deployment is the one served: its pools, not the co-located queue, give the numbers
      const info = dis.info;
      for (let i = warnings.length - 1; i >= 0; i--) if (warnings[i]!.code === 'unstable_queue') warnings.splice(i, 1);
      C = dis.decodeConcurrency;
      running = undefined;
      decodeSteps = dis.decodeStep;
      speculative = dis.speculative;
      const L = dis.latency;
      latency = L
        ? {
            ttftSeconds: L.ttft.mean,
            tpotSeconds: L.tpot.mean,
            requestSeconds: L.requestSeconds,
            ...(mode === 'request-rate'
              ? { percentiles: { ttft: { p50: L.ttft.p50, p90: L.ttft.p90, p99: L.ttft.p99 }, tpot: { p50: L.tpot.p50, p90: L.tpot.p90, p99: L.tpot.p99 } } }
              : {}),
          }
        : null;
      const rps = dis.requestsPerSecond;
      throughput = {
        outputTokensPerSecond: rps * w.outputTokens,
        requestsPerSecond: rps,
        outputTokensPerSecondPerDevice: (rps * w.outputTokens) / job.devices,
      };
      if (mode === 'request-rate') {
        stable = info.stable;
        utilization = Math.max(info.prefillUtilization!, info.decodeUtilization!);
        if (!info.stable)
          warnings.push(
            warning(
              'unstable_queue',
              `the offered ${w.requestRate} requests/s exceed the ${info.requestsPerSecond.toFixed(2)}/s that ${info.prefillDevices} prefill and ${info.decodeDevices} decode devices carry (prefill utilisation ${(info.prefillUtilization! * 100).toFixed(0)}%, decode ${(info.decodeUtilization! * 100).toFixed(0)}%): queues grow without bound, so no latency is reported`,
              ['workload', 'requestRate'],
            ),
          );
      }
    }
  }

  const mem = memoryFor(e, running ?? C);
  const cap = capacityOf(job);
  if (!fits)
    warnings.push(
      warning(
        'does_not_fit',
        maxC < 1
          ? `the weights do not leave room for one request's KV cache on ${job.accelerator?.id ?? 'this system'}: no throughput or cost is reported`
          : `${C} requests in flight need more KV cache than fits (at most ${maxC}): no throughput or cost is reported`,
        ['workload'],
      ),
    );
  const batchLimit = engineBatchLimit(e);
  if (fits && mode === 'concurrency' && C > batchLimit)
    warnings.push(
      warning(
        'estimate',
        `${C} requests in flight are more than the ${batchLimit} sequences the engine's profile decodes together (${job.engine}): priced as one batch of ${C}, which needs the engine configured for it (llama.cpp refuses a --parallel above its limit) or ${Math.ceil(C / batchLimit)} replicas`,
        ['workload', 'concurrency'],
      ),
    );
  if (fits && cap - mem.total < HEADROOM_WARNING_FRACTION * cap)
    warnings.push(
      warning(
        'memory_headroom',
        `the deployment leaves ${((cap - mem.total) / 1e9).toFixed(2)} GB of ${(cap / 1e9).toFixed(0)} GB free per device beyond the engine's reserve, under the ${HEADROOM_WARNING_FRACTION * 100}% margin; real engines often fail to start or preempt before that`,
        ['workload'],
      ),
    );
  if (!e.target.device.profile.fitted)
    warnings.push(
      (e.memo.uncalibrated ??= warning(
        'uncalibrated_hardware',
        `${e.target.label} (${e.target.device.profile.generation}) has no serving measurements to check against: priced with ${e.target.device.profile.source}; treat the times as rough`,
        ['system'],
      )),
    );

  const d = decodeSteps;
  const dsum = d.seconds;
  // with offload: bound by the link when streaming the weights takes longer than the decode step's own work
  const plainDecode =
    e.stream.bytes > 0 || e.stream.seconds > 0 ? stepTime(e, [{ seqs: (running ?? C) / e.split.pipeline, newTokens: 1, pastTokens: averageContext(e) }]) : null;
  const linkBound = plainDecode !== null && e.stream.seconds > 0 && e.stream.seconds >= plainDecode.seconds;
  if (linkBound)
    warnings.push(
      warning(
        'link_bound',
        `each step waits on ${(e.stream.bytes / 1e9).toFixed(1)} GB of offloaded weights streamed from ${e.stream.slowest === 'disk' ? 'disk' : 'host memory'}`,
        ['offload'],
      ),
    );
  const bound: ServeReport['bound'] = !fits
    ? 'capacity'
    : linkBound
      ? e.stream.slowest === 'disk'
        ? 'disk'
        : 'host-link'
      : d.communicationSeconds > Math.max(d.computeSeconds, d.memorySeconds)
        ? 'communication'
        : d.memorySeconds >= d.computeSeconds
          ? 'memory-bandwidth'
          : 'compute';
  const usdPerHour = job.devices * job.pricePerHour;
  const outTps = throughput?.outputTokensPerSecond ?? 0;
  const prof = e.target.device.profile;
  const report: ServeReport = {
    kind: 'inference',
    fits,
    model: { id: m.id, name: m.name, parameters: counts.total, activeParameters: counts.active },
    system: { target: e.target.label, devices: job.devices, replicas, devicesPerReplica: perReplica },
    parallelism: { tensor: e.split.tensor, pipeline: e.split.pipeline, expert: e.split.expert },
    quantization: quantizationOf(e),
    engine: { profile: job.engine, decodeAttention: job.kernels.decodeAttention },
    profiles: { efficiency: { generation: prof.generation, fitted: prof.fitted, source: prof.source }, calibration: job.cal.name, engine: job.engine },
    memory: {
      perDeviceBytes: Math.round(mem.total),
      capacityBytes: cap,
      headroomBytes: Math.round(cap - mem.total),
      breakdown: { weights: Math.round(mem.weights), kvCache: Math.round(mem.kv), activations: Math.round(mem.activations), other: Math.round(mem.other) },
      maxConcurrency: Math.max(0, maxC),
      kvBytesPerRequest: Math.round(mem.kvPerRequest),
      weightBytesTotal: Math.round(mem.weightsTotal),
      reserve: withPoolFraction(reserveReport(job.memoryReserve, 0, Math.round(mem.other)), job.kv.poolFraction, e),
    },
    latency,
    throughput,
    ...(stable !== undefined ? { stable } : {}),
    breakdown: {
      prefill: { computeSeconds: pf1.computeSeconds, memorySeconds: pf1.memorySeconds, communicationSeconds: pf1.communicationSeconds, seconds: pf1.seconds },
      decode: {
        computeSeconds: d.computeSeconds,
        memorySeconds: d.memorySeconds,
        communicationSeconds: d.communicationSeconds,
        otherSeconds: d.otherSeconds,
        communicationShare: dsum > 0 ? d.communicationSeconds / dsum : 0,
        gemmMemoryShare: d.gemmMemorySeconds / Math.max(d.gemmMemorySeconds + d.gemmComputeSeconds, 1e-30),
        stepSeconds: d.seconds,
      },
    },
    workload: {
      inputTokens: w.inputTokens,
      outputTokens: w.outputTokens,
      concurrency: C,
      ...(running !== undefined ? { running } : {}),
      mode,
      ...(w.requestRate !== null ? { requestRate: w.requestRate } : {}),
      ...(utilization !== undefined ? { utilization } : {}),
    },
    bound,
    cost: fits
      ? { usdPerHour, usdPerMillionOutputTokens: outTps > 0 ? (usdPerHour / (outTps * 3600)) * 1e6 : null, pricePerDeviceHour: job.pricePerHour }
      : null,
    warnings,
  };
  if (plainDecode && e.stream.bytes > 0) {
    report.offload = {
      fractionOffloaded: e.stream.fraction,
      bytesStreamedPerStep: e.stream.bytes,
      linkSeconds: e.stream.seconds,
      deviceSeconds: plainDecode.seconds,
      boundByLink: linkBound,
      slowestTier: e.stream.slowest,
      tiers: { host: e.stream.host, disk: e.stream.disk },
      ...(e.stream.placement
        ? {
            layers: {
              device: e.stream.placement.device,
              host: e.stream.placement.host,
              disk: e.stream.placement.disk,
              lossless: e.stream.placement.lossless,
              prefetchBuffers: e.stream.buffers ?? 0,
              bufferBytes: Math.round(e.stream.bufferBytes ?? 0),
            },
          }
        : {}),
    };
  }
  if (speculative) {
    report.speculative = speculative;
    if (!speculative.helps)
      warnings.push(
        warning('speculative_no_gain', `speculative decoding would be ${speculative.speedup.toFixed(2)}x: the plan decodes without it`, ['speculative']),
      );
  }
  if (dis) report.disaggregation = dis.info;
  if (job.slo) {
    const miss: string[] = [];
    if (!latency) miss.push(fits ? 'no finite latency (the queue is unstable)' : 'the plan does not fit');
    else {
      const tt = latency.percentiles ? latency.percentiles.ttft.p90 : latency.ttftSeconds;
      const tp = latency.percentiles ? latency.percentiles.tpot.p90 : latency.tpotSeconds;
      if (job.slo.ttftMs !== undefined && tt * 1000 > job.slo.ttftMs) miss.push(`TTFT ${(tt * 1000).toFixed(0)} ms > ${job.slo.ttftMs} ms`);
      if (job.slo.tpotMs !== undefined && tp * 1000 > job.slo.tpotMs) miss.push(`TPOT ${(tp * 1000).toFixed(1)} ms > ${job.slo.tpotMs} ms`);
    }
    report.slo = {
      met: miss.length === 0,
      ...(job.slo.ttftMs !== undefined ? { ttftMs: job.slo.ttftMs } : {}),
      ...(job.slo.tpotMs !== undefined ? { tpotMs: job.slo.tpotMs } : {}),
      missBy: miss,
    };
  }
  return report;
}
