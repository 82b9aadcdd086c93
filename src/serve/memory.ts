import { buildHead } from '../graph/head.js';
import { cachedTokens, kvBytesPerTokenLayer, loadLayer, prepareLayer } from '../graph/layer.js';
import { kvBytesPerElement } from './formats.js';
import type { Load } from '../graph/types.js';
import { graphSplit, type Engine } from './engine.js';
import type { ModelSpec } from '../model/types.js';
import type { MemoryUse, ServeJob } from './types.js';

export type { MemoryUse } from './types.js';

/**
 * Serving memory from the one operator graph: weights in the run's formats as the graph
 * stores them, a paged KV cache, the activation workspace of the largest step, the runtime.
 */

export interface WeightBytes {
  /** On the busiest device of a replica (its layers plus the embedding or the head). */
  perDevice: number;
  /** The whole model, one copy. */
  total: number;
}

const oneToken: Load = { segments: [{ seqs: 1, newTokens: 1, pastTokens: 0 }], training: false };

/** memo: idempotent (one copy of a model's weights in a format: the same for every split and engine) */
const TOTALS = new WeakMap<ModelSpec, Map<string, number>>();

function totalWeightBytes(e: Engine): number {
  const m = e.job.model;
  if (e.job.weightPlan) return totalWeightBytesOnce(e);
  let byFormat = TOTALS.get(m);
  if (!byFormat) TOTALS.set(m, (byFormat = new Map()));
  const key = e.job.weights;
  let total = byFormat.get(key);
  if (total === undefined) byFormat.set(key, (total = totalWeightBytesOnce(e)));
  return total;
}

function totalWeightBytesOnce(e: Engine): number {
  const m = e.job.model;
  let total = 0;
  const one = graphSplit({ tensor: 1, pipeline: 1, expert: 1 });
  for (const c of e.prepared.layers) total += c.count * prepareLayer(m, c.shape.layer, one, e.num, e.job.kernels).weightBytes;
  return total + buildHead(m, one, oneToken).weightBytes;
}

export function weightBytes(e: Engine): WeightBytes {
  const pp = e.split.pipeline;
  let layers = 0;
  for (const c of e.prepared.layers) layers += c.count * c.shape.weightBytes;
  const total = totalWeightBytes(e);
  const { emb, head } = headWeightBytes(e);
  return { perDevice: layers / pp + (pp === 1 ? emb + head : Math.max(emb, head)), total };
}

/** Bytes of the embedding table and of the output head (with the final norm) on one device (16 bits). */
export function headWeightBytes(e: Engine): { emb: number; head: number } {
  const h = buildHead(e.job.model, e.graph, oneToken);
  return { emb: 2 * h.params.embedding, head: 2 * h.params.head };
}

/** KV bytes one request of `context` tokens holds on one device (windowed and chunked layers capped; a KIVI residual window in 16 bits). */
export function kvBytesPerRequest(e: Engine, context: number): number {
  const kv = e.job.kvSplit;
  const m = e.job.model;
  let b = 0;
  for (const c of e.prepared.layers) {
    const tokens = cachedTokens(m, c.shape.layer, context);
    b += c.count * c.shape.kvBytesPerToken * tokens;
    if (kv && kv.residual > 0) {
      // the most recent `residual` tokens of a KIVI-quantized side stay in 16 bits
      const recent = Math.min(kv.residual, tokens);
      const perSide = kvBytesPerTokenLayer(m, e.split.tensor, 1) / 2; // elements of K (or V) per token
      for (const f of [kv.keys, kv.values]) if (f === 'int8' || f === 'int4') b += c.count * recent * perSide * (2 - kvBytesPerElement(f, { group: kv.group }));
    }
  }
  return b / e.split.pipeline;
}

/**
 * Activation workspace of the largest step (engines profile a forward pass of their maximum
 * batched tokens): the residual stream, the largest GEMM's input and output, and fp32 logits for
 * the sequences sampled in one step.
 */
export function activationBytes(e: Engine, tokens: number, sampled: number): number {
  const m = e.job.model;
  return tokens * m.hidden * 2 + widestGemmBytes(e, tokens) + Math.max(sampled, 1) * (m.vocab / e.split.tensor) * 4;
}

/** The widest GEMM's operand bytes in a step of `tokens` tokens; a pure function of the prepared layers, so kept for the last few token counts. */
function widestGemmBytes(e: Engine, tokens: number): number {
  const cache = (e.memo.widest ??= []);
  for (const c of cache) if (c.tokens === tokens) return c.bytes;
  const load: Load = { segments: [{ seqs: 1, newTokens: tokens, pastTokens: 0 }], training: false };
  let widest = 0;
  for (const c of e.prepared.layers) for (const x of loadLayer(c.shape, load).gemms) widest = Math.max(widest, x.m * (x.k + x.n) * x.actBytes);
  if (cache.length >= 4) cache.shift();
  cache.push({ tokens, bytes: widest });
  return widest;
}

export function capacityOf(job: ServeJob): number {
  return job.cpu ? job.hostMemoryBytes / job.devices : job.accelerator!.memoryBytes;
}

/** Average context of a request in flight (the tokens a decode step attends to): its prompt and half its output. */
export function averageContext(e: Engine): number {
  const w = e.job.workload;
  return w.inputTokens + w.outputTokens / 2;
}

