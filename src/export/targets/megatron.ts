import { Emitter } from '../emit.js';
import type { Built, ExportInput, VersionData } from '../types.js';

/**
 * Megatron-LM `pretrain_gpt.py` arguments for a training plan (the parser has
 * allow_abbrev=False, so every name must be spelled in full; data/export/megatron.json).
 */
export function buildMegatron(input: Extract<ExportInput, { kind: 'training' }>, version: string, v: VersionData): Built {
  const p = input.plan;
  const m = input.model;
  const q = p.parallelism;
  const t = p.training;
  const e = new Emitter(v, `Megatron-LM core_v${version}`);
  const nodes = Math.ceil(p.system.count / p.system.perNode);

  // the split
  e.flag('--tensor-model-parallel-size', q.tensor, 'tensor parallelism');
  e.flag('--pipeline-model-parallel-size', q.pipeline, 'pipeline parallelism');
  if (q.virtualStages > 1) {
    const stages = q.pipeline * q.virtualStages;
    const setting = `${q.virtualStages} virtual stages (interleaved 1F1B)`;
    if (m.layers % stages === 0) e.flag('--num-layers-per-virtual-pipeline-stage', m.layers / stages, setting);
    else if (e.accepts('--num-virtual-stages-per-pipeline-rank') && (m.layers + 2) % stages === 0) {
      // the embedding and the loss each take a layer's place, so the stages balance (Llama 3 405B: 126 + 2 = 128)
      e.flag('--num-virtual-stages-per-pipeline-rank', q.virtualStages, setting);
      e.flag('--account-for-embedding-in-pipeline-split', undefined, 'the embedding counted as a layer in the split');
      e.flag('--account-for-loss-in-pipeline-split', undefined, 'the loss counted as a layer in the split');
    } else
      e.skip(
        'virtual pipeline stages',
        `--num-virtual-stages-per-pipeline-rank ${q.virtualStages}`,
        `${m.layers} layers do not split evenly into ${q.pipeline} x ${q.virtualStages} virtual stages`,
      );
  }
  if (q.context > 1) e.flag('--context-parallel-size', q.context, 'context parallelism');
  if (q.expert > 1) e.flag('--expert-model-parallel-size', q.expert, 'expert parallelism');
  // TP 1 silently turns sequence parallelism off (arguments.py), so it is only emitted with TP > 1
  if (q.sequenceParallel && q.tensor > 1) e.flag('--sequence-parallel', undefined, 'sequence parallelism');
  if (q.zero >= 1 && q.zero <= 2) {
    e.flag('--use-distributed-optimizer', undefined, `ZeRO ${q.zero} (optimizer states sharded over data parallelism)`);
    if (q.zero === 2) e.skip('ZeRO 2', '--use-distributed-optimizer', 'Megatron-LM shards optimizer states only; gradients stay replicated (ZeRO 1 memory)');
  }
  if (q.zero === 3) {
    if (!e.flag('--use-torch-fsdp2', undefined, 'ZeRO 3 (weights, gradients and optimizer states sharded: FSDP)'))
      e.flag('--use-distributed-optimizer', undefined, 'ZeRO 3 fallback: optimizer states sharded');
  }
  if (q.data > 1) {
    e.flag('--overlap-grad-reduce', undefined, 'data-parallel gradient reduction overlapped with backward (as priced)');
    if (q.zero >= 1 && q.zero <= 2) e.flag('--overlap-param-gather', undefined, 'parameter all-gather overlapped (as priced)');
  }
  // recompute
  if (t.recompute === 'full') {
    e.flag('--recompute-granularity', 'full', 'full recompute');
    e.flag('--recompute-method', 'uniform', 'full recompute');
    e.flag('--recompute-num-layers', 1, 'full recompute of every layer');
  } else if (t.recompute === 'selective') e.flag('--recompute-granularity', 'selective', 'selective recompute (attention core)');
  // batch and length
  e.flag('--micro-batch-size', t.microBatchSize, 'micro-batch');
  e.flag('--global-batch-size', t.globalBatchSize, 'global batch (sequences)');
  e.flag('--seq-length', t.sequenceLength, 'sequence length');
  e.flag('--max-position-embeddings', Math.max(t.sequenceLength, m.maxPositions || 0), 'position table / RoPE length');
  if (p.run) e.flag('--train-iters', p.run.steps, `${p.run.tokens.toExponential(3)} tokens`);
  // precision
  e.flag('--bf16', undefined, 'bf16 weights and activations');
  if (t.precision === 'fp8') {
    e.flag('--fp8-format', 'hybrid', 'FP8 GEMMs (E4M3 forward, E5M2 gradients)');
    e.flag('--fp8-recipe', 'delayed', 'FP8 scaling recipe (the default)');
  }
  // the architecture
  e.flag('--num-layers', m.layers, 'layers');
  e.flag('--hidden-size', m.hidden, 'hidden size');
  e.flag('--ffn-hidden-size', m.ffn, 'MLP width');
  e.flag('--num-attention-heads', m.heads, 'attention heads');
  if (m.kvHeads !== m.heads) {
    e.flag('--group-query-attention', undefined, 'grouped-query attention');
    e.flag('--num-query-groups', m.kvHeads, 'key/value heads');
  }
  if (m.headDim * m.heads !== m.hidden) e.flag('--kv-channels', m.headDim, 'head dimension');
  if (m.gated) e.flag('--swiglu', undefined, 'gated MLP (SwiGLU)');
  e.flag('--normalization', m.norm === 'rms' ? 'RMSNorm' : 'LayerNorm', 'normalization');
  e.flag('--position-embedding-type', m.learnedPositions ? 'learned_absolute' : 'rope', 'positions');
  if (!m.tiedEmbeddings) e.flag('--untie-embeddings-and-output-weights', undefined, 'separate output head');
  e.flag('--disable-bias-linear', undefined, 'no linear biases');
  if (m.moe) {
    e.flag('--num-experts', m.moe.experts, 'routed experts');
    e.flag('--moe-router-topk', m.moe.topK, 'experts per token');
    e.flag('--moe-ffn-hidden-size', m.moe.expertFfn, 'expert MLP width');
    if (m.moe.sharedFfn > 0) e.flag('--moe-shared-expert-intermediate-size', m.moe.sharedFfn, 'shared experts');
    e.flag('--moe-grouped-gemm', undefined, 'grouped expert GEMMs');
    e.flag('--moe-token-dispatcher-type', 'alltoall', 'expert all-to-all dispatch');
  }
  if (m.mla)
    e.skip(
      'multi-latent attention',
      '--multi-latent-attention --q-lora-rank ... --kv-lora-rank ...',
      'MLA ranks are model-specific: copy them from the model config',
    );
  // data: a runnable command needs a dataset; mock data runs as-is
  e.flag('--mock-data', undefined, 'synthetic data (replace with --data-path and a tokenizer)');
  e.flag('--tokenizer-type', 'NullTokenizer', 'tokenizer for mock data');
  e.flag('--vocab-size', m.vocab, 'vocabulary');
  e.flag('--lr', '1.0e-4', 'learning rate (placeholder: the plan does not depend on it)');
  return {
    argv: [`torchrun --nproc_per_node=${p.system.perNode} --nnodes=${nodes} pretrain_gpt.py`, ...e.words],
    names: e.names,
    notEmitted: e.notEmitted,
  };
}
