import type { Accelerator } from '../hardware/types.js';
import type { TrainRequest } from '../train/plan.js';
import type { FabricInput } from './fabric.js';

/** A cluster to size: the accelerator, the fabric design inputs, and the facility's PUE. */
export interface ClusterRequest {
  accelerator: Accelerator;
  fabric: FabricInput;
  pue: number | undefined;
  switchName: string;
}

/** The reliability section of a goodput scenario, as validated. */
export interface ReliabilityInput {
  days: number;
  failuresPerDevicePerDay?: number | undefined;
  restartMinutes?: number | undefined;
  checkpoint?:
    | {
        writeGBps: number;
        readGBps?: number | undefined;
        async?: boolean | undefined;
        intervalMinutes?: number | undefined;
        optimizerState?: boolean | undefined;
      }
    | undefined;
  replacement?: 'node' | 'device' | undefined;
  spares?: number | undefined;
  repairHours?: number | undefined;
  trials?: number | undefined;
  seed?: number | undefined;
}

/** A training run to plan checkpoints and failures for. */
export interface GoodputRequest {
  training: TrainRequest;
  reliability: ReliabilityInput;
}
