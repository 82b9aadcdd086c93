import { Emitter } from '../emit.js';
import type { Built, VersionData } from '../types.js';
import { contextLength, replicaNote, type ServeInput } from './serving-common.js';

/**
 * `llama-server` flags for a GGUF deployment (data/export/llama.cpp.json: complete option lists of
 * two mid-2025 upstream commits; the weight format is the GGUF file's own).
 */
const KV: Record<string, string> = { bf16: 'bf16', fp16: 'f16', int8: 'q8_0', int4: 'q4_0', q8_0: 'q8_0', q5_0: 'q5_0', q4_0: 'q4_0' };

export function buildLlamaCpp(input: ServeInput, version: string, v: VersionData): Built {
  const p = input.plan;
  const q = p.parallelism;
  const e = new Emitter(v, `llama.cpp ${version}`);
  const C = p.workload.concurrency;
  e.flag('--ctx-size', contextLength(input) * C, `context for ${C} parallel sequences of ${contextLength(input)} tokens`);
  e.flag('--parallel', C, 'sequences decoded together');
  const onCpu = p.profiles.efficiency.generation === 'cpu' || /cpu|xeon|epyc/i.test(p.system.target);
  if (onCpu) e.flag('--n-gpu-layers', 0, 'CPU inference');
  else {
    const off = p.offload?.fractionOffloaded ?? 0;
    const layers = input.model.layers;
    const placed = p.offload?.layers;
    if (placed && placed.host + placed.disk > 0)
      e.flag(
        '--n-gpu-layers',
        placed.device,
        `${placed.device} of ${layers} layers on the device (llama.cpp runs the others on the CPU; it does not stream them)`,
      );
    else
      e.flag(
        '--n-gpu-layers',
        off > 0 ? Math.floor(layers * (1 - off)) : layers + 1,
        off > 0 ? `${((1 - off) * 100).toFixed(0)}% of the layers on the device` : 'every layer on the device',
      );
  }
  const devices = q.tensor * q.pipeline;
  if (devices > 1)
    e.flag('--split-mode', q.tensor > 1 ? 'row' : 'layer', q.tensor > 1 ? 'tensor parallelism (row split)' : 'pipeline parallelism (layer split)');
  const kk = p.quantization.kvKeys ?? p.quantization.kvCache;
  const kvv = p.quantization.kvValues ?? p.quantization.kvCache;
  const kType = KV[kk];
  const vType = KV[kvv];
  if (kType && vType) {
    e.flag('--cache-type-k', kType, `K cache ${kk}`);
    e.flag('--cache-type-v', vType, `V cache ${kvv}`);
    if (vType !== 'f16' && vType !== 'bf16') e.flag('--flash-attn', undefined, 'a quantized V cache needs flash attention');
  } else e.skip(`KV cache ${p.quantization.kvCache}`, '--cache-type-k q8_0', `llama.cpp has no ${kType ? kvv : kk} cache type`);
  e.flag('--host', '127.0.0.1', 'listen address');
  const rn = replicaNote(input);
  if (rn) e.skip('replicas', `${p.system.replicas} servers`, rn);
  return {
    argv: [`llama-server --model "\${MODEL:?set MODEL to the .gguf file of ${input.model.name} in ${p.quantization.weights}}"`, ...e.words],
    names: ['--model', ...e.names],
    notEmitted: e.notEmitted,
  };
}