/** Tokens of KV cache a request holds under the engine's admission policy. */
export function heldTokens(e: Engine): number {
  const w = e.job.workload;
  return e.job.kv.admission === 'reserve-max' ? w.inputTokens + w.outputTokens : averageContext(e);
}

/** The load-independent memory of an engine, computed once per engine. */
function staticMemory(e: Engine): { weights: WeightBytes; kvPerRequest: number } {
  e.memo.weights ??= weightBytes(e);
  e.memo.kvPerRequest ??= kvBytesPerRequest(e, heldTokens(e));
  return { weights: e.memo.weights, kvPerRequest: e.memo.kvPerRequest };
}

/** Memory on one device of a replica with `concurrency` requests in flight (spread over the pipeline stages). */
export function memoryFor(e: Engine, concurrency: number): MemoryUse {
  const job = e.job;
  const st = staticMemory(e);
  const resident = e.stream.resident ?? st.weights.perDevice;
  const activations = activationsFor(e, concurrency);
  const other = job.cpu ? 0 : job.memoryReserve.runtimeBytes;
  const kv = st.kvPerRequest * concurrency;
  return {
    weights: resident,
    weightsTotal: st.weights.total,
    kv,
    kvPerRequest: st.kvPerRequest,
    activations,
    other,
    total: resident + kv + activations + other,
  };
}

/** The step's workspace with `concurrency` requests in flight. */
function activationsFor(e: Engine, concurrency: number): number {
  const w = e.job.workload;
  const tokens = Math.min(w.maxBatchTokens, Math.max(concurrency, w.inputTokens));
  return activationBytes(e, tokens, Math.ceil(concurrency / e.split.pipeline));
}

/** memoryFor(e, concurrency).total without building the breakdown (maxConcurrency's bisection). */
function totalFor(e: Engine, concurrency: number): number {
  const st = staticMemory(e);
  const resident = e.stream.resident ?? st.weights.perDevice;
  return resident + st.kvPerRequest * concurrency + activationsFor(e, concurrency) + (e.job.cpu ? 0 : e.job.memoryReserve.runtimeBytes);
}

/**
 * Bytes of the engine's KV pool on one device: a fraction of what the weights, workspace and
 * runtime leave ('free': TensorRT-LLM's free_gpu_memory_fraction), or a fraction of the device's
 * total minus the weights and the rest ('total': vLLM's gpu_memory_utilization; SGLang's
 * mem_fraction_static after its reserved memory, which holds the workspace).
 */
export function kvPoolBytes(e: Engine): number {
  const mem = memoryOne(e);
  const cap = capacityOf(e.job);
  const kv = e.job.kv;
  if (kv.poolBase === 'total') {
    const reserve = kv.poolReserveBytes ?? 0;
    return kv.poolFraction * (cap - reserve) - mem.weights - (reserve > 0 ? 0 : mem.activations + mem.other);
  }
  return kv.poolFraction * (cap - mem.weights - mem.activations - mem.other);
}

/** Memory with one request in flight (computed once per engine and offload fraction). */
export function memoryOne(e: Engine): MemoryUse {
  const m = e.memo.one;
  if (m && m.fraction === e.stream.fraction) return m.mem;
  const mem = memoryFor(e, 1);
  e.memo.one = { fraction: e.stream.fraction, mem };
  return mem;
}

/**
 * Largest concurrency (requests in flight per replica) whose KV cache fits in the engine's pool
 * and whose whole memory, as memoryFor prices it (and the report prints it), fits the device. The
 * pool is sized with one request's workspace, but the workspace grows with the batch (the fp32
 * logits of every sequence sampled in a step, the step's tokens): for a small model with a large
 * vocabulary, or an engine whose pool takes all the free memory (llama.cpp), the batch the pool
 * holds would not fit beside it. memoryFor grows with the concurrency, so the largest batch that
 * fits is found by bisection.
 */
export function maxConcurrency(e: Engine): number {
  const pool = kvPoolBytes(e);
  const per = memoryOne(e).kvPerRequest;
  if (pool <= 0 || per <= 0) return 0;
  const byPool = Math.floor(pool / per);
  const cap = capacityOf(e.job);
  const fits = (c: number) => totalFor(e, c) <= cap;
  if (fits(byPool)) return byPool;
  let lo = 0; // fits (no request in flight)
  let hi = byPool; // does not
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * The engine's own cap on sequences in a batch: a fixed max_num_seqs, or trtllm-bench's heuristic
 * (KV capacity from total memory, a request's whole length, rounded up; research/profiles
 * engines.json trtllm@1.0). Infinity when the engine has none.
 */
export function engineBatchLimit(e: Engine): number {
  const lim = e.job.kv.maxSeqs;
  if (lim === undefined) return Infinity;
  if (typeof lim === 'number') return lim;
  const job = e.job;
  const w = job.workload;
  const tp = e.split.tensor;
  const pp = e.split.pipeline;
  const st = memoryOne(e);
  const cache = (capacityOf(job) * tp * pp - st.weightsTotal) * e.job.kv.poolFraction;
  const perToken = (st.kvPerRequest * tp * pp) / Math.max(1, heldTokens(e));
  const kvMax = cache / (perToken * (w.inputTokens + w.outputTokens));
  const raw = Math.min(kvMax, 4096) / pp;
  const step = raw < 512 ? 32 : raw < 2048 ? 128 : 256;
  return Math.max(64, Math.ceil(raw / step) * step);
}
