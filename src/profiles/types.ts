import type { KernelTraits } from '../graph/types.js';

/**
 * Software profiles: what a training framework or a serving engine of a given version does
 * that changes the cost model. Every field is a physical switch with a source, never a
 * per-row correction (data/profiles/*.json).
 */
/**
 * Device memory the stack holds beyond what the plan's tensors need: what allocators fail
 * on first. A plan fits only when the tensors plus this reserve fit.
 */
export interface MemoryReserve {
  /** CUDA context and loaded kernels, communicator buffers, library workspaces (bytes per device). */
  runtimeBytes: number;
  /** Caching-allocator fragmentation, as a fraction of the dynamic allocations (activations, gradients). */
  fragmentation: number;
  source: string;
}

export interface FrameworkProfile {
  id: string;
  name: string;
  kernels: KernelTraits;
  memory: MemoryReserve;
  sources: string[];
}

/** How an engine sizes and fills its KV cache. */
export interface KvPolicy {
  /** Fraction of the memory left after weights, workspace and runtime that becomes the KV pool. */
  poolFraction: number;
  /**
   * What a request holds: 'on-demand' pages (vLLM, SGLang; at steady state a request holds its
   * prompt and half its output on average), or 'reserve-max' (TensorRT-LLM's GUARANTEED_NO_EVICT
   * scheduler and static batching reserve prompt plus every output token at admission).
   */
  admission: 'on-demand' | 'reserve-max';
}

export interface EngineProfile {
  id: string;
  name: string;
  kernels: KernelTraits;
  kv: KvPolicy;
  memory: MemoryReserve;
  sources: string[];
}

export interface ProfileRegistry {
  frameworks: ReadonlyMap<string, FrameworkProfile>;
  engines: ReadonlyMap<string, EngineProfile>;
  /** Used when a scenario names none (the report says so). */
  defaultFramework: string;
  defaultEngine: string;
}
