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
  /** Streaming multiprocessors, for the wave quantisation of GEMM tiles (0: not modelled). */
  sms: number;
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
  return {
    id: a.id,
    sms: a.sms ?? 0,
    bf16,
    fp8: a.peakFlops.fp8 ?? 0,
    fp4: a.peakFlops.fp4 ?? 0,
    bandwidth: a.memoryBandwidth,
    memFraction,
    eff: profile.value,
    profile,
    cal,
  };
}

/** Roofline components of one op: compute time, memory time, and the time it takes (max of both plus launches). */
export interface OpCost {
  compute: number;
  memory: number;
  seconds: number;
}

const ZERO: OpCost = { compute: 0, memory: 0, seconds: 0 };

/**
 * The K at which a GEMM tile's fixed cost (prologue, epilogue, pipeline fill) equals its main
 * loop: efficiency falls as K / (K + GEMM_K_HALF). From DeepGEMM's FP8 table on H800 (README at
 * 327ec92): M 4096, N 32768 runs at 775 TFLOP/s with K 512 against 1520 with K 16384, about half.
 */
export const GEMM_K_HALF = 512;

/**
 * Output tiles cuBLAS chooses among (NVIDIA Matrix Multiplication Background guide, 2.3), with the
 * rate each reaches: skinny GEMMs (decode) run narrow tiles, 64 rows at full rate (Hopper's wgmma
 * minimum) and 16 rows at about 0.67 of it (mma.sync m16; Luo et al., arXiv 2402.13499, as
 * summarised in research/physics FACTS.md section 3).
 */
const TILE_M: readonly number[] = [128, 256, 128, 64, 16];
const TILE_N: readonly number[] = [256, 128, 128, 128, 128];
const TILE_RATE: readonly number[] = [1, 1, 1, 1, 0.67];

/**
 * Shape efficiency of a GEMM (or `count` GEMMs sharing the device, as a grouped GEMM's experts):
 * the K term above times the best tile's useful fraction: padding of M and N to whole tiles and the
 * last, partly filled wave of tiles over the SMs (the guide's tile and wave quantisation). SMs 0:
 * only the K term.
 */
export function shapeEfficiency(m: number, n: number, k: number, count: number, sms: number): number {
  const kf = k / (k + GEMM_K_HALF);
  if (!(sms > 0) || m <= 0 || n <= 0) return kf;
  let best = 0;
  const c = Math.max(1, Math.round(count));
  // skinny GEMMs only ever pick the narrow tiles, wide ones the three large ones
  const first = m <= 64 ? 3 : 0;
  const last = m <= 64 ? TILE_M.length : m < 256 ? 4 : 3;
  for (let i = first; i < last; i++) {
    const tm = TILE_M[i]!;
    const tn = TILE_N[i]!;
    const mt = Math.ceil(m / tm);
    const nt = Math.ceil(n / tn);
    const tiles = c * mt * nt;
    const useful = (TILE_RATE[i]! * m * n * tiles) / (mt * tm * nt * tn * Math.ceil(tiles / sms) * sms);
    if (useful > best) best = useful;
  }
  return kf * best;
}

/** Compute time, memory time and roofline time of one GEMM (or grouped GEMM) launch. */
export function gemmCost(g: Gemm, d: Device): OpCost {
  const flops = 2 * g.m * g.n * g.k * g.count;
  if (flops <= 0) return ZERO;
  const useFp4 = g.precision === 'fp4' && d.fp4 > 0;
  const useFp8 = g.precision === 'fp8' && d.fp8 > 0;
  const peak = useFp4 ? d.fp4 : useFp8 ? d.fp8 : d.bf16;
  let frac = (useFp4 || useFp8 ? d.eff.gemmFp8 : d.eff.gemmBf16) * shapeEfficiency(g.m, g.n, g.k, g.separate ? 1 : g.count, d.sms);
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

/**
 * FlashAttention-2 relative to the fused kernels the efficiency profiles describe on Hopper and later
 * (cuDNN FusedAttention, FlashAttention-3): the FlashAttention-3 paper (Shah et al., 2024) measures
 * FA3 1.5-2.0x faster than FA2 on H100 in bf16; the midpoint 1.75 is taken. On Ampere FlashAttention-2
 * is the fused kernel (ratio 1).
 */
export const FLASH2_VS_FUSED_HOPPER = 1 / 1.75;

/**
 * Bytes moved per score element by unfused attention (fp16/bf16 scores, Megatron's kernels):
 * forward writes Q.K^T (2), the fused scale-mask-softmax reads and writes it (4), dropout reads it and
 * writes a mask and its output (5) and P.V reads that (2): 13; backward reads the probabilities for
 * dV (2), writes and reads dP (4), the dropout and softmax backward read P, dP and the mask and write
 * dS (7), and dQ, dK read dS (4): 17.
 */
export const UNFUSED_SCORE_BYTES = { fwd: 13, bwd: 17 };

function unfusedAttention(op: AttentionOp, d: Device): { fwd: OpCost; bwd: OpCost } {
  // the GEMMs (Q.K^T and P.V over the whole square; backward twice the FLOPs) on the tensor cores,
  // the score traffic on the memory bus; separate kernels, so their times add
  const comp = op.scoreFlops / (d.bf16 * d.eff.gemmBf16);
  const bw = d.bandwidth * d.memFraction;
  const fwdMem = (op.scoreElements * UNFUSED_SCORE_BYTES.fwd) / bw;
  const bwdMem = (op.scoreElements * UNFUSED_SCORE_BYTES.bwd) / bw;
  return {
    fwd: { compute: comp, memory: fwdMem, seconds: comp + fwdMem + 4 * d.cal.kernelOverhead },
    bwd: { compute: 2 * comp, memory: bwdMem, seconds: 2 * comp + bwdMem + 6 * d.cal.kernelOverhead },
  };
}

/**
 * Fused attention efficiency by head dimension, relative to 128 (the size the profiles describe):
 * the FlashAttention-3 paper (Shah et al., 2024, Fig. 5, H100 FP16 forward) measures head dimension
 * 64 at about 0.7 of head dimension 128's throughput; 256 about the same as 128. Linear between.
 */
export function headDimFactor(d: number): number {
  if (d >= 128) return 1;
  if (d <= 64) return 0.7;
  return 0.7 + (0.3 * (d - 64)) / 64;
}

/** Attention, forward and backward: fused (flash) kernels on the tensor cores with K/V streamed from memory, or unfused. */
export function attentionCost(op: AttentionOp, d: Device): { fwd: OpCost; bwd: OpCost } {
  if (op.flops <= 0) return { fwd: ZERO, bwd: ZERO };
  if (op.kernel === 'unfused' && op.scoreElements > 0) return unfusedAttention(op, d);
  const ratio = (op.kernel === 'flash2' && !d.profile.generation.startsWith('ampere') ? FLASH2_VS_FUSED_HOPPER : 1) * headDimFactor(op.headDim || 128);
  const compute = op.flops / (d.bf16 * d.eff.attnFwd * ratio);
  const memory = op.kvBytesRead / (d.bandwidth * d.memFraction);
  // backward recomputes the scores and runs 5 matmuls against the forward's 2: 2.5x the FLOPs
  const bCompute = (2.5 * op.flops) / (d.bf16 * d.eff.attnBwd * ratio);
  return {
    fwd: { compute, memory, seconds: Math.max(compute, memory) + d.cal.kernelOverhead },
    bwd: { compute: bCompute, memory: 2 * memory, seconds: Math.max(bCompute, 2 * memory) + 2 * d.cal.kernelOverhead },
  };
}
