import type { Calibration } from '../cost/calibration.js';
import type { KernelTraits } from '../graph/types.js';
import type { CpuSocket } from '../hardware/cpu.js';
import type { Accelerator } from '../hardware/types.js';
import type { ModelSpec } from '../model/types.js';
import type { Warning } from '../core/warnings.js';
import type { KvPolicy, MemoryReserve } from '../profiles/types.js';
import type { KvFormat, WeightFormat } from './formats.js';
import type { MatrixRole } from '../model/weights.js';

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

/** K and V cache formats chosen separately (seed 000; KIVI), with the KIVI codec's settings. */
export interface KvSplit {
  keys: KvFormat;
  values: KvFormat;
  /** int8/int4: values per scale-and-minimum group. */
  group: number;
  /** int8/int4: most recent tokens a request keeps in 16 bits. */
  residual: number;
}

/** Mixed precision: the weight format of each matrix role, layer by layer (roles a layer leaves out use the job's `weights`). */
export interface WeightPlan {
  layers: Readonly<Partial<Record<MatrixRole, WeightFormat>>>[];
}

/**
 * Where each layer's weights live (seed 000's offloading): resident on the device, or in host
 * memory or on disk and streamed to the device every step into prefetch buffers, scheduled to
 * overlap the transfers with the compute of the layers before; and which layers store their
 * 16-bit matrices losslessly compressed (Huffman-coded exponents, decoded on the device before use).
 */
export interface Placement {
  layers: ('device' | 'host' | 'disk')[];
  /** Per layer: compressed size of its 16-bit matrices as a fraction of their size (1: stored plain), or null for none. */
  lossless: number[] | null;
  /** Device buffers, in layers, that streamed layers are prefetched into (2: double buffering). */
  buffers: number;
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
  /** K and V formats when they differ or carry codec settings (kvCache is then the keys' format). */
  kvSplit?: KvSplit | null;
  /** Per-layer, per-role weight formats (mixed precision). */
  weightPlan?: WeightPlan | null;
  /** Per-layer placement and lossless storage; replaces `offload` when set. */
  placement?: Placement | null;
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
  /** One layer of each prepared class (its ops, collectives and launch overhead), and the head with the step's fixed overhead: what a layer schedule orders. */
  layerSeconds?: number[];
  headSeconds?: number;
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
