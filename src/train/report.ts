import type { EfficiencyProfile } from '../cost/calibration.js';
import type { Warning } from '../core/warnings.js';
import { modelFlopsPerToken } from '../graph/flops.js';
import { countParameters } from '../model/params.js';
import { F, FIELDS } from './fields.js';
import { priceSplit, splitOf, type SplitCost } from './price-split.js';
import { scheduleStep } from './schedule.js';
import { reserveReport, type MemoryReserveReport } from '../profiles/reserve.js';
import type { TrainJob, TrainPlan } from './types.js';

/** The contract's training result (contract/SCENARIOS.md), plus explanations. */
export interface TrainReport {
  kind: 'training';
  fits: boolean;
  model: { id: string; name: string; parameters: number; activeParameters: number };
  system: { accelerator: string; count: number; perNode: number };
  parallelism: Pick<TrainPlan, 'tensor' | 'pipeline' | 'data' | 'context' | 'expert' | 'virtualStages' | 'sequenceParallel' | 'zero'>;
  training: {
    sequenceLength: number;
    globalBatchSize: number;
    microBatchSize: number;
    recompute: string;
    /** Full recomputation of only this many layers of each pipeline stage. */
    recomputeLayers?: number;
    /** What selective recomputation redoes. */
    recomputeModules?: string[];
    /** Layers of each stage whose activations are offloaded to host memory. */
    activationOffloadLayers?: number;
    precision: string;
    microBatches: number;
  };
  memory: {
    perDeviceBytes: number;
    capacityBytes: number;
    headroomBytes: number;
    /** Weights, gradients and optimizer states alone (no FSDP gather buffers, activations or runtime). */
    modelStatesBytes: number;
    breakdown: { weights: number; gradients: number; optimizer: number; activations: number; other: number };
    /** What `other` holds: the framework profile's runtime reserve and allocator fragmentation. */
    reserve: MemoryReserveReport;
  };
  step: {
    seconds: number;
    breakdown: { compute: number; exposedCommunication: number; pipelineBubble: number; other: number };
    detail: {
      tensorSeconds: number;
      contextSeconds: number;
      expertSeconds: number;
      dataSeconds: number;
      dataExposedSeconds: number;
      pipelineExposedSeconds: number;
      /** Host transfers of offloaded activations the compute did not hide. */
      offloadExposedSeconds: number;
      stageImbalanceSeconds: number;
      optimizerSeconds: number;
    };
  };
  throughput: { tokensPerSecond: number; tokensPerSecondPerDevice: number; sequencesPerSecond: number };
  flops: { modelFlopsPerToken: number; mfu: number; hfu: number; peakFlopsPerDevice: number };
  communication: {
    tensorBytesPerStep: number;
    pipelineBytesPerStep: number;
    dataBytesPerStep: number;
    /** Bytes each data-parallel rank sends per step (a ring sends 2(N-1)/N of the gradients; in-network reduction (N+1)/N). */
    dataBytesSentPerRank: number;
    expertBytesPerStep: number;
    contextBytesPerStep: number;
  };
  bound: 'compute' | 'communication' | 'pipeline-bubble' | 'memory';
  /** Which profiles priced the plan (contract v2). */
  profiles: { efficiency: { generation: string; fitted: boolean; source: string }; calibration: string; framework: string };
  warnings: Warning[];
  run?: {
    tokens: number;
    steps: number;
    seconds: number;
    days: number;
    deviceHours: number;
    deviceHoursAtPeak: number;
    costUsd: number;
    pricePerDeviceHour: number;
  };
}

export function peakFor(job: TrainJob, precision: string): number {
  const pk = job.accelerator.peakFlops;
  return (precision === 'fp8' ? pk.fp8 : pk.bf16) ?? pk.bf16 ?? 1;
}

/** The micro-batch a plan prices its layers with. */
export function microBatchOf(p: TrainPlan) {
  return { split: splitOf(p), microBatchSize: p.microBatchSize, precision: p.precision };
}

/** Evaluates one fully specified, valid plan. */
export function evaluatePlan(job: TrainJob, p: TrainPlan, sc?: SplitCost): TrainReport {
  const cost = sc ?? priceSplit(job, microBatchOf(p));
  const out = new Float64Array(FIELDS);
  scheduleStep(job, p, cost, out);
  return reportFrom(job, p, out, cost.device.profile);
}

/** Named values read from the slots of an assembled result row. */
function slots<K extends string>(out: Float64Array, at: Record<K, number>): Record<K, number> {
  const r = {} as Record<K, number>;
  for (const k in at) r[k] = out[at[k]]!;
  return r;
}

