import type { ExportInput } from '../types.js';

export type ServeInput = Extract<ExportInput, { kind: 'inference' }>;

/** The model argument: a shell variable the user sets, failing loudly when unset. */
export function modelVar(input: ServeInput, what = 'the Hugging Face id or local path'): string {
  return `"\${MODEL:?set MODEL to ${what} of ${input.model.name}}"`;
}

/** The context a request needs (prompt and answer). */
export function contextLength(input: ServeInput): number {
  return input.plan.workload.inputTokens + input.plan.workload.outputTokens;
}

/** Replicas beyond the first run as separate servers (or engine data parallelism). */
export function replicaNote(input: ServeInput): string | null {
  const r = input.plan.system.replicas;
  return r > 1 ? `the plan runs ${r} replicas of ${input.plan.system.devicesPerReplica} device(s): start one server per replica behind a load balancer` : null;
}

/**
 * The memory settings that give each engine the KV pool the plan priced, whatever profile priced
 * it: vLLM's gpu_memory_utilization is a share of total memory for everything it holds (weights,
 * activations, runtime and the pool); TensorRT-LLM's free_gpu_memory_fraction a share of what is
 * left after weights, activations and runtime; SGLang's mem_fraction_static a share of total
 * memory for the weights and the pool. Rounded to three decimals (SGLang's down, so its pool is
 * never larger than the one priced).
 */
export function enginePoolSettings(p: ServeInput['plan']): { vllmUtilization: number; trtFreeFraction: number; sglangStatic: number } {
  const m = p.memory;
  const cap = m.capacityBytes;
  const r3 = (x: number) => Math.round(1000 * x) / 1000;
  return {
    vllmUtilization: r3((m.reserve.residentBytes + m.reserve.kvPoolBytes) / cap),
    trtFreeFraction: r3(m.reserve.kvPoolBytes / Math.max(1, cap - m.reserve.residentBytes)),
    sglangStatic: Math.floor((1000 * (m.breakdown.weights + m.reserve.kvPoolBytes)) / cap) / 1000,
  };
}
