import type { Calibration } from '../cost/calibration.js';
import type { Accelerator } from '../hardware/types.js';
import type { FabricOverrides } from '../cost/topology.js';
import type { KernelTraits } from '../graph/types.js';
import type { ModelSpec } from '../model/types.js';
import type { CudaGraphs, FrameworkOffers, FrameworkProfile, MemoryReserve } from '../profiles/types.js';

export type Recompute = 'none' | 'selective' | 'full';
export type TrainPrecision = 'bf16' | 'fp8';
export const RECOMPUTE: readonly Recompute[] = ['none', 'selective', 'full'];

/** One fully specified way to split a training job. */
export interface TrainPlan {
  tensor: number;
  pipeline: number;
  data: number;
  context: number;
  expert: number;
  virtualStages: number;
  sequenceParallel: boolean;
  zero: 0 | 1 | 2 | 3;
  microBatchSize: number;
  recompute: Recompute;
  /**
   * With full recomputation: how many of each pipeline stage's layers are recomputed (Megatron
   * --recompute-num-layers); the others keep their activations. 0: every layer.
   */
  recomputeLayers: number;
  /** Layers of each stage whose activations wait in host memory for the backward pass (Megatron --cpu-offloading-num-layers). */
  offloadLayers: number;
  precision: TrainPrecision;
}

/** Modules selective recomputation redoes (Megatron-Core --recompute-modules). */
export const RECOMPUTE_MODULES = ['core_attn', 'layernorm', 'mlp_act', 'moe_act', 'mla_up_proj', 'mlp', 'moe', 'shared_experts'] as const;
export type RecomputeModule = (typeof RECOMPUTE_MODULES)[number];
/** What 'selective' means when no modules are named: the attention core, the norms and the activation functions. */
export const DEFAULT_SELECTIVE: readonly RecomputeModule[] = ['core_attn', 'layernorm', 'mlp_act', 'moe_act'];

/** The software stack's switches a training plan depends on (from the framework profile). */
export interface TrainStack {
  /** Gradient reduction and parameter gathers overlap the backward and forward passes. */
  dpOverlap: boolean;
  moeDispatcher: FrameworkProfile['moeDispatcher'];
  fp8PrimaryWeights: boolean;
  cudaGraphs: CudaGraphs;
  offers: FrameworkOffers;
  /** The modules 'selective' recomputes. */
  selectiveModules: readonly RecomputeModule[];
}

/** The job, independent of how it is split. */
export interface TrainJob {
  model: ModelSpec;
  accelerator: Accelerator;
  devices: number;
  perNode: number;
  fabric: FabricOverrides;
  sequenceLength: number;
  globalBatchSize: number;
  tokens: number | null;
  /** Bytes per gradient element kept between backward and optimizer (2 = bf16 grads, the 16-bytes/param convention). */
  gradientBytes: number;
  /** Overlap tensor-parallel collectives with the GEMMs around them (Megatron TP comm overlap). */
  tpCommOverlap: boolean;
  /** Overlap expert all-to-all with another micro-batch's compute (DualPipe / combined 1F1B). */
  epCommOverlap: boolean;
  pricePerHour: number;
  /** The calibration that prices this job (explicit: no module state). */
  cal: Calibration;
  /** Kernel behaviour of the training stack. */
  kernels: KernelTraits;
  /** The framework profile that describes the stack (its id). */
  framework: string;
  /** What the stack holds beyond the plan's tensors (the framework profile's). */
  memoryReserve: MemoryReserve;
  stack: TrainStack;
}

/** A partial plan: the keys the user fixed; the rest are searched. */
export type PlanConstraints = Partial<TrainPlan>;

/** A plan with every key at its neutral value (one device, no splitting), to fill in. */
export function basePlan(p: Partial<TrainPlan> = {}): TrainPlan {
  return {
    tensor: 1,
    pipeline: 1,
    data: 1,
    context: 1,
    expert: 1,
    virtualStages: 1,
    sequenceParallel: false,
    zero: 0,
    microBatchSize: 1,
    recompute: 'none',
    recomputeLayers: 0,
    offloadLayers: 0,
    precision: 'bf16',
    ...p,
  };
}
