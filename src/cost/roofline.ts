import type { Gemm } from '../graph/layer.js';
import type { Accelerator } from '../hardware/types.js';
import { efficiencyFor, servingEfficiencyFor, type Calibration, type Efficiency } from './calibration.js';

/**
 * Roofline prices of single operators: time = max(FLOPs / (peak x efficiency),
 * bytes / (bandwidth x efficiency)) + a fixed per-kernel overhead.
 */

export interface Device {
  bf16: number;
  fp8: number;
  fp4: number;
  bandwidth: number;
  eff: Efficiency;
  cal: Calibration;
}

/** The device as training (default) or serving kernels see it: peaks, bandwidth and achieved efficiencies. */
export function deviceFor(a: Accelerator, cal: Calibration, workload: 'training' | 'serving' = 'training'): Device {
  const bf16 = a.peakFlops.bf16 ?? a.peakFlops.fp16 ?? a.peakFlops.fp32 ?? 1e12;
  const eff = workload === 'serving' ? servingEfficiencyFor(cal, a.architecture) : efficiencyFor(cal, a.architecture);
  return { bf16, fp8: a.peakFlops.fp8 ?? 0, fp4: a.peakFlops.fp4 ?? 0, bandwidth: a.memoryBandwidth, eff, cal };
}

/** Compute time, memory time and roofline time of one GEMM (or grouped GEMM) launch. */
export function gemmCost(g: Gemm, d: Device): { compute: number; memory: number; seconds: number } {
  const flops = 2 * g.m * g.n * g.k * g.count;
  if (flops <= 0) return { compute: 0, memory: 0, seconds: 0 };
  const useFp4 = !!g.fp4 && d.fp4 > 0;
  const useFp8 = !useFp4 && g.fp8 && d.fp8 > 0;
  const peak = useFp4 ? d.fp4 : useFp8 ? d.fp8 : d.bf16;
  let frac = useFp4 || useFp8 ? d.eff.gemmFp8 : d.eff.gemmBf16;
  if (g.grouped) frac *= d.cal.groupedGemmFraction;
  const elem = useFp8 || useFp4 ? 1 : 2;
  const bytes = (g.m * g.k * elem + g.k * g.n * (g.weightBytes ?? elem) + 2 * g.m * g.n * elem) * g.count;
  const compute = flops / (peak * frac);
  const memory = bytes / (d.bandwidth * d.cal.memFraction);
  return { compute, memory, seconds: Math.max(compute, memory) + (g.launches ?? 1) * d.cal.kernelOverhead };
}

/** Seconds of one forward GEMM (or grouped GEMM) launch. */
export function gemmSeconds(g: Gemm, d: Device): number {
  return gemmCost(g, d).seconds;
}

/** Seconds of memory-bound element-wise work moving `bytes`, in `kernels` launches. */
export function elementwiseSeconds(bytes: number, kernels: number, d: Device): number {
  return (bytes * d.cal.elementwiseBytesFactor) / (d.bandwidth * d.cal.memFraction) + kernels * d.cal.kernelOverhead;
}

/** Seconds of fused (flash) attention forward and backward for `flops` forward FLOPs. */
export function attentionSeconds(flops: number, d: Device): { fwd: number; bwd: number } {
  if (flops <= 0) return { fwd: 0, bwd: 0 };
  return {
    fwd: flops / (d.bf16 * d.eff.attnFwd) + d.cal.kernelOverhead,
    // backward recomputes the scores and runs 5 matmuls against the forward's 2: 2.5x the FLOPs
    bwd: (2.5 * flops) / (d.bf16 * d.eff.attnBwd) + 2 * d.cal.kernelOverhead,
  };
}
