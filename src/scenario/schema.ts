import { z } from 'zod';

/**
 * The scenario format, contract v2 (docs/scenarios.md). Every section is strict: a key that is
 * not part of the scenario at its path is an `unrecognized_key` error with a suggestion.
 * `sinan schema` prints this as a JSON Schema for editor completion.
 */

const pos = z.number().positive();
const posInt = z.number().int().positive();
const nonNeg = z.number().nonnegative();

const modelInput = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .describe("a built-in model id (see 'sinan models'), a path to a Hugging Face config.json (relative to the scenario), or the config's keys inline");

export const acceleratorSpec = z
  .strictObject({
    id: z.string().optional(),
    name: z.string().optional(),
    architecture: z.string().optional().describe('e.g. hopper; selects the efficiency profile (uncalibrated architectures get conservative ones)'),
    bf16Tflops: pos.describe('dense BF16 peak, TFLOP/s'),
    fp8Tflops: pos.optional(),
    memoryGB: pos,
    memoryBandwidthGBps: pos,
    scaleUpGBps: pos.optional().describe('scale-up bandwidth per device per direction, GB/s'),
    scaleUpDomain: posInt.optional(),
    scaleOutGBps: pos.optional(),
    hostLinkGBps: pos.optional().describe('host link (PCIe) per direction, GB/s'),
    pricePerHour: pos.optional(),
  })
  .describe('an accelerator not in the catalog');

const systemShape = {
  accelerator: z.union([z.string(), acceleratorSpec]).optional().describe("a catalog id ('sinan hardware --kind accelerator') or an inline spec"),
  count: posInt.optional().describe('total devices'),
  perNode: posInt.optional().describe('devices per server'),
  cpu: z.string().optional().describe('CPU-only inference: a catalog CPU id'),
  sockets: posInt.optional().describe('CPU sockets used'),
  memoryBandwidthGBps: pos.optional().describe('CPU: override the DRAM bandwidth per socket'),
  scaleUp: z
    .strictObject({
      domain: posInt.optional(),
      bandwidthGBps: pos.optional(),
      inNetworkReduction: z.boolean().optional().describe('NVLS in-switch all-reduce (default: what the platform has)'),
    })
    .optional(),
  scaleOut: z
    .strictObject({
      bandwidthGBps: pos.optional(),
      latencyUs: nonNeg.optional(),
      inNetworkReduction: z.boolean().optional().describe('SHARP in-network reduction (default off)'),
    })
    .optional(),
  pricePerHour: pos.optional().describe('USD per device-hour'),
};

export const systemSchema = z.strictObject(systemShape);

export const inferenceSystemSchema = z.strictObject({
  ...systemShape,
  hostMemoryGB: pos.optional().describe('host memory for offloaded weights'),
  diskGBps: pos.optional().describe('NVMe read bandwidth for weights offloaded to disk'),
});

export const parallelismSchema = z.strictObject({
  tensor: posInt.optional(),
  pipeline: posInt.optional(),
  data: posInt.optional(),
  context: posInt.optional(),
  expert: posInt.optional(),
  virtualStages: posInt.optional().describe('interleaved 1F1B when > 1'),
  sequenceParallel: z.boolean().optional(),
  zero: z.number().int().min(0).max(3).optional().describe('0 none, 1 optimizer, 2 +gradients, 3 +weights (FSDP)'),
});