export function reportFrom(job: TrainJob, p: TrainPlan, out: Float64Array, profile: EfficiencyProfile): TrainReport {
  const counts = countParameters(job.model);
  const n = job.devices;
  const tps = out[F.tokensPerSecond]!;
  const mfpt = modelFlopsPerToken(job.model, job.sequenceLength);
  const peak = peakFor(job, p.precision);
  const step = out[F.step]!;
  const capacity = job.accelerator.memoryBytes;
  const mem = out[F.memTotal]!;
  const fits = mem <= capacity;
  const comp = out[F.compute]!;
  const comm = out[F.exposedComm]!;
  const bub = out[F.bubble]!;
  const bound: TrainReport['bound'] = !fits ? 'memory' : bub > comp * 0.25 && bub > comm ? 'pipeline-bubble' : comm > comp * 0.25 ? 'communication' : 'compute';
  const r: TrainReport = {
    kind: 'training',
    fits,
    model: { id: job.model.id, name: job.model.name, parameters: counts.total, activeParameters: counts.active },
    system: { accelerator: job.accelerator.id, count: n, perNode: job.perNode },
    parallelism: {
      tensor: p.tensor,
      pipeline: p.pipeline,
      data: p.data,
      context: p.context,
      expert: p.expert,
      virtualStages: p.virtualStages,
      sequenceParallel: p.sequenceParallel,
      zero: p.zero,
    },
    training: {
      sequenceLength: job.sequenceLength,
      globalBatchSize: job.globalBatchSize,
      microBatchSize: p.microBatchSize,
      recompute: p.recompute,
      ...(p.recompute === 'full' && p.recomputeLayers > 0 ? { recomputeLayers: p.recomputeLayers } : {}),
      ...(p.recompute === 'selective' ? { recomputeModules: [...job.stack.selectiveModules] } : {}),
      ...(p.offloadLayers > 0 ? { activationOffloadLayers: p.offloadLayers } : {}),
      precision: p.precision,
      microBatches: out[F.microBatches]!,
    },
    memory: {
      perDeviceBytes: Math.round(mem),
      capacityBytes: capacity,
      headroomBytes: Math.round(capacity - mem),
      modelStatesBytes: Math.round(out[F.memStates]!),
      breakdown: {
        weights: Math.round(out[F.memWeights]!),
        gradients: Math.round(out[F.memGrads]!),
        optimizer: Math.round(out[F.memOptimizer]!),
        activations: Math.round(out[F.memActivations]!),
        other: Math.round(out[F.memOther]!),
      },
      reserve: reserveReport(job.memoryReserve, Math.round(out[F.memOther]! - job.memoryReserve.runtimeBytes)),
    },
    step: {
      seconds: step,
      breakdown: { compute: comp, exposedCommunication: comm, pipelineBubble: bub, other: out[F.other]! },
      detail: slots(out, {
        tensorSeconds: F.tpSeconds,
        contextSeconds: F.cpSeconds,
        expertSeconds: F.epSeconds,
        dataSeconds: F.dpSeconds,
        dataExposedSeconds: F.dpExposed,
        pipelineExposedSeconds: F.ppExposed,
        offloadExposedSeconds: F.offloadExposed,
        stageImbalanceSeconds: F.imbalance,
        optimizerSeconds: F.optimizerSeconds,
      }),
    },
    throughput: { tokensPerSecond: tps, tokensPerSecondPerDevice: tps / n, sequencesPerSecond: job.globalBatchSize / step },
    flops: {
      modelFlopsPerToken: mfpt,
      mfu: (mfpt * tps) / (n * peak),
      hfu: out[F.hwFlopsPerStep]! / step / peak,
      peakFlopsPerDevice: peak,
    },
    communication: slots(out, {
      tensorBytesPerStep: F.tpBytes,
      pipelineBytesPerStep: F.ppBytes,
      dataBytesPerStep: F.dpBytes,
      dataBytesSentPerRank: F.dpSentPerRank,
      expertBytesPerStep: F.epBytes,
      contextBytesPerStep: F.cpBytes,
    }),
    bound,
    profiles: {
      efficiency: { generation: profile.generation, fitted: profile.fitted, source: profile.source },
      calibration: job.cal.name,
      framework: job.framework,
    },
    warnings: [],
  };
  if (job.tokens !== null) {
    const seconds = job.tokens / tps;
    const deviceHours = (seconds * n) / 3600;
    r.run = {
      tokens: job.tokens,
      steps: Math.ceil(job.tokens / (job.globalBatchSize * job.sequenceLength)),
      seconds,
      days: seconds / 86400,
      deviceHours,
      deviceHoursAtPeak: (job.tokens * mfpt) / peak / 3600,
      costUsd: deviceHours * job.pricePerHour,
      pricePerDeviceHour: job.pricePerHour,
    };
  }
  return r;
}
