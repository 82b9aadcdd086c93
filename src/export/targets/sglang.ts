import { Emitter } from '../emit.js';
import type { Built, VersionData } from '../types.js';
import { contextLength, enginePoolSettings, modelVar, replicaNote, type ServeInput } from './serving-common.js';

/**
 * SGLang `launch_server` flags. data/export/sglang.json holds every flag of ServerArgs.add_cli_args
 * per release (read from python/sglang/srt/server_args.py at the commit that set the version): a
 * name the chosen release does not define is not emitted but listed as a comment, with the reason.
 */
const QUANT: Record<string, string> = { fp8: 'fp8', 'fp8-channel': 'fp8', 'fp8-block': 'fp8', nf4: 'bitsandbytes', 'nf4-dq': 'bitsandbytes', mxfp4: 'mxfp4' };

export function buildSglang(input: ServeInput, version: string, v: VersionData): Built {
  const p = input.plan;
  const q = p.parallelism;
  const e = new Emitter(v, `SGLang ${version}`);
  e.flag('--tp-size', q.tensor, 'tensor parallelism');
  if (q.pipeline > 1) e.flag('--pp-size', q.pipeline, 'pipeline parallelism');
  if (q.expert > 1) {
    e.flag('--ep-size', q.expert, 'expert parallelism');
    // before 0.5 the expert-parallel MoE also had to be switched on
    if (e.accepts('--enable-ep-moe')) e.flag('--enable-ep-moe', undefined, 'expert-parallel MoE kernels');
  }
  e.flag('--context-length', contextLength(input), 'prompt + answer tokens');
  const dtypeOk = p.quantization.weights === 'bf16' || p.quantization.weights === 'fp16';
  if (dtypeOk) e.flag('--dtype', p.quantization.weights === 'bf16' ? 'bfloat16' : 'float16', 'weight precision');
  const quant = QUANT[p.quantization.weights];
  if (quant) e.flag('--quantization', quant, `weights ${p.quantization.weights}`);
  else if (!dtypeOk) e.skip(`weights ${p.quantization.weights}`, '--quantization ...', 'serve an already quantized checkpoint');
  if (p.quantization.kvCache === 'fp8') e.flag('--kv-cache-dtype', 'fp8_e4m3', 'FP8 KV cache');
  else if (p.quantization.kvCache !== 'bf16' && p.quantization.kvCache !== 'fp16')
    e.skip(`KV cache ${p.quantization.kvCache}`, '--kv-cache-dtype auto', `SGLang has no ${p.quantization.kvCache} KV cache`);
  e.flag('--mem-fraction-static', enginePoolSettings(p).sglangStatic, 'memory for weights and the KV pool (the pool as priced)');
  e.flag('--max-running-requests', p.workload.concurrency, 'requests in flight per replica');
  if (input.extras.chunkedPrefill && input.extras.maxBatchTokens) e.flag('--chunked-prefill-size', input.extras.maxBatchTokens, 'chunked prefill');
  if (p.offload && p.offload.bytesStreamedPerStep > 0)
    e.flag('--cpu-offload-gb', Math.ceil(p.offload.tiers.host / 1e9), `${(p.offload.fractionOffloaded * 100).toFixed(0)}% of weights in host memory`);
  const spec = input.extras.speculative;
  // a separate draft model is SGLang's STANDALONE algorithm (EAGLE/NEXTN need a draft head trained for the target)
  if (spec && e.accepts('--speculative-algorithm') && e.allows('--speculative-algorithm', 'STANDALONE')) {
    e.flag('--speculative-algorithm', 'STANDALONE', 'speculative decoding with a separate draft model');
    e.flag('--speculative-draft-model-path', spec.draft, 'speculative decoding: draft model');
    // one chain of `tokens` draft steps: top-k 1 and steps + 1 tokens to verify (the docs' examples use 3 / 1 / 4)
    e.flag('--speculative-num-steps', spec.tokens, 'speculative decoding: tokens proposed per step');
    e.flag('--speculative-eagle-topk', 1, 'speculative decoding: a single draft chain');
    e.flag('--speculative-num-draft-tokens', spec.tokens + 1, 'speculative decoding: draft tokens verified per step');
  } else if (spec)
    e.skip(
      'speculative decoding',
      `--speculative-algorithm STANDALONE --speculative-draft-model-path ${spec.draft}`,
      `SGLang ${version} has no STANDALONE algorithm (a separate draft model); its EAGLE/NEXTN need a draft head`,
    );
  const rn = replicaNote(input);
  if (rn) e.flag('--dp-size', p.system.replicas, `${p.system.replicas} data-parallel replicas`);
  return {
    argv: [`python -m sglang.launch_server --model-path ${modelVar(input)}`, ...e.words],
    names: ['--model-path', ...e.names],
    notEmitted: e.notEmitted,
  };
}
