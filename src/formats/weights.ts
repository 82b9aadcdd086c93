import { quantStateJson, TORCH_DTYPE } from '../quant/bnb.js';
import { tensorBytes, type DType } from '../quant/dtypes.js';

/**
 * The weight formats: one registry that the checkpoint engine (what `sinan quantize` writes),
 * the serving planner (bytes per weight, tensor-core precision) and the optimization manager
 * share. For a linear weight of shape [out, in] each format lists the exact tensors Sinan's codec
 * writes for it (names relative to the module, dtype, shape, bytes): codes, scales, zero points,
 * g_idx, quant_state JSON, nested scales. Formats Sinan does not write (nvfp4, mxfp4) list the
 * tensors their specification stores (compressed-tensors' nvfp4/mxfp4 layouts).
 */

export type SourceDtype = 'BF16' | 'F16' | 'F32';

export interface WeightOptions {
  /** NF4/FP4 block size (bitsandbytes; default 64). */
  blocksize?: number;
  /** INT4/INT8 group size along the input dimension (default 128). */
  groupSize?: number;
  /** INT4/INT8: symmetric (default) or with a zero point per group. */
  sym?: boolean;
  /** INT4/INT8 tensor layout: GPTQ v1 (default) or compressed-tensors pack-quantized. */
  layout?: IntLayout;
  /** The weight's original dtype: scale dtypes (compressed-tensors) and quant_state "dtype" (default BF16). */
  sourceDtype?: SourceDtype;
  /**
   * NF4/FP4 with double quantization: the nested offset, whose Python repr is part of the
   * quant_state JSON. Without it the JSON length is the longest a float32 repr can take, an
   * upper bound by at most 23 bytes.
   */
  nestedOffset?: number;
}

export type IntLayout = 'gptq' | 'compressed-tensors';

/** One tensor a format stores for a weight; its name is `${module}.${suffix}`. */
export interface StoredTensor {
  suffix: string;
  dtype: DType;
  shape: number[];
  bytes: number;
}

export interface WeightFormat {
  id: string;
  description: string;
  /** How the GEMM runs where the hardware has it: fp8 / fp4 tensor cores, or dequantized to bf16 (weight-only). */
  compute: 'bf16' | 'fp8' | 'fp4';
  /** Hardware this format needs to run at all (null: anything with bf16). */
  requires: 'fp8' | 'fp4' | null;
  /** The `sinan quantize --format` value (and options) that writes it, or null when Sinan does not write it. */
  codec: { format: string; doubleQuant?: boolean } | null;
  /** The tensors stored for one weight of shape [out, in], exactly. */
  tensors(out: number, inFeatures: number, o?: WeightOptions): StoredTensor[];
  /** Why a weight of this shape cannot be stored in this format (packing, divisibility), or null. */
  shapeProblem(out: number, inFeatures: number, o?: WeightOptions): string | null;
  /** The format its writer uses instead for a shape it cannot store (llama.cpp's k-quant fallbacks); 16 bits when absent. */
  fallback?: string;
  /** The ggml type of a GGUF block format (the GGUF writer, src/gguf, stores it). */
  ggml?: string;
}

function t(suffix: string, dtype: DType, shape: number[]): StoredTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const bytes = tensorBytes(dtype, n);
  if (bytes === null) throw new RangeError(`${suffix}: ${n} ${dtype} values do not fill whole bytes`);
  return { suffix, dtype, shape, bytes };
}

const src = (o: WeightOptions | undefined): SourceDtype => o?.sourceDtype ?? 'BF16';

/** The longest Python repr of a float32 value as a double ("-1.1754943508222875e-38"). */
const LONGEST_FLOAT_REPR = 23;

function bnbTensors(type: 'nf4' | 'fp4', dq: boolean) {
  return (out: number, inF: number, o?: WeightOptions): StoredTensor[] => {
    const n = out * inF;
    const bs = o?.blocksize ?? 64;
    const nb = Math.ceil(n / bs);
    let json = quantStateJson(type, bs, TORCH_DTYPE[src(o)], [out, inF], dq ? (o?.nestedOffset ?? 0) : null).length;
    if (dq && o?.nestedOffset === undefined) json += LONGEST_FLOAT_REPR - '0.0'.length;
    const list = [t('weight', 'U8', [Math.ceil(n / 2), 1])];
    if (dq) {
      list.push(t('weight.absmax', 'U8', [nb]), t('weight.nested_absmax', 'F32', [Math.ceil(nb / 256)]), t('weight.nested_quant_map', 'F32', [256]));
    } else list.push(t('weight.absmax', 'F32', [nb]));
    list.push(t('weight.quant_map', 'F32', [16]), t(`weight.quant_state.bitsandbytes__${type}`, 'U8', [json]));
    return list;
  };
}

