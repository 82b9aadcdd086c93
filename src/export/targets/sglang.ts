import { Emitter } from '../emit.js';
import type { Built, TargetData } from '../types.js';
import { contextLength, modelVar, replicaNote, type ServeInput } from './serving-common.js';

/**
 * SGLang `launch_server` flags. Sinan has no version-pinned SGLang argument list
 * (data/export/sglang.json holds unversioned leads only): the flags emitted are the ones the
 * current docs name, and the header says they were not checked against a release.
 */
export function leadFlags(d: TargetData): string[] {
  return (d.leads_not_validated?.flags_named_there ?? []).map((f) => f.split(' ')[0]!);
}

export function buildSglang(input: ServeInput, d: TargetData): Built {
  const p = input.plan;
  const q = p.parallelism;
  const e = new Emitter(null, 'SGLang (unversioned docs)', leadFlags(d));
  e.flag(
    '--tp',
    q.tensor * q.pipeline,
    q.pipeline > 1 ? 'tensor parallelism (SGLang docs name no pipeline flag: all devices of a replica as TP)' : 'tensor parallelism',
  );
  if (q.pipeline > 1) e.skip('pipeline parallelism', `--pp-size ${q.pipeline}`, 'no pipeline-parallel flag in the docs Sinan read');
  if (p.quantization.weights.startsWith('fp8')) e.flag('--quantization', 'fp8', 'FP8 weights');
  else if (p.quantization.weights !== 'bf16' && p.quantization.weights !== 'fp16')
    e.skip(`weights ${p.quantization.weights}`, '--quantization ...', 'serve an already quantized checkpoint');
  if (p.quantization.kvCache === 'fp8') e.flag('--kv-cache-dtype', 'fp8_e4m3', 'FP8 KV cache');
  e.flag('--mem-fraction-static', p.memory.reserve.kvPoolFraction, 'memory for weights and the KV pool');
  if (input.extras.chunkedPrefill && input.extras.maxBatchTokens) e.flag('--chunked-prefill-size', input.extras.maxBatchTokens, 'chunked prefill');
  e.skip('requests in flight', `--max-running-requests ${p.workload.concurrency}`, 'not among the flags in the docs Sinan read');
  e.skip('context length', `--context-length ${contextLength(input)}`, 'not among the flags in the docs Sinan read');
  const rn = replicaNote(input);
  if (rn) e.flag('--dp', p.system.replicas, `${p.system.replicas} data-parallel replicas`);
  return {
    argv: [`python -m sglang.launch_server --model-path ${modelVar(input)}`, ...e.words],
    names: ['--model-path', ...e.names],
    notEmitted: e.notEmitted,
  };
}
