import { z } from 'zod';

/** Scenario format, contract v1 (../shared/contract/SCENARIOS.md). */

const pos = z.number().positive();
const posInt = z.number().int().positive();

export const acceleratorSpec = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  architecture: z.string().optional(),
  bf16Tflops: pos,
  fp8Tflops: pos.optional(),
  memoryGB: pos,
  memoryBandwidthGBps: pos,
  scaleUpGBps: pos.optional(),
  scaleUpDomain: posInt.optional(),
  scaleOutGBps: pos.optional(),
  pricePerHour: pos.optional(),
});

export const systemSchema = z
  .object({
    accelerator: z.union([z.string(), acceleratorSpec]).optional(),
    count: posInt.optional(),
    perNode: posInt.optional(),
    cpu: z.string().optional(),
    sockets: posInt.optional(),
    memoryBandwidthGBps: pos.optional(),
    scaleUp: z.object({ domain: posInt.optional(), bandwidthGBps: pos.optional() }).optional(),
    scaleOut: z.object({ bandwidthGBps: pos.optional(), latencyUs: z.number().nonnegative().optional() }).optional(),
    pricePerHour: pos.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.accelerator === undefined && s.cpu === undefined) {
      ctx.addIssue({ code: 'custom', path: ['accelerator'], message: 'system needs an accelerator (catalog id or inline spec) or a cpu' });
    }
    if (s.accelerator !== undefined && s.count === undefined) {
      ctx.addIssue({ code: 'custom', path: ['count'], message: 'system.count (total number of devices) is required' });
    }
  });

export const parallelismSchema = z
  .object({
    tensor: posInt,
    pipeline: posInt,
    data: posInt,
    context: posInt,
    expert: posInt,
    virtualStages: posInt,
    sequenceParallel: z.boolean(),
    zero: z.number().int().min(0).max(3),
  })
  .partial();

export const trainingSchema = z.object({
  sequenceLength: posInt,
  globalBatchSize: posInt,
  microBatchSize: posInt.optional(),
  recompute: z.enum(['none', 'selective', 'full']).optional(),
  precision: z.enum(['bf16', 'fp8', 'auto']).optional(),
  tokens: pos.optional(),
  gradientPrecision: z.enum(['bf16', 'fp32']).optional(),
  tpCommOverlap: z.boolean().optional(),
  epCommOverlap: z.boolean().optional(),
});

export const trainingScenarioSchema = z.object({
  kind: z.literal('training'),
  name: z.string().optional(),
  model: z.union([z.string(), z.record(z.string(), z.unknown())]),
  system: systemSchema,
  parallelism: parallelismSchema.optional(),
  training: trainingSchema,
});

export type TrainingScenario = z.infer<typeof trainingScenarioSchema>;
export type SystemInput = z.infer<typeof systemSchema>;

export const clusterScenarioSchema = z.object({
  kind: z.literal('cluster'),
  name: z.string().optional(),
  system: systemSchema,
  network: z
    .object({
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

export const reliabilitySchema = z.object({
  days: pos,
  failuresPerDevicePerDay: z.number().nonnegative().optional(),
  restartMinutes: z.number().nonnegative().optional(),
  checkpoint: z
    .object({
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

export const goodputScenarioSchema = z.object({
  kind: z.literal('goodput'),
  name: z.string().optional(),
  model: z.union([z.string(), z.record(z.string(), z.unknown())]),
  system: systemSchema,
  parallelism: parallelismSchema.optional(),
  training: trainingSchema,
  reliability: reliabilitySchema,
});

export type ClusterScenario = z.infer<typeof clusterScenarioSchema>;
export type GoodputScenario = z.infer<typeof goodputScenarioSchema>;

export const inferenceScenarioSchema = z.object({
  kind: z.literal('inference'),
  name: z.string().optional(),
  model: z.union([z.string(), z.record(z.string(), z.unknown())]),
  system: systemSchema.and(z.object({ hostMemoryGB: pos.optional(), diskGBps: pos.optional() })),
  parallelism: z.object({ tensor: posInt, pipeline: posInt, expert: posInt }).partial().optional(),
  quantization: z
    .object({
      weights: z.enum(['bf16', 'fp16', 'fp8', 'fp8-channel', 'fp8-block', 'int8', 'int4', 'nf4', 'nf4-dq', 'nvfp4', 'mxfp4']).optional(),
      kvCache: z.enum(['bf16', 'fp16', 'fp8', 'int8', 'int4']).optional(),
    })
    .optional(),
  workload: z.object({
    inputTokens: posInt,
    outputTokens: posInt,
    concurrency: posInt.optional(),
    requestRate: pos.optional(),
    chunkedPrefill: z.boolean().optional(),
    maxBatchTokens: posInt.optional(),
  }),
  slo: z.object({ ttftMs: pos.optional(), tpotMs: pos.optional() }).optional(),
  offload: z.object({ weights: z.union([z.number().min(0).max(1), z.literal('auto')]), to: z.enum(['host', 'disk']).optional() }).optional(),
  speculative: z.object({ draft: z.union([z.string(), z.record(z.string(), z.unknown())]), tokens: posInt, acceptance: z.number().min(0).max(1) }).optional(),
  disaggregation: z.boolean().optional(),
  engine: z.object({ decodeAttention: z.enum(['grouped', 'per-query-head']).optional() }).optional(),
});

export type InferenceScenario = z.infer<typeof inferenceScenarioSchema>;