function bnbProblem(_out: number, _in: number, o?: WeightOptions): string | null {
  const bs = o?.blocksize ?? 64;
  return [32, 64, 128, 256, 512, 1024, 2048, 4096].includes(bs) ? null : `block size ${bs} is not one bitsandbytes supports (32 ... 4096, powers of two)`;
}

function intTensors(bits: 4 | 8) {
  return (out: number, inF: number, o?: WeightOptions): StoredTensor[] => {
    const g = o?.groupSize ?? 128;
    const groups = inF / g;
    const per = 32 / bits;
    if ((o?.layout ?? 'gptq') === 'gptq')
      return [t('qweight', 'I32', [inF / per, out]), t('qzeros', 'I32', [groups, out / per]), t('scales', 'F16', [groups, out]), t('g_idx', 'I32', [inF])];
    const list = [t('weight_packed', 'I32', [out, inF / per]), t('weight_scale', src(o), [out, groups]), t('weight_shape', 'I64', [2])];
    if (o?.sym === false) list.push(t('weight_zero_point', 'I32', [out / per, groups]));
    return list;
  };
}

function intProblem(bits: 4 | 8) {
  return (out: number, inF: number, o?: WeightOptions): string | null => {
    const per = 32 / bits;
    const g = o?.groupSize ?? 128;
    if (!Number.isInteger(g) || g <= 0) return `group size ${g} is not a positive integer`;
    if (inF % g !== 0) return `the group size ${g} does not divide the input dimension ${inF} (loaders reject a ragged last group)`;
    const gptq = (o?.layout ?? 'gptq') === 'gptq';
    if (inF % per !== 0) return `the input dimension ${inF} is not a multiple of ${per} (${bits}-bit values pack ${per} per int32)`;
    if ((gptq || o?.sym === false) && out % per !== 0)
      return `the output dimension ${out} is not a multiple of ${per} (${gptq ? 'GPTQ packs zero points' : 'zero points pack'} ${per} per int32 along it)`;
    return null;
  };
}

const none = () => null;

