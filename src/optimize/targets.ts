import type { KvFormatId } from '../formats/kv.js';

/**
 * What each output format can hold and which engine serves it: the weight formats one checkpoint
 * of that kind can mix, the KV-cache formats the engine offers for K and for V, whether K and V
 * may differ, and which layers the loader fuses (one format for all of their members).
 *
 * Sources: llama.cpp (ggml types per tensor in one GGUF; `--cache-type-k` / `--cache-type-v`
 * take f16, bf16, q8_0, q5_0, q4_0, ...; a quantized V cache needs flash attention: tools/server
 * README and common/arg.cpp); vLLM (compressed-tensors config groups per module, `ignore`;
 * `--kv-cache-dtype auto|fp8`, one dtype for K and V; q/k/v and gate/up load as one fused layer:
 * QKVParallelLinear, MergedColumnParallelLinear); bitsandbytes in transformers and vLLM (one
 * 4-bit type per checkpoint, `llm_int8_skip_modules`).
 */

export type OutputFormat = 'gguf' | 'compressed-tensors' | 'bitsandbytes';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['gguf', 'compressed-tensors', 'bitsandbytes'];

export interface Target {
  format: OutputFormat;
  /** The engine profile the plans are priced with. */
  engine: string;
  /** Engine profiles that load this format (the scenario's is kept when it is one of them). */
  engines: readonly string[];
  /** Weight formats per tensor besides the source precision ('keep'), most bits first. */
  weights: readonly string[];
  /** KV formats for K, and for V. */
  kv: readonly KvFormatId[];
  /** Whether K and V may use different formats. */
  kvSplit: boolean;
  /** Whether q/k/v and gate/up must share one format (the loader fuses them). */
  fused: boolean;
  /** The command that serves the written folder or file. */
  server: 'llama-server' | 'vllm';
}

export const TARGETS: Readonly<Record<OutputFormat, Target>> = {
  gguf: {
    format: 'gguf',
    engine: 'llama.cpp',
    engines: ['llama.cpp'],
    weights: ['q8_0', 'q6_k', 'q5_k', 'q4_k', 'q4_0'],
    kv: ['fp16', 'q8_0', 'q5_0', 'q4_0'],
    kvSplit: true,
    fused: false,
    server: 'llama-server',
  },
  'compressed-tensors': {
    format: 'compressed-tensors',
    engine: 'vllm@0.10',
    engines: ['vllm@0.10', 'sglang@0.5'],
    weights: ['fp8-channel', 'int8', 'int4'],
    kv: ['bf16', 'fp8'],
    kvSplit: false,
    fused: true,
    server: 'vllm',
  },
  bitsandbytes: {
    format: 'bitsandbytes',
    engine: 'vllm@0.10',
    engines: ['vllm@0.10'],
    weights: ['nf4'],
    kv: ['bf16', 'fp8'],
    kvSplit: false,
    fused: true,
    server: 'vllm',
  },
};

/** The output format a scenario's engine serves: llama.cpp reads GGUF, the others compressed-tensors. */
export function defaultFormat(engine: string | undefined): OutputFormat {
  return engine === 'llama.cpp' ? 'gguf' : 'compressed-tensors';
}

/** The GEMM a matrix role runs in when the loader fuses layers (vLLM), so fused roles share one format. */
export function fusedGroup(role: string): string {
  if (role === 'q' || role === 'k' || role === 'v') return 'qkv';
  if (role === 'gate' || role === 'up') return 'gate_up';
  // vLLM's FusedMoE loads every projection of a layer's experts with one quantization scheme
  if (role === 'expert_gate' || role === 'expert_up' || role === 'expert_down') return 'experts';
  if (role === 'shared_gate' || role === 'shared_up') return 'shared_gate_up';
  return role;
}

/**
 * Accelerator vendors whose engine loads every weight format of the target (the catalog's
 * `vendor` names). Sources: vLLM's quantization hardware table (docs.vllm.ai/en/v0.11.2/features/
 * quantization, "Supported Hardware"): INT4 W4A16 and INT8 weight-only run on Marlin kernels,
 * NVIDIA only; bitsandbytes NVIDIA only; Intel Gaudi loads only INC (W8A8), TPUs none of these.
 * llama.cpp (README, backends): CUDA, and HIP for AMD GPUs, run every ggml type; it has no Gaudi
 * or TPU backend. A vendor not listed is not known to load the files Sinan writes.
 */
const LOADING_VENDORS: Readonly<Record<OutputFormat, readonly string[]>> = {
  gguf: ['NVIDIA', 'AMD'],
  'compressed-tensors': ['NVIDIA'],
  bitsandbytes: ['NVIDIA'],
};

/** Whether the target's engine is known to load the target's files on this vendor's accelerators (CPUs: GGUF only). */
export function loadsOn(t: Target, vendor: string | null): boolean {
  if (vendor === null) return t.format === 'gguf';
  return LOADING_VENDORS[t.format].includes(vendor);
}