export const trainingSchema = z.strictObject({
  sequenceLength: posInt,
  globalBatchSize: posInt.describe('sequences per optimizer step'),
  microBatchSize: posInt.optional(),
  recompute: z
    .union([
      z.enum(['none', 'selective', 'full']),
      z.strictObject({
        modules: z.array(z.enum(RECOMPUTE_MODULES)).min(1).optional().describe('selective recomputation of these modules (Megatron-Core --recompute-modules)'),
        layers: posInt.optional().describe("full recomputation of this many of each pipeline stage's layers (Megatron --recompute-num-layers)"),
      }),
    ])
    .optional()
    .describe('none | selective | full, or { modules: [...] } or { layers: N }; left out: searched'),
  activationOffload: z
    .strictObject({
      layers: z.number().int().min(0).describe('layers of each pipeline stage whose activations wait in host memory (Megatron --cpu-offloading-num-layers)'),
    })
    .optional(),
  precision: z.enum(['bf16', 'fp8', 'auto']).optional().describe('bf16 (default) | fp8 | auto (search both)'),
  tokens: z
    .union([pos, z.literal('chinchilla')])
    .optional()
    .describe("total training tokens, or 'chinchilla' for 20 x parameters"),
  gradientPrecision: z.enum(['bf16', 'fp32']).optional(),
  tpCommOverlap: z.boolean().optional(),
  epCommOverlap: z.boolean().optional(),
  framework: z
    .union([
      z.string(),
      z.strictObject({
        id: z.string().describe("the profile, e.g. megatron-core@0.14 ('sinan profiles')"),
        cudaGraphs: z
          .enum(['none', 'partial', 'full'])
          .optional()
          .describe('CUDA graphs: none, attention + MoE router/preprocess scopes, or the whole iteration'),
        groupedGemm: z.enum(['fused', 'multi-stream']).optional().describe('expert GEMMs as one grouped kernel, or one GEMM per expert over streams'),
        attention: z
          .enum(['fused', 'flash2', 'unfused'])
          .optional()
          .describe('attention kernel: cuDNN / FlashAttention-3 class, FlashAttention-2, or unfused (scores in memory)'),
        moeDispatcher: z
          .enum(['alltoall', 'deepep', 'hybridep'])
          .optional()
          .describe("MoE token exchange: NCCL all-to-all, or DeepEP / HybridEP kernels (Megatron's flex dispatcher)"),
      }),
    ])
    .optional()
    .describe("software profile, e.g. megatron-core@0.14, or { id, cudaGraphs, groupedGemm } ('sinan profiles')"),
});

const common = {
  name: z.string().optional(),
  calibration: z.string().optional().describe('a calibration profile written by sinan calibrate (path relative to the scenario)'),
};

export const trainingScenarioSchema = z.strictObject({
  kind: z.literal('training'),
  ...common,
  model: modelInput,
  system: systemSchema,
  parallelism: parallelismSchema.optional(),
  training: trainingSchema,
});

export const clusterScenarioSchema = z.strictObject({
  kind: z.literal('cluster'),
  ...common,
  system: systemSchema,
  network: z
    .strictObject({
      nicsPerNode: posInt.optional(),
      nicGbps: pos.optional(),
      planes: posInt.optional(),
      switchGbps: pos.optional(),
      switch: z.string().optional(),
      oversubscription: pos.optional(),
      maxTiers: z.number().int().min(1).max(5).optional(),
    })
    .optional(),
  pue: z.number().min(1).max(3).optional(),
});

export const reliabilitySchema = z.strictObject({
  days: pos,
  failuresPerDevicePerDay: nonNeg.optional(),
  restartMinutes: nonNeg.optional(),
  checkpoint: z
    .strictObject({
      writeGBps: pos,
      readGBps: pos.optional(),
      async: z.boolean().optional(),
      intervalMinutes: pos.optional(),
      optimizerState: z.boolean().optional(),
    })
    .optional(),
  replacement: z.enum(['node', 'device']).optional(),
  spares: z.number().int().nonnegative().optional(),
  repairHours: pos.optional(),
  trials: z.number().int().min(10).max(1_000_000).optional(),
  seed: z.number().int().optional(),
});

export const goodputScenarioSchema = z.strictObject({
  kind: z.literal('goodput'),
  ...common,
  model: modelInput,
  system: systemSchema,
  parallelism: parallelismSchema.optional(),
  training: trainingSchema,
  reliability: reliabilitySchema,
});