const BASE_FORMATS: WeightFormat[] = [
  {
    id: 'bf16',
    description: 'bfloat16 (source precision)',
    compute: 'bf16',
    requires: null,
    codec: null,
    tensors: (out, inF) => [t('weight', 'BF16', [out, inF])],
    shapeProblem: none,
  },
  {
    id: 'fp16',
    description: 'float16 (source precision)',
    compute: 'bf16',
    requires: null,
    codec: null,
    tensors: (out, inF) => [t('weight', 'F16', [out, inF])],
    shapeProblem: none,
  },
  {
    id: 'fp8',
    description: 'FP8 E4M3, one scale per tensor (compressed-tensors float-quantized, as llm-compressor writes it)',
    compute: 'fp8',
    requires: 'fp8',
    codec: { format: 'fp8' },
    tensors: (out, inF, o) => [t('weight', 'F8_E4M3', [out, inF]), t('weight_scale', src(o), [1])],
    shapeProblem: none,
  },
  {
    id: 'fp8-channel',
    description: 'FP8 E4M3, one scale per output channel (compressed-tensors float-quantized)',
    compute: 'fp8',
    requires: 'fp8',
    codec: { format: 'fp8-channel' },
    tensors: (out, inF, o) => [t('weight', 'F8_E4M3', [out, inF]), t('weight_scale', src(o), [out, 1])],
    shapeProblem: none,
  },
  {
    id: 'fp8-block',
    description: 'FP8 E4M3, fp32 scale per 128x128 block (DeepSeek-V3 layout, weight_scale_inv)',
    compute: 'fp8',
    requires: 'fp8',
    codec: { format: 'fp8-block' },
    tensors: (out, inF) => [t('weight', 'F8_E4M3', [out, inF]), t('weight_scale_inv', 'F32', [Math.ceil(out / 128), Math.ceil(inF / 128)])],
    shapeProblem: none,
  },
  {
    id: 'fp8-e5m2',
    description: 'FP8 E5M2, one fp32 scale per tensor (no loader reads E5M2 weights correctly: Sinan does not write it)',
    compute: 'fp8',
    requires: 'fp8',
    codec: null,
    tensors: (out, inF) => [t('weight', 'F8_E5M2', [out, inF]), t('weight_scale', 'F32', [1])],
    shapeProblem: none,
  },
  {
    id: 'int8',
    description: 'INT8 weight-only, group 128 (GPTQ v1 or compressed-tensors pack-quantized)',
    compute: 'bf16',
    requires: null,
    codec: { format: 'int8' },
    tensors: intTensors(8),
    shapeProblem: intProblem(8),
  },
  {
    id: 'int4',
    description: 'INT4 weight-only, group 128 (GPTQ v1 or compressed-tensors pack-quantized)',
    compute: 'bf16',
    requires: null,
    codec: { format: 'int4' },
    tensors: intTensors(4),
    shapeProblem: intProblem(4),
  },
  {
    id: 'nf4',
    description: 'NF4, block 64, fp32 absmax (bitsandbytes)',
    compute: 'bf16',
    requires: null,
    codec: { format: 'nf4' },
    tensors: bnbTensors('nf4', false),
    shapeProblem: bnbProblem,
  },
  {
    id: 'nf4-dq',
    description: 'NF4, block 64, double quantization: 8-bit absmax, fp32 per 256 blocks (QLoRA, bitsandbytes)',
    compute: 'bf16',
    requires: null,
    codec: { format: 'nf4', doubleQuant: true },
    tensors: bnbTensors('nf4', true),
    shapeProblem: bnbProblem,
  },
  {
    id: 'fp4',
    description: 'bitsandbytes FP4 (E2M1-like), block 64, fp32 absmax',
    compute: 'bf16',
    requires: null,
    codec: { format: 'fp4' },
    tensors: bnbTensors('fp4', false),
    shapeProblem: bnbProblem,
  },
  {
    id: 'fp4-dq',
    description: 'bitsandbytes FP4 with double quantization of the block scales',
    compute: 'bf16',
    requires: null,
    codec: { format: 'fp4', doubleQuant: true },
    tensors: bnbTensors('fp4', true),
    shapeProblem: bnbProblem,
  },
  {
    id: 'nvfp4',
    description: 'NVFP4: E2M1, E4M3 scale per 16, fp32 per tensor (compressed-tensors nvfp4-pack-quantized)',
    compute: 'fp4',
    requires: 'fp4',
    codec: null,
    tensors: (out, inF) => [t('weight_packed', 'U8', [out, inF / 2]), t('weight_scale', 'F8_E4M3', [out, inF / 16]), t('weight_global_scale', 'F32', [1])],
    shapeProblem: (_out, inF) => (inF % 16 === 0 ? null : `the input dimension ${inF} is not a multiple of the NVFP4 block of 16`),
  },
  {
    id: 'mxfp4',
    description: 'MXFP4 (OCP): E2M1, E8M0 scale per 32 (compressed-tensors mxfp4-pack-quantized; weight-only where no FP4 units)',
    compute: 'fp4',
    requires: null,
    codec: null,
    tensors: (out, inF) => [t('weight_packed', 'U8', [out, inF / 2]), t('weight_scale', 'U8', [out, inF / 32])],
    shapeProblem: (_out, inF) => (inF % 32 === 0 ? null : `the input dimension ${inF} is not a multiple of the MXFP4 block of 32`),
  },
];

/**
 * GGUF block formats (llama.cpp): rows of `in` values in blocks of `block` values, `bytes` per
 * block (ggml-common.h block structs, ggml.c type_traits; the GGUF writer's table in
 * src/gguf/ggml-types.ts holds the same numbers, checked by a test). Weight-only: ggml dequantizes
 * them (or multiplies the codes with int8 dot products) and runs the GEMM in 16 bits. A row that
 * is not a multiple of a k-quant's 256 falls back as llama-quant.cpp does.
 */
