import type { AttentionOp, Gemm } from '../graph/types.js';
import type { Accelerator } from '../hardware/types.js';
import { efficiencyProfileFor, type Calibration, type Efficiency, type EfficiencyProfile } from './calibration.js';

/**
 * Roofline prices of single operators: time = max(FLOPs / (peak x efficiency),
 * bytes / (bandwidth x efficiency)) + a fixed per-kernel overhead. Both components are kept,
 * so a breakdown can say how much of an op's work is compute and how much memory traffic.
 */

export interface Device {
  id: string;
  bf16: number;
  fp8: number;
  fp4: number;
  bandwidth: number;
  /** Fraction of peak bandwidth achieved by streaming kernels. */
  memFraction: number;
  eff: Efficiency;
  profile: EfficiencyProfile;
  cal: Calibration;
}

/** The device as training (default) or serving kernels see it: peaks, bandwidth and achieved efficiencies. */
export function deviceFor(a: Accelerator, cal: Calibration, workload: 'training' | 'serving' = 'training', memFraction = cal.memFraction): Device {
  const bf16 = a.peakFlops.bf16 ?? a.peakFlops.fp16 ?? a.peakFlops.fp32 ?? 1e12;
  const profile = efficiencyProfileFor(cal, a.architecture, a.id, workload === 'serving');
  return { id: a.id, bf16, fp8: a.peakFlops.fp8 ?? 0, fp4: a.peakFlops.fp4 ?? 0, bandwidth: a.memoryBandwidth, memFraction, eff: profile.value, profile, cal };
}

/** Roofline components of one op: compute time, memory time, and the time it takes (max of both plus launches). */
export interface OpCost {
  compute: number;
  memory: number;
  seconds: number;
}

const ZERO: OpCost = { compute: 0, memory: 0, seconds: 0 };

/** Compute time, memory time and roofline time of one GEMM (or grouped GEMM) launch. */
export function gemmCost(g: Gemm, d: Device): OpCost {
  const flops = 2 * g.m * g.n * g.k * g.count;
  if (flops <= 0) return ZERO;
  const useFp4 = g.precision === 'fp4' && d.fp4 > 0;
  const useFp8 = g.precision === 'fp8' && d.fp8 > 0;
  const peak = useFp4 ? d.fp4 : useFp8 ? d.fp8 : d.bf16;
  let frac = useFp4 || useFp8 ? d.eff.gemmFp8 : d.eff.gemmBf16;
  if (g.grouped) frac *= d.cal.groupedGemmFraction;
  const elem = g.actBytes;
  const bytes = (g.m * g.k * elem + g.k * g.n * g.weightBytes + 2 * g.m * g.n * elem) * g.count;
  const compute = flops / (peak * frac);
  const memory = bytes / (d.bandwidth * d.memFraction);
  return { compute, memory, seconds: Math.max(compute, memory) + (g.launches ?? 1) * d.cal.kernelOverhead };
}

/** Seconds of memory-bound element-wise work moving `bytes`, in `kernels` launches. */
export function elementwiseSeconds(bytes: number, kernels: number, d: Device): number {
  return (bytes * d.cal.elementwiseBytesFactor) / (d.bandwidth * d.memFraction) + kernels * d.cal.kernelOverhead;
}

/** Fused (flash) attention, forward and backward: compute on the tensor cores, K/V streamed from memory. */
export function attentionCost(op: AttentionOp, d: Device): { fwd: OpCost; bwd: OpCost } {
  if (op.flops <= 0) return { fwd: ZERO, bwd: ZERO };
  const compute = op.flops / (d.bf16 * d.eff.attnFwd);
  const memory = op.kvBytesRead / (d.bandwidth * d.memFraction);
  // backward recomputes the scores and runs 5 matmuls against the forward's 2: 2.5x the FLOPs
  const bCompute = (2.5 * op.flops) / (d.bf16 * d.eff.attnBwd);
  return {
    fwd: { compute, memory, seconds: Math.max(compute, memory) + d.cal.kernelOverhead },
    bwd: { compute: bCompute, memory: 2 * memory, seconds: Math.max(bCompute, 2 * memory) + 2 * d.cal.kernelOverhead },
  };
}
