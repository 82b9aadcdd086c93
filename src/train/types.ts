import type { Calibration } from '../cost/calibration.js';
import type { Accelerator } from '../hardware/types.js';
import type { FabricOverrides } from '../cost/topology.js';
import type { KernelTraits } from '../graph/types.js';
import type { ModelSpec } from '../model/types.js';
import type { MemoryReserve } from '../profiles/types.js';

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
  precision: TrainPrecision;
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
    precision: 'bf16',
    ...p,
  };
}
