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

export type CudaGraphs = 'none' | 'partial' | 'full';
export type GroupedGemm = 'fused' | 'multi-stream';

/** What a training framework lets a plan use: the search stays inside it, and a fixed key outside it is an error. */
export interface FrameworkOffers {
  precision: ('bf16' | 'fp8')[];
  recompute: ('none' | 'selective' | 'full')[];
  /** Full recomputation of only some layers of each stage (Megatron --recompute-num-layers). */
  recomputeLayers: boolean;
  /** Modules that selective recomputation may name (Megatron-Core --recompute-modules); absent: a fixed set. */
  recomputeModules?: string[];
  sequenceParallel: boolean;
  zero: (0 | 1 | 2 | 3)[];
  contextParallel: boolean;
  expertParallel: boolean;
  virtualStages: boolean;
  /** Activations of some layers kept in host memory (Megatron --cpu-offloading-num-layers). */
  activationOffload: boolean;
  /** Default true. */
  tensorParallel?: boolean;
  pipelineParallel?: boolean;
}

export interface FrameworkProfile {
  id: string;
  name: string;
  kernels: KernelTraits;
  /** Whether gradient reduction and parameter gathers overlap the backward and forward passes. */
  dpOverlap: boolean;
  /** Whether tensor-parallel collectives can overlap the GEMMs (userbuffers). */
  tpOverlap: boolean;
  /** How MoE tokens are exchanged (null: the framework has no expert parallelism). */
  moeDispatcher: 'alltoall' | 'deepep' | 'hybridep' | null;
  /** FP8 training keeps the weights only in FP8 between steps and gathers them in FP8 (Megatron fp8_param_gather); else a bf16 copy beside the FP8 one. */
  fp8PrimaryWeights: boolean;
  /** CUDA graphs: none, the attention and MoE router/preprocessing scopes ('partial'), or the whole iteration. */
  cudaGraphs: CudaGraphs;
  /** Expert GEMMs as one grouped kernel ('fused'), or one GEMM per expert over a few streams ('multi-stream', Transformer Engine's GroupedLinear). */
  groupedGemm: GroupedGemm;
  offers: FrameworkOffers;
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
  /** What the pool fraction is taken of: memory left after weights and workspace ('free', TensorRT-LLM) or the device's total ('total', vLLM, SGLang: minus weights after). */
  poolBase: 'free' | 'total';
  /** Memory kept out of the pool fraction's base first (SGLang's reserved memory). */
  poolReserveBytes?: number;
  /** Most sequences a batch holds: a number (vLLM max_num_seqs), or trtllm-bench's KV-capacity heuristic. */
  maxSeqs?: number | 'trtllm-bench';
  /** The engine's default for chunked prefill and its token budget per step. */
  chunkedPrefill?: boolean;
  maxBatchedTokens?: number;
  /** KV dtype when the scenario names none: the model's 16 bits, or what the checkpoint carries (FP8 for an FP8 ModelOpt checkpoint). */
  kvDtype?: 'model' | 'checkpoint';
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