/** The weight formats of the one registry (src/formats), as scenario values. */
export const WEIGHT_FORMAT_IDS = REGISTRY_WEIGHT_IDS as [string, ...string[]];
export const KV_FORMAT_IDS = REGISTRY_KV_IDS;

const kvFormat = z.enum(KV_FORMAT_IDS);
/** The KV cache: one format for K and V, or K and V separately (KIVI: keys per channel, values per token; llama.cpp: --cache-type-k/-v). */
export const kvCacheSchema = z.union([
  kvFormat,
  z.strictObject({
    keys: kvFormat,
    values: kvFormat,
    group: posInt.optional().describe('int8/int4 (KIVI): values per scale-and-minimum group (default 32)'),
    residual: z.number().int().nonnegative().optional().describe('int8/int4 (KIVI): most recent tokens kept in 16 bits (default 0)'),
  }),
]);

export const inferenceScenarioSchema = z.strictObject({
  kind: z.literal('inference'),
  ...common,
  model: modelInput,
  system: inferenceSystemSchema,
  parallelism: z.strictObject({ tensor: posInt.optional(), pipeline: posInt.optional(), expert: posInt.optional() }).optional(),
  quantization: z.strictObject({ weights: z.enum(WEIGHT_FORMAT_IDS).optional(), kvCache: kvCacheSchema.optional() }).optional(),
  workload: z.strictObject({
    inputTokens: posInt,
    outputTokens: posInt,
    concurrency: posInt.optional().describe('requests in flight per replica'),
    requestRate: pos.optional().describe('requests per second offered to the whole deployment'),
    chunkedPrefill: z.boolean().optional(),
    maxBatchTokens: posInt.optional(),
  }),
  slo: z.strictObject({ ttftMs: pos.optional(), tpotMs: pos.optional() }).optional(),
  offload: z.strictObject({ weights: z.union([z.number().min(0).max(1), z.literal('auto')]), to: z.enum(['host', 'disk']).optional() }).optional(),
  speculative: z.strictObject({ draft: modelInput, tokens: posInt, acceptance: z.number().min(0).max(1) }).optional(),
  disaggregation: z.boolean().optional(),
  engine: z
    .union([
      z.string().describe("a serving-engine profile, e.g. vllm@0.10 ('sinan profiles')"),
      z.strictObject({ profile: z.string().optional(), decodeAttention: z.enum(['grouped', 'per-query-head']).optional() }),
    ])
    .optional(),
  checkpoint: z.string().optional().describe('sinan optimize: a safetensors checkpoint folder to measure and write'),
  goal: z
    .strictObject({
      objective: z.enum(['throughput', 'cost', 'devices', 'cheaper-hardware']).optional(),
      accuracy: z.number().min(0).optional().describe('the most accuracy loss allowed, in the measure the report defines'),
      activations: z
        .string()
        .optional()
        .describe(
          "sinan optimize: a safetensors file of each weight's per-input-channel mean squared activation (1-D, named like the weight), to weight errors by",
        ),
    })
    .optional(),
});

export type TrainingScenario = z.infer<typeof trainingScenarioSchema>;
export type SystemInput = z.infer<typeof systemSchema>;
export type InferenceSystemInput = z.infer<typeof inferenceSystemSchema>;
export type ClusterScenario = z.infer<typeof clusterScenarioSchema>;
export type GoodputScenario = z.infer<typeof goodputScenarioSchema>;
export type InferenceScenario = z.infer<typeof inferenceScenarioSchema>;

export const SCENARIO_SCHEMAS = {
  training: trainingScenarioSchema,
  inference: inferenceScenarioSchema,
  cluster: clusterScenarioSchema,
  goodput: goodputScenarioSchema,
} as const;
export type ScenarioKind = keyof typeof SCENARIO_SCHEMAS;
import { WEIGHT_FORMAT_IDS as REGISTRY_WEIGHT_IDS } from '../formats/weights.js';
import { KV_FORMAT_IDS as REGISTRY_KV_IDS } from '../formats/kv.js';
import { RECOMPUTE_MODULES } from '../train/types.js';
