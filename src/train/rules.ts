import type { IssueBody } from '../core/issues.js';
import { atMost, divides, type Rule } from '../rules/table.js';
import type { TrainJob, TrainPlan } from './types.js';

/**
 * The rules a training split obeys. Scenario loading checks the keys the user fixed; the
 * search checks every candidate; both use this one table.
 */
type R = Rule<TrainJob, TrainPlan>;
const P = (k: string): (string | number)[] => ['parallelism', k];

const rule = (keys: readonly (keyof TrainPlan)[], path: (string | number)[], check: (j: TrainJob, p: TrainPlan) => IssueBody | null): R => ({
  keys,
  path,
  check: check as R['check'],
});

export const TRAIN_RULES: readonly R[] = [
  rule(['tensor', 'pipeline', 'context', 'data'], P('data'), (j, p) => {
    const prod = p.tensor * p.pipeline * p.context * p.data;
    return prod === j.devices
      ? null
      : {
          code: 'conflict',
          keys: ['parallelism', 'system.count'],
          reason: `tensor x pipeline x context x data = ${p.tensor} x ${p.pipeline} x ${p.context} x ${p.data} = ${prod}, but system.count is ${j.devices}`,
        };
  }),
  rule(['tensor'], P('tensor'), (j, p) => divides(p.tensor, j.devices, 'tensor', 'system.count')),
  rule(['pipeline'], P('pipeline'), (j, p) => divides(p.pipeline, j.devices, 'pipeline', 'system.count')),
  rule(['context'], P('context'), (j, p) => divides(p.context, j.devices, 'context', 'system.count')),
  rule(['data'], P('data'), (j, p) => divides(p.data, j.devices, 'data', 'system.count')),
  rule(['tensor'], P('tensor'), (j, p) => divides(p.tensor, j.model.attention.heads, 'tensor', 'the attention heads')),
  rule(['tensor'], P('tensor'), (j, p) => (j.model.attention.mla ? null : divides(p.tensor, j.model.attention.kvHeads, 'tensor', 'the key-value heads'))),
  // a stage holds at least one layer, or the embedding or the loss (Megatron's
  // account_for_embedding_in_pipeline_split / account_for_loss_in_pipeline_split count them as layers)
  rule(['pipeline'], P('pipeline'), (j, p) =>
    atMost(p.pipeline, j.model.layers + 2, `pipeline (at most the model's ${j.model.layers} layers plus the embedding and the loss)`),
  ),
  rule(['pipeline', 'virtualStages'], P('virtualStages'), (_j, p) =>
    p.virtualStages > 1 && p.pipeline === 1
      ? { code: 'conflict', keys: ['virtualStages', 'pipeline'], reason: 'virtual pipeline stages need pipeline > 1' }
      : null,
  ),
  rule(['pipeline', 'virtualStages'], P('virtualStages'), (j, p) =>
    atMost(
      p.pipeline * p.virtualStages,
      j.model.layers + 2,
      `pipeline x virtualStages (at most the model's ${j.model.layers} layers plus the embedding and the loss)`,
    ),
  ),
  rule(['data'], ['training', 'globalBatchSize'], (j, p) => divides(p.data, j.globalBatchSize, 'data', 'training.globalBatchSize')),
  rule(['data', 'microBatchSize'], ['training', 'microBatchSize'], (j, p) =>
    j.globalBatchSize % p.data !== 0
      ? null
      : divides(p.microBatchSize, j.globalBatchSize / p.data, 'microBatchSize', 'the sequences each data-parallel replica gets per step'),
  ),
  rule(['data', 'microBatchSize', 'pipeline', 'virtualStages'], P('virtualStages'), (j, p) => {
    if (p.virtualStages <= 1) return null;
    const local = j.globalBatchSize / p.data;
    if (!Number.isInteger(local) || local % p.microBatchSize !== 0) return null;
    return divides(p.pipeline, local / p.microBatchSize, 'pipeline', 'the micro-batches per step', 'interleaved pipelining needs a multiple of pipeline');
  }),
  // Megatron-LM asserts seq_length % (2 x context_parallel_size) == 0 only when context_parallel_size > 1
  // (megatron/training/arguments.py); without context parallelism any length is valid
  rule(['context'], P('context'), (j, p) =>
    p.context > 1
      ? divides(
          2 * p.context,
          j.sequenceLength,
          '2 x context',
          'training.sequenceLength',
          'load-balanced causal attention splits each sequence in 2 x context chunks',
        )
      : null,
  ),
  rule(['expert'], P('expert'), (j, p) =>
    !j.model.moe && p.expert !== 1
      ? { code: 'invalid_value', value: p.expert, reason: 'expert parallelism needs a mixture-of-experts model; this model is dense (expert must be 1)' }
      : null,
  ),
  rule(['expert'], P('expert'), (j, p) => (j.model.moe ? divides(p.expert, j.model.moe.experts, 'expert', 'the routed experts') : null)),
  rule(['expert', 'tensor', 'data', 'context'], P('expert'), (j, p) =>
    j.model.moe
      ? divides(
          p.expert,
          p.tensor * p.data * p.context,
          'expert',
          'tensor x data x context',
          'expert-parallel groups are carved out of the ranks of one pipeline stage',
        )
      : null,
  ),
  rule(['sequenceParallel', 'tensor'], P('sequenceParallel'), (_j, p) =>
    p.sequenceParallel && p.tensor === 1 ? { code: 'conflict', keys: ['sequenceParallel', 'tensor'], reason: 'sequence parallelism needs tensor > 1' } : null,
  ),
  // Megatron-Core scatters the [sequence, batch, hidden] activations along the sequence over the tensor-parallel
  // ranks and asserts the split is even (megatron/core/tensor_parallel/mappings.py, _split_along_first_dim);
  // with context parallelism each rank holds sequenceLength / context tokens of every sequence
  rule(['sequenceParallel', 'tensor', 'context'], P('sequenceParallel'), (j, p) => {
    if (!p.sequenceParallel || p.tensor === 1 || j.sequenceLength % p.context !== 0) return null;
    return divides(
      p.tensor,
      j.sequenceLength / p.context,
      'tensor',
      p.context > 1 ? 'training.sequenceLength / context' : 'training.sequenceLength',
      'sequence parallelism splits each sequence evenly over the tensor-parallel ranks',
    );
  }),
  rule(['precision'], ['training', 'precision'], (j, p) =>
    p.precision === 'fp8' && !j.accelerator.peakFlops.fp8
      ? { code: 'unsupported', feature: 'fp8 training', reason: `${j.accelerator.id} has no FP8 tensor cores; use bf16` }
      : null,
  ),
];
