/** The built-in examples each page opens on (published setups, see examples/README.md). */
export const EXAMPLES = {
  training: {
    kind: 'training',
    model: 'llama-3.1-405b',
    system: { accelerator: 'nvidia-h100-sxm', count: 16384, perNode: 8 },
    training: { sequenceLength: 8192, globalBatchSize: 2048, precision: 'bf16', tokens: 15.6e12 },
  },
  serving: {
    kind: 'inference',
    model: 'llama-3.1-70b',
    system: { accelerator: 'nvidia-h100-sxm', count: 8 },
    workload: { inputTokens: 2048, outputTokens: 256, requestRate: 2 },
    slo: { ttftMs: 1000, tpotMs: 50 },
  },
  // examples/llama3.1-70b-optimize-a100.yaml: seed 000's baseline, 8 x A100 in FP16
  optimize: {
    kind: 'inference',
    model: 'llama-3.1-70b',
    system: { accelerator: 'nvidia-a100-80gb-sxm', count: 8 },
    quantization: { weights: 'fp16' },
    engine: 'vllm@0.10',
    workload: { inputTokens: 1000, outputTokens: 500 },
    goal: { objective: 'throughput', accuracy: 0.01 },
  },
  fleet: {
    kind: 'goodput',
    model: 'llama-3.1-405b',
    system: { accelerator: 'nvidia-h100-sxm', count: 16384, perNode: 8 },
    parallelism: { tensor: 8, pipeline: 16, data: 128 },
    training: { sequenceLength: 8192, globalBatchSize: 2048 },
    reliability: { days: 54, restartMinutes: 10, checkpoint: { writeGBps: 1000, async: true } },
  },
} as const;

export const CLUSTER_EXAMPLE = {
  kind: 'cluster',
  system: { accelerator: 'nvidia-h100-sxm', count: 16384, perNode: 8 },
  network: { nicsPerNode: 8, nicGbps: 400, planes: 1, switchGbps: 51200 },
};
