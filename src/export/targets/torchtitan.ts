import { Emitter } from '../emit.js';
import type { Built, ExportInput, VersionData } from '../types.js';

/**
 * A torchtitan job TOML for a training plan: [parallelism] degrees, [activation_checkpoint],
 * [training] batch and length, float8 (data/export/torchtitan.json; the same dotted keys are the
 * `--section.key` overrides of run_train.sh).
 */
type Toml = string | number | boolean | string[];

function tomlValue(v: Toml): string {
  if (Array.isArray(v)) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** torchtitan's own model name and flavor for the built-in Llama 3 sizes; null for the rest. */
function titanModel(id: string): { name: string; flavor: string } | null {
  const m = /^llama-3(?:\.\d)?-(\d+)b$/.exec(id);
  return m ? { name: 'llama3', flavor: `${m[1]}B` } : null;
}

export function buildTorchtitan(input: Extract<ExportInput, { kind: 'training' }>, version: string, v: VersionData): Built {
  const p = input.plan;
  const q = p.parallelism;
  const t = p.training;
  const e = new Emitter(v, `torchtitan v${version}`);
  const entries: [string, Toml][] = [];
  const set = (key: string, value: Toml, setting: string) => {
    if (e.flag(key, Array.isArray(value) ? tomlValue(value) : String(value), setting, '=')) entries.push([key, value]);
  };
  const tm = titanModel(input.model.id);
  if (tm) {
    set('model.name', tm.name, 'model');
    set('model.flavor', tm.flavor, 'model size');
  } else {
    set('model.name', 'CHANGE_ME', `torchtitan's model name for ${input.model.name}`);
    set('model.flavor', 'CHANGE_ME', `torchtitan's flavor for ${input.model.name}`);
  }
  // data parallelism: torchtitan shards with FSDP2 (ZeRO 3) or replicates (DDP); it has no ZeRO 1/2
  if (q.zero === 0) {
    set('parallelism.data_parallel_replicate_degree', q.data, 'data parallelism (replicated, ZeRO 0)');
    set('parallelism.data_parallel_shard_degree', 1, 'no sharding');
  } else {
    set('parallelism.data_parallel_replicate_degree', 1, 'data parallelism');
    set('parallelism.data_parallel_shard_degree', q.data, `data parallelism sharded with FSDP2`);
    if (q.zero < 3)
      e.skip(
        `ZeRO ${q.zero}`,
        `parallelism.data_parallel_shard_degree = ${q.data}`,
        'torchtitan has no ZeRO 1/2: FSDP2 also shards weights and gradients (less memory, an all-gather per layer)',
      );
  }
  set('parallelism.tensor_parallel_degree', q.tensor, 'tensor parallelism');
  if (q.tensor > 1 && !q.sequenceParallel)
    e.skip('no sequence parallelism', 'tensor_parallel_degree > 1', 'torchtitan always shards norms along the sequence with TP');
  set('parallelism.pipeline_parallel_degree', q.pipeline, 'pipeline parallelism');
  if (q.pipeline > 1) {
    set('parallelism.pipeline_parallel_schedule', q.virtualStages > 1 ? 'Interleaved1F1B' : '1F1B', 'pipeline schedule');
    set('parallelism.pipeline_parallel_microbatch_size', t.microBatchSize, 'micro-batch');
    const per = input.model.layers / (q.pipeline * q.virtualStages);
    if (Number.isInteger(per)) set('parallelism.pipeline_parallel_layers_per_stage', per, 'layers per (virtual) stage');
  }
  set('parallelism.context_parallel_degree', q.context, 'context parallelism');
  if (q.expert > 1) set('parallelism.expert_parallel_degree', q.expert, 'expert parallelism');
  set('activation_checkpoint.mode', t.recompute === 'none' ? 'none' : t.recompute, 'recompute');
  if (t.recompute === 'selective') set('activation_checkpoint.selective_ac_option', 'op', 'selective recompute per op');
  set('training.local_batch_size', t.globalBatchSize / q.data, 'sequences per data-parallel rank per step');
  set('training.global_batch_size', t.globalBatchSize, 'global batch (sequences)');
  set('training.seq_len', t.sequenceLength, 'sequence length');
  if (p.run) set('training.steps', p.run.steps, 'steps for the given tokens');
  set('training.mixed_precision_param', 'bfloat16', 'bf16 parameters in compute');
  if (t.precision === 'fp8') {
    if (e.accepts('quantize.linear.float8.recipe_name')) {
      set('model.converters', ['quantize.linear.float8'], 'FP8 linear layers (converter name not checked by Sinan)');
      set('quantize.linear.float8.recipe_name', 'tensorwise', 'FP8 recipe');
    } else {
      set('model.converters', ['float8'], 'FP8 linear layers (converter name not checked by Sinan)');
      set('float8.recipe_name', 'tensorwise', 'FP8 recipe');
    }
  }
  // group by section, in first-seen order
  const sections = new Map<string, string[]>();
  for (const [key, value] of entries) {
    const i = key.lastIndexOf('.');
    const sec = key.slice(0, i);
    if (!sections.has(sec)) sections.set(sec, []);
    sections.get(sec)!.push(`${key.slice(i + 1)} = ${tomlValue(value)}`);
  }
  const lines: string[] = [];
  for (const [sec, ls] of sections) lines.push('', `[${sec}]`, ...ls);
  const file = `sinan-${input.model.id}.toml`;
  return {
    argv: [`CONFIG_FILE=./${file} NGPU=${p.system.perNode} ./run_train.sh`],
    files: [{ name: file, lines, comment: '#' }],
    names: e.names,
    notEmitted: e.notEmitted,
  };
}