const GGUF_BLOCKS: readonly { id: string; ggml: string; block: number; bytes: number; fallback?: string; what: string }[] = [
  { id: 'q8_0', ggml: 'Q8_0', block: 32, bytes: 34, what: '8-bit, fp16 scale per 32' },
  { id: 'q6_k', ggml: 'Q6_K', block: 256, bytes: 210, fallback: 'q8_0', what: '6-bit k-quant, 8-bit scales per 16, fp16 per 256' },
  { id: 'q5_k', ggml: 'Q5_K', block: 256, bytes: 176, fallback: 'q5_1', what: '5-bit k-quant, 6-bit scales and minima per 32, fp16 per 256' },
  { id: 'q4_k', ggml: 'Q4_K', block: 256, bytes: 144, fallback: 'q5_0', what: '4-bit k-quant, 6-bit scales and minima per 32, fp16 per 256' },
  { id: 'q3_k', ggml: 'Q3_K', block: 256, bytes: 110, fallback: 'iq4_nl', what: '3-bit k-quant, 6-bit scales per 16, fp16 per 256' },
  { id: 'q2_k', ggml: 'Q2_K', block: 256, bytes: 84, fallback: 'iq4_nl', what: '2-bit k-quant, 4-bit scales and minima per 16, fp16 pair per 256' },
  { id: 'q5_0', ggml: 'Q5_0', block: 32, bytes: 22, what: '5-bit, fp16 scale per 32' },
  { id: 'q5_1', ggml: 'Q5_1', block: 32, bytes: 24, what: '5-bit, fp16 scale and minimum per 32' },
  { id: 'q4_0', ggml: 'Q4_0', block: 32, bytes: 18, what: '4-bit, fp16 scale per 32' },
  { id: 'q4_1', ggml: 'Q4_1', block: 32, bytes: 20, what: '4-bit, fp16 scale and minimum per 32' },
  { id: 'iq4_nl', ggml: 'IQ4_NL', block: 32, bytes: 18, what: '4-bit non-linear (IQ4_NL grid), fp16 scale per 32' },
];

const FORMATS: readonly WeightFormat[] = [
  ...BASE_FORMATS,
  ...GGUF_BLOCKS.map((g): WeightFormat => ({
    id: g.id,
    description: `GGUF ${g.ggml}: ${g.what} (llama.cpp)`,
    compute: 'bf16',
    requires: null,
    codec: null,
    ggml: g.ggml,
    ...(g.fallback ? { fallback: g.fallback } : {}),
    tensors: (out, inF) => [t('weight', 'U8', [out, (inF / g.block) * g.bytes])],
    shapeProblem: (_out, inF) => (inF % g.block === 0 ? null : `rows of ${inF} values are not a multiple of the ${g.ggml} block of ${g.block}`),
  })),
];

/** The GGUF block formats' ids, most bits first. */
export const GGUF_WEIGHT_IDS: readonly string[] = GGUF_BLOCKS.map((g) => g.id);

const BY_ID: ReadonlyMap<string, (typeof FORMATS)[number]> = new Map(FORMATS.map((f) => [f.id, f]));

/** Every weight format id. */
export const WEIGHT_FORMAT_IDS = FORMATS.map((f) => f.id);

export function weightFormat(id: string): WeightFormat | undefined {
  return BY_ID.get(id);
}

function need(id: string): WeightFormat {
  const f = BY_ID.get(id);
  if (!f) throw new RangeError(`unknown weight format '${id}': one of ${WEIGHT_FORMAT_IDS.join(', ')}`);
  return f;
}

/** Exact bytes stored for one weight of shape [out, in]. */
export function storedBytes(id: string, out: number, inFeatures: number, o?: WeightOptions): number {
  return need(id)
    .tensors(out, inFeatures, o)
    .reduce((s, x) => s + x.bytes, 0);
}

/** The planner's view: 8 x stored bytes / (out x in). */
export function bitsPerWeight(id: string, out: number, inFeatures: number, o?: WeightOptions): number {
  return (8 * storedBytes(id, out, inFeatures, o)) / (out * inFeatures);
}

export interface HardwareCaps {
  id: string;
  fp8: boolean;
  fp4: boolean;
}

/** Why `id` cannot run on this hardware, or null. */
export function formatProblem(id: string, hw: HardwareCaps): string | null {
  const f = BY_ID.get(id);
  if (!f) return `unknown weight format '${id}': one of ${WEIGHT_FORMAT_IDS.join(', ')}`;
  if (f.requires === 'fp8' && !hw.fp8) return `${hw.id} has no FP8 tensor cores; ${id} needs them (use bf16, int8, int4 or nf4)`;
  if (f.requires === 'fp4' && !hw.fp4) return `${hw.id} has no FP4 tensor cores; ${id} needs them (mxfp4 runs weight-only)`;
  return null;
}

/** The tensor-core precision a GEMM of this format uses on this hardware (falls back to bf16 without the units). */
export function computeMode(id: string, hw: HardwareCaps): 'bf16' | 'fp8' | 'fp4' {
  const c = need(id).compute;
  if (c === 'fp4' && !hw.fp4) return 'bf16';
  if (c === 'fp8' && !hw.fp8) return 'bf16';
  return c;
}
