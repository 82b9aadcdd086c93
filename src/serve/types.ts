import type { Accelerator } from '../hardware/types.js';
import type { CpuSocket } from '../hardware/cpu.js';
import type { ModelSpec } from '../model/types.js';
import type { KvFormat, WeightFormat } from './formats.js';

export interface ServeSplit {
  tensor: number;
  pipeline: number;
  expert: number;
}

export interface Workload {
  inputTokens: number;
  outputTokens: number;
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
  /** Properties of the serving engine's kernels that change the cost model. */
  engine: EngineProfile;
}

export interface EngineProfile {
  /** See StepSplit.decodeAttention. */
  decodeAttention: 'grouped' | 'per-query-head';
}
