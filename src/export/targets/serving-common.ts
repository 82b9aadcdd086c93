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
