import type { TrainPlan } from './types.js';

/**
 * How many ranks hold a copy of the same parameters: the group their gradients are reduced over
 * and that ZeRO / the distributed optimizer shards states across.
 *
 * Dense parameters are split by tensor and pipeline parallelism only, so every data-parallel and
 * every context-parallel rank of a stage holds a replica: the group is data x context. Each
 * context-parallel rank computes gradients on its own part of the sequences, so they must be
 * reduced over the context ranks as well. Megatron-Core allocates the dense gradient buffers over
 * `get_data_parallel_group(with_context_parallel=True)` (megatron/core/distributed/
 * distributed_data_parallel.py, `intra_dp_cp_group`) and builds the distributed optimizer on that
 * same group (megatron/core/optimizer/__init__.py, `data_parallel_group=intra_dp_cp_group`).
 *
 * Expert parameters (expert-tensor size 1) are split by expert and pipeline parallelism only: the
 * expert data-parallel group is every rank of a stage over the expert size (Megatron-Core's
 * `get_expert_data_parallel_group`, world / (pipeline x expert x expert-tensor)).
 */
export function denseReplicas(p: Pick<TrainPlan, 'data' | 'context'>): number {
  return p.data * p.context;
}

/** The expert data-parallel group: every rank of a stage over the expert size (see denseReplicas). */
export function expertReplicas(devices: number, p: Pick<TrainPlan, 'pipeline' | 'expert'>): number {
  return devices / (p.pipeline * p.expert);
}
