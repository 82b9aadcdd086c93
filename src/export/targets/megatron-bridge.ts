import { Emitter } from '../emit.js';
import type { Built, ExportInput, VersionData } from '../types.js';

/**
 * Megatron-Bridge recipe overrides: Hydra `KEY=VALUE` words on a recipe script's command line,
 * keys being dotted paths into ConfigContainer (unknown keys are errors there; data/export/megatron-bridge.json).
 */
export function buildMegatronBridge(input: Extract<ExportInput, { kind: 'training' }>, version: string, v: VersionData): Built {
  const p = input.plan;
  const q = p.parallelism;
  const t = p.training;
  const e = new Emitter(v, `Megatron-Bridge v${version}`);
  const kv = (key: string, value: string | number | boolean | null, setting: string) => e.flag(key, value === null ? 'null' : String(value), setting, '=');
  kv('model.tensor_model_parallel_size', q.tensor, 'tensor parallelism');
  kv('model.pipeline_model_parallel_size', q.pipeline, 'pipeline parallelism');
  kv('model.virtual_pipeline_model_parallel_size', q.virtualStages > 1 ? q.virtualStages : null, 'virtual pipeline stages');
  kv('model.context_parallel_size', q.context, 'context parallelism');
  kv('model.expert_model_parallel_size', q.expert, 'expert parallelism');
  kv('model.sequence_parallel', q.sequenceParallel && q.tensor > 1, 'sequence parallelism');
  if (t.recompute === 'full') {
    kv('model.recompute_granularity', 'full', 'full recompute');
    kv('model.recompute_method', 'uniform', 'full recompute');
    kv('model.recompute_num_layers', 1, 'full recompute of every layer');
  } else if (t.recompute === 'selective') kv('model.recompute_granularity', 'selective', 'selective recompute');
  else kv('model.recompute_granularity', null, 'no recompute');
  kv('train.global_batch_size', t.globalBatchSize, 'global batch (sequences)');
  kv('train.micro_batch_size', t.microBatchSize, 'micro-batch');
  if (p.run) kv('train.train_iters', p.run.steps, 'steps for the given tokens');
  if (e.accepts('dataset.seq_length')) kv('dataset.seq_length', t.sequenceLength, 'sequence length');
  else kv('dataset.sequence_length', t.sequenceLength, 'sequence length');
  kv('model.seq_length', t.sequenceLength, 'sequence length');
  if (q.zero === 3) {
    kv('ddp.use_megatron_fsdp', true, 'ZeRO 3 (Megatron-FSDP)');
    kv('ddp.data_parallel_sharding_strategy', 'optim_grads_params', 'ZeRO 3 sharding');
  } else if (q.zero >= 1) {
    kv('ddp.use_distributed_optimizer', true, `ZeRO ${q.zero}`);
    kv('optimizer.use_distributed_optimizer', true, `ZeRO ${q.zero}`);
  }
  if (q.data > 1) kv('ddp.overlap_grad_reduce', true, 'gradient reduction overlapped (as priced)');
  const recipes = e.arg('mixed_precision')?.string_recipes ?? [];
  const mp = t.precision === 'fp8' ? 'bf16_with_fp8_delayed_scaling_mixed' : 'bf16_mixed';
  if (recipes.includes(mp)) kv('mixed_precision', mp, `${t.precision} mixed precision`);
  else e.skip('precision', `mixed_precision=${mp}`, `no recipe named ${mp} in v${version}`);
  const ep = v.entrypoint;
  const script = ep?.script.split(' ')[0] ?? 'RECIPE_SCRIPT';
  const nodes = Math.ceil(p.system.count / p.system.perNode);
  const head = version.startsWith('0.2')
    ? `torchrun --nproc_per_node=${p.system.perNode} --nnodes=${nodes} "\${RECIPE_SCRIPT:?set RECIPE_SCRIPT to the recipe script of the model family, e.g. ${script}}"`
    : `torchrun --nproc_per_node=${p.system.perNode} --nnodes=${nodes} ${script} --recipe "\${RECIPE:?set RECIPE to the recipe function of ${input.model.name}}" --mode pretrain`;
  return { argv: [head, ...e.words], names: e.names, notEmitted: e.notEmitted };
}
