import { Emitter } from '../emit.js';
import type { Built, VersionData } from '../types.js';
import { contextLength, enginePoolSettings, modelVar, replicaNote, type ServeInput } from './serving-common.js';

/**
 * vLLM server flags. data/export/vllm.json holds every engine flag of each pinned release (read
 * from vllm/engine/arg_utils.py at the tag): a name the chosen release does not define is not
 * emitted but listed as a comment, with the reason.
 */
const QUANT: Record<string, string | null> = {
  fp8: 'fp8',
  'fp8-channel': 'fp8',
  'fp8-block': 'fp8',
  nf4: 'bitsandbytes',
  'nf4-dq': 'bitsandbytes',
  mxfp4: 'mxfp4',
};
const KV: Record<string, string> = { fp8: 'fp8' };

export function buildVllm(input: ServeInput, version: string, v: VersionData): Built {
  const p = input.plan;
  const q = p.parallelism;
  const e = new Emitter(v, `vLLM ${version}`);
  // `vllm serve MODEL` where the release has that entry point; the OpenAI server module otherwise
  const legacy = !/^vllm serve\b/.test(v.entrypoint?.command ?? '') && e.accepts('--model');
  e.flag('--tensor-parallel-size', q.tensor, 'tensor parallelism');
  e.flag('--pipeline-parallel-size', q.pipeline, 'pipeline parallelism');
  if (q.expert > 1) e.flag('--enable-expert-parallel', undefined, `expert parallelism over the ${q.tensor * q.pipeline} devices`);
  e.flag('--max-model-len', contextLength(input), 'prompt + answer tokens');
  const dtypeOk = p.quantization.weights === 'bf16' || p.quantization.weights === 'fp16';
  if (dtypeOk) e.flag('--dtype', p.quantization.weights === 'bf16' ? 'bfloat16' : 'float16', 'weight precision');
  const quant = QUANT[p.quantization.weights];
  if (quant) e.flag('--quantization', quant, `weights ${p.quantization.weights}`);
  else if (!dtypeOk)
    e.skip(
      `weights ${p.quantization.weights}`,
      '--quantization awq|gptq|...',
      'vLLM reads the integer format from the checkpoint: serve an already quantized checkpoint',
    );
  if (KV[p.quantization.kvCache]) e.flag('--kv-cache-dtype', KV[p.quantization.kvCache], `KV cache ${p.quantization.kvCache}`);
  else if (p.quantization.kvCache !== 'bf16' && p.quantization.kvCache !== 'fp16')
    e.skip(`KV cache ${p.quantization.kvCache}`, '--kv-cache-dtype auto', `vLLM has no ${p.quantization.kvCache} KV cache`);
  e.flag('--max-num-seqs', p.workload.concurrency, 'requests in flight per replica');
  e.flag('--gpu-memory-utilization', enginePoolSettings(p).vllmUtilization, 'share of memory for weights, activations and the KV pool (the pool as priced)');
  if (input.extras.maxBatchTokens) e.flag('--max-num-batched-tokens', input.extras.maxBatchTokens, 'tokens per engine step');
  if (input.extras.chunkedPrefill) e.flag('--enable-chunked-prefill', undefined, 'chunked prefill');
  if (p.offload && p.offload.bytesStreamedPerStep > 0)
    e.flag('--cpu-offload-gb', Math.ceil(p.offload.tiers.host / 1e9), `${(p.offload.fractionOffloaded * 100).toFixed(0)}% of weights in host memory`);
  const spec = input.extras.speculative;
  // --speculative-config (JSON) replaced --speculative-model/--num-speculative-tokens (both in 0.8.1, neither in 0.8.5)
  if (spec && !e.accepts('--speculative-config') && e.accepts('--speculative-model') && e.accepts('--num-speculative-tokens')) {
    e.flag('--speculative-model', spec.draft, 'speculative decoding: draft model');
    e.flag('--num-speculative-tokens', spec.tokens, 'speculative decoding: tokens proposed per step');
  } else if (spec) e.flag('--speculative-config', `'${JSON.stringify({ model: spec.draft, num_speculative_tokens: spec.tokens })}'`, 'speculative decoding');
  const rn = replicaNote(input);
  if (rn) e.skip('replicas', `--data-parallel-size ${p.system.replicas}`, rn);
  const head = legacy ? `python -m vllm.entrypoints.openai.api_server --model ${modelVar(input)}` : `vllm serve ${modelVar(input)}`;
  if (legacy) e.names.push('--model');
  return { argv: [head, ...e.words], names: e.names, notEmitted: e.notEmitted };
}
