import { Emitter } from '../emit.js';
import type { Built, VersionData } from '../types.js';
import { contextLength, enginePoolSettings, modelVar, replicaNote, type ServeInput } from './serving-common.js';

/**
 * `trtllm-serve` options, and for releases whose data lists LLM-API YAML keys, the extra
 * options file (data/export/trtllm.json: 0.18.2 is a complete option list, later releases partial).
 */
export function buildTrtllm(input: ServeInput, version: string, v: VersionData): Built {
  const p = input.plan;
  const q = p.parallelism;
  const e = new Emitter(v, `TensorRT-LLM ${version}`);
  if (e.accepts('--backend') && e.allows('--backend', 'pytorch')) e.flag('--backend', 'pytorch', 'PyTorch backend (no engine build step)');
  e.flag('--tp_size', q.tensor, 'tensor parallelism');
  e.flag('--pp_size', q.pipeline, 'pipeline parallelism');
  if (q.expert > 1) e.flag('--ep_size', q.expert, 'expert parallelism');
  e.flag('--max_batch_size', p.workload.concurrency, 'requests in flight per replica');
  e.flag('--max_seq_len', contextLength(input), 'prompt + answer tokens');
  if (input.extras.maxBatchTokens) e.flag('--max_num_tokens', input.extras.maxBatchTokens, 'tokens per engine step');
  const free = enginePoolSettings(p).trtFreeFraction;
  e.flag('--kv_cache_free_gpu_memory_fraction', free, 'KV pool share of free memory (the pool as priced)');
  if (p.quantization.weights !== 'bf16' && p.quantization.weights !== 'fp16')
    e.skip(
      `weights ${p.quantization.weights}`,
      'a pre-quantized checkpoint',
      'TensorRT-LLM reads the weight format from the checkpoint (e.g. ModelOpt FP8/NVFP4)',
    );
  const rn = replicaNote(input);
  if (rn) e.skip('replicas', `${p.system.replicas} servers`, rn);
  // the LLM-API YAML, where this release's data lists its keys
  const files: Built['files'] = [];
  const y = new Emitter({ source: v.source, yaml_keys: v.yaml_keys ?? {}, seen_partial: true }, `TensorRT-LLM ${version} LLM API`);
  if (v.yaml_keys) {
    const lines: string[] = [];
    const top = (k: string, val: string | number | boolean, s: string) => y.flag(k, String(val), s, '=') && lines.push(`${k}: ${val}`);
    top('tensor_parallel_size', q.tensor, 'tensor parallelism');
    top('pipeline_parallel_size', q.pipeline, 'pipeline parallelism');
    if (q.expert > 1) top('moe_expert_parallel_size', q.expert, 'expert parallelism');
    if (input.extras.chunkedPrefill) top('enable_chunked_prefill', true, 'chunked prefill');
    const kv: string[] = [];
    if (y.flag('kv_cache_config.free_gpu_memory_fraction', String(free), 'KV pool share', '=')) kv.push(`  free_gpu_memory_fraction: ${free}`);
    if (p.quantization.kvCache === 'fp8' && y.flag('kv_cache_config.dtype', 'fp8', 'FP8 KV cache', '=')) kv.push('  dtype: fp8');
    if (kv.length) lines.push('kv_cache_config:', ...kv);
    if (lines.length) files.push({ name: 'extra-llm-api-options.yaml', lines, comment: '#' });
    if (lines.length && !e.accepts('--extra_llm_api_options'))
      e.skip(
        'LLM API options file',
        '--extra_llm_api_options extra-llm-api-options.yaml (or --config)',
        `the flag that passes the file is documented as --extra_llm_api_options at 1.1.0rc2.post1 and --config in later docs; which one ${version} takes is not in Sinan's data`,
      );
    else if (lines.length) e.flag('--extra_llm_api_options', 'extra-llm-api-options.yaml', 'LLM API options file');
  }
  return {
    argv: [`trtllm-serve ${modelVar(input, 'the Hugging Face id or checkpoint path')}`, ...e.words],
    ...(files.length ? { files } : {}),
    names: [...e.names, ...y.names],
    notEmitted: [...e.notEmitted, ...y.notEmitted],
  };
}
