import type { TrainJob, TrainPlan } from './types.js';

/**
 * Why a fully specified plan cannot run (null when it can). The same rules drive the
 * search (which never proposes an invalid plan) and the check of a user's fixed plan.
 */
export function planProblem(job: TrainJob, p: TrainPlan): { field: string; message: string } | null {
  const m = job.model;
  const a = m.attention;
  const n = job.devices;
  const prod = p.tensor * p.pipeline * p.context * p.data;
  if (prod !== n) {
    return {
      field: 'data',
      message: `tensor x pipeline x context x data = ${p.tensor} x ${p.pipeline} x ${p.context} x ${p.data} = ${prod}, but the system has ${n} devices`,
    };
  }
  if (a.heads % p.tensor !== 0) return { field: 'tensor', message: `tensor (${p.tensor}) must divide the ${a.heads} attention heads` };
  if (!a.mla && a.kvHeads % p.tensor !== 0) {
    return { field: 'tensor', message: `tensor (${p.tensor}) must divide the ${a.kvHeads} key-value heads` };
  }
  if (p.pipeline > m.layers) return { field: 'pipeline', message: `pipeline (${p.pipeline}) exceeds the ${m.layers} layers` };
  if (p.virtualStages > 1) {
    if (p.pipeline === 1) return { field: 'virtualStages', message: 'virtual pipeline stages need pipeline > 1' };
    if (p.pipeline * p.virtualStages > m.layers) {
      return { field: 'virtualStages', message: `pipeline x virtualStages (${p.pipeline * p.virtualStages}) exceeds the ${m.layers} layers` };
    }
  }
  const local = job.globalBatchSize / p.data;
  if (!Number.isInteger(local)) return { field: 'data', message: `globalBatchSize (${job.globalBatchSize}) must be a multiple of data (${p.data})` };
  if (local % p.microBatchSize !== 0) {
    return {
      field: 'microBatchSize',
      message: `microBatchSize (${p.microBatchSize}) must divide the ${local} sequences each data-parallel replica gets per step`,
    };
  }
  const mb = local / p.microBatchSize;
  if (p.virtualStages > 1 && mb % p.pipeline !== 0) {
    return { field: 'virtualStages', message: `interleaved pipelining needs the ${mb} micro-batches to be a multiple of pipeline (${p.pipeline})` };
  }
  if (p.context > 1 && job.sequenceLength % (2 * p.context) !== 0) {
    return {
      field: 'context',
      message: `sequenceLength (${job.sequenceLength}) must be a multiple of 2 x context (${2 * p.context}) for load-balanced causal attention`,
    };
  }
  if (!m.moe && p.expert !== 1) return { field: 'expert', message: `expert (${p.expert}) must be 1 for a dense model` };
  if (m.moe) {
    if (m.moe.experts % p.expert !== 0) return { field: 'expert', message: `expert (${p.expert}) must divide the ${m.moe.experts} experts` };
    if ((p.tensor * p.data * p.context) % p.expert !== 0) {
      return {
        field: 'expert',
        message: `expert (${p.expert}) must divide tensor x data x context (${p.tensor * p.data * p.context}); expert-parallel groups are carved out of the ranks of one pipeline stage`,
      };
    }
  }
  if (p.sequenceParallel && p.tensor === 1) return { field: 'sequenceParallel', message: 'sequenceParallel needs tensor > 1' };
  if (p.precision === 'fp8' && !job.accelerator.peakFlops.fp8) {
    return { field: 'precision', message: `${job.accelerator.id} has no FP8 tensor cores` };
  }
  return null;
}

export function divisors(n: number): number[] {
  const out: number[] = [];
  for (let i = 1; i * i <= n; i++) {
    if (n % i === 0) {
      out.push(i);
      if (i * i !== n) out.push(n / i);
    }
  }
  return out.sort((x, y) => x - y);
}
