import type { Accelerator } from '../hardware/types.js';

/**
 * Weight and KV-cache formats with their exact storage, scale overheads included
 * (research/quant-specs.md and the formats' specifications).
 */

export const WEIGHT_FORMATS = ['bf16', 'fp16', 'fp8', 'fp8-channel', 'fp8-block', 'int8', 'int4', 'nf4', 'nf4-dq', 'nvfp4', 'mxfp4'] as const;
export type WeightFormat = (typeof WEIGHT_FORMATS)[number];
export const KV_FORMATS = ['bf16', 'fp16', 'fp8', 'int8', 'int4'] as const;
export type KvFormat = (typeof KV_FORMATS)[number];

export interface WeightFormatSpec {
  /** Bits per weight including scales, for a matrix with `k` input features. */
  bits: (k: number) => number;
  /** How the GEMM runs: on fp8 or fp4 tensor cores, or dequantised to bf16 (weight-only). */
  compute: 'bf16' | 'fp8' | 'fp4';
  /** Hardware this format needs to run at all (null: anything with bf16). */
  requires: 'fp8' | 'fp4' | null;
  description: string;
}

export const WEIGHTS: Record<WeightFormat, WeightFormatSpec> = {
  bf16: { bits: () => 16, compute: 'bf16', requires: null, description: 'bfloat16' },
  fp16: { bits: () => 16, compute: 'bf16', requires: null, description: 'float16' },
  fp8: { bits: () => 8, compute: 'fp8', requires: 'fp8', description: 'FP8 E4M3, one fp32 scale per tensor' },
  'fp8-channel': { bits: (k) => 8 + 32 / k, compute: 'fp8', requires: 'fp8', description: 'FP8 E4M3, one fp32 scale per output channel' },
  'fp8-block': { bits: () => 8 + 32 / (128 * 128), compute: 'fp8', requires: 'fp8', description: 'FP8 E4M3, fp32 scale per 128x128 block (DeepSeek-V3)' },
  int8: { bits: (k) => 8 + 16 / k, compute: 'bf16', requires: null, description: 'INT8 weight-only, fp16 scale per output channel' },
  int4: {
    bits: () => 4 + (16 + 4) / 128,
    compute: 'bf16',
    requires: null,
    description: 'INT4 weight-only, group 128, fp16 scale + 4-bit zero (GPTQ/AWQ packing)',
  },
  nf4: { bits: () => 4 + 32 / 64, compute: 'bf16', requires: null, description: 'NF4, block 64, fp32 absmax (bitsandbytes)' },
  'nf4-dq': {
    bits: () => 4 + 8 / 64 + 32 / (64 * 256),
    compute: 'bf16',
    requires: null,
    description: 'NF4, block 64, double quantization: 8-bit absmax, fp32 per 256 blocks (QLoRA)',
  },
  nvfp4: { bits: () => 4 + 8 / 16, compute: 'fp4', requires: 'fp4', description: 'NVFP4: E2M1, E4M3 scale per 16, fp32 per tensor' },
  mxfp4: { bits: () => 4 + 8 / 32, compute: 'fp4', requires: null, description: 'MXFP4 (OCP): E2M1, E8M0 scale per 32 (weight-only where no FP4 units)' },
};

/** Bytes per KV element, scales included (head dimension d for per-head scales). */
export function kvBytesPerElement(f: KvFormat, headDim: number): number {
  switch (f) {
    case 'bf16':
    case 'fp16':
      return 2;
    case 'fp8':
      return 1;
    case 'int8':
      return 1 + 4 / headDim; // fp32 scale per token and head
    case 'int4':
      return 0.5 + 2 / 32; // fp16 scale per group of 32
  }
}

/** Why `f` cannot run on `a`, or null. */
export function formatProblem(f: WeightFormat, a: Accelerator): string | null {
  const spec = WEIGHTS[f];
  if (spec.requires === 'fp8' && !a.peakFlops.fp8) return `${a.id} has no FP8 tensor cores; ${f} needs them (use bf16, int8, int4 or nf4)`;
  if (spec.requires === 'fp4' && !a.peakFlops.fp4) return `${a.id} has no FP4 tensor cores; ${f} needs them (mxfp4 runs weight-only)`;
  return null;
}

/** The tensor-core precision a GEMM of this format uses on this accelerator. */
export function computeMode(f: WeightFormat, a: Accelerator): 'bf16' | 'fp8' | 'fp4' {
  const c = WEIGHTS[f].compute;
  if (c === 'fp4' && !a.peakFlops.fp4) return 'bf16';
  if (c === 'fp8' && !a.peakFlops.fp8) return 'bf16';
  return c;
}
