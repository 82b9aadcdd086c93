import type { Calibration } from '../cost/calibration.js';
import type { KernelTraits } from '../graph/types.js';
import type { CpuSocket } from '../hardware/cpu.js';
import type { Accelerator } from '../hardware/types.js';
import type { ModelSpec } from '../model/types.js';
import type { Warning } from '../core/warnings.js';
import type { KvPolicy, MemoryReserve } from '../profiles/types.js';
import type { KvFormat, WeightFormat } from './formats.js';

export interface ServeSplit {
  tensor: number;
  pipeline: number;
  /** Expert parallelism inside the tensor-parallel group (expert divides tensor); experts are tensor-split tensor/expert ways. */
  expert: number;
}

export interface Workload {
  inputTokens: number;
  outputTokens: number;
  /** Requests in flight per replica (all pipeline stages together). */
  concurrency: number | null;
  requestRate: number | null;
  chunkedPrefill: boolean;
  /** Tokens per engine step when prefilling (the engine's max batched tokens). */
  maxBatchTokens: number;
}

export interface Speculative {
  draft: ModelSpec;
  tokens: number;
  acceptance: number;
}

export interface Offload {
  /** Fraction of weights kept off the device, or 'auto' (as few as possible). */
  weights: number | 'auto';
  to: 'host' | 'disk';
}

export interface ServeJob {
  model: ModelSpec;
  accelerator: Accelerator | null;
  cpu: CpuSocket | null;
  /** Devices (GPUs, or CPU sockets) in the deployment. */
  devices: number;
  perNode: number;
  weights: WeightFormat;
  kvCache: KvFormat;
  workload: Workload;
  slo: { ttftMs?: number | undefined; tpotMs?: number | undefined } | null;
  offload: Offload | null;
  speculative: Speculative | null;
  disaggregation: boolean;
  hostMemoryBytes: number;
  diskBandwidth: number;
  pricePerHour: number;
  fabric: { domain?: number | undefined; scaleUpGBps?: number | undefined };
  /** Kernel behaviour of the serving engine. */
  kernels: KernelTraits;
  /** The engine profile's id. */
  engine: string;
  /** How the engine sizes and fills its KV cache. */
  kv: KvPolicy;
  /** What the engine holds beyond weights, KV and activations (the engine profile's). */
  memoryReserve: MemoryReserve;
  cal: Calibration;
}

/** An inference job with the split keys the user fixed and the warnings loading produced. */
export interface ServeRequest {
  job: ServeJob;
  constraints: Partial<ServeSplit>;
  warnings: Warning[];
}

/** One engine step, priced by the shared graph, roofline and collectives. */
export interface StepTime {
  /** One step through the whole model (all pipeline stages): the latency a token sees. */
  seconds: number;
  /** One pipeline stage: with a micro-batch per stage in flight, steps complete at this interval. */
  stageSeconds: number;
  /** Roofline components summed over every op of the model: tensor-core time and memory-traffic time. */
  computeSeconds: number;
  memorySeconds: number;
  communicationSeconds: number;
  /** Host-side overheads (scheduling, sampling, launches outside the ops). */
  otherSeconds: number;
  /** The memory component of the GEMMs alone, and their compute component. */
  gemmMemorySeconds: number;
  gemmComputeSeconds: number;
}

export interface MemoryUse {
  /** Weights resident on the device (offloaded ones excluded). */
  weights: number;
  weightsTotal: number;
  kv: number;
  kvPerRequest: number;
  activations: number;
  other: number;
  total: number;
}
