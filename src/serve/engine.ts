import type { Warning } from '../core/warnings.js';
import { deviceFor, type Device } from '../cost/roofline.js';
import { cpuFabric, fabricFor, type Fabric } from '../cost/topology.js';
import { layerClasses, layerClassOrder } from '../graph/flops.js';
import { prepareLayer, type LayerShape } from '../graph/layer.js';
import type { Numerics, RoleNumerics, Split } from '../graph/types.js';
import type { MatrixRole } from '../model/weights.js';
import type { ModelSpec } from '../model/types.js';
import type { StepTime } from './types.js';
import type { MemoryUse } from './types.js';
import type { Accelerator } from '../hardware/types.js';
import { computeMode, kvBytesPerElement, weightBytesPerElement } from './formats.js';
import type { ServeJob, ServeSplit, WeightPlan } from './types.js';
import type { WeightFormat } from './formats.js';

/** Where a serving step runs: a device with its fabric (GPUs, or CPU sockets linked by UPI). */
export interface ServeTarget {
  device: Device;
  fabric: Fabric;
  label: string;
}

/** A CPU socket as a device: AMX peak, DRAM bandwidth at its measured fraction. */
function cpuDevice(job: ServeJob): Device {
  const c = job.cpu!;
  const pseudo: Accelerator = {
    id: c.id,
    name: c.name,
    vendor: '',
    architecture: 'cpu',
    peakFlops: { fp32: null, tf32: null, bf16: c.bf16Flops, fp16: c.bf16Flops, fp8: null, fp4: null, int8: null },
    memoryBytes: 0,
    memoryBandwidth: c.memoryBandwidth,
    scaleUp: { tech: 'UPI', bandwidth: c.socketLinkBandwidth, domain: job.devices, inNetworkReduction: false },
    scaleOut: { bandwidth: 12.5e9, source: '' },
    hostLinkBandwidth: Infinity,
    perNode: job.devices,
    tdpWatts: c.tdpWatts,
    pricePerHour: job.pricePerHour,
    priceSource: '',
    sources: [],
    unverified: [],
  };
  return deviceFor(pseudo, job.cal, 'serving', c.measuredFraction);
}

export function targetFor(job: ServeJob): ServeTarget {
  if (job.cpu) return { device: cpuDevice(job), fabric: cpuFabric(job.cpu, job.devices, job.cal), label: `${job.devices} x ${job.cpu.id}` };
  const a = job.accelerator!;
  return { device: deviceFor(a, job.cal, 'serving'), fabric: fabricFor(a, job.perNode, job.cal, job.fabric), label: a.id };
}

/** The graph's split of a serving plan: experts spread over the tensor group, every rank holding the batch. */
export function graphSplit(s: ServeSplit): Split {
  return { tp: s.tensor, cp: 1, ep: s.expert, etp: s.tensor / s.expert, moeTokenReplicas: s.tensor, sp: false };
}

export function numericsFor(job: ServeJob): Numerics {
  const kv = job.kvSplit;
  return {
    gemm: job.cpu ? 'bf16' : computeMode(job.weights, job.accelerator!),
    weightBytes: (out, inF) => weightBytesPerElement(job.weights, out, inF),
    kvBytes: kv ? (kvBytesPerElement(kv.keys, { group: kv.group }) + kvBytesPerElement(kv.values, { group: kv.group })) / 2 : kvBytesPerElement(job.kvCache),
  };
}

/** One role's format as the graph prices it: the registry's stored bytes and the tensor-core precision on this hardware. */
function roleNumerics(job: ServeJob, f: WeightFormat): RoleNumerics {
  return { weightBytes: (out, inF) => weightBytesPerElement(f, out, inF), gemm: job.cpu ? 'bf16' : computeMode(f, job.accelerator!) };
}

/** Off-device weights streamed each step (offload): bytes, seconds over the slowest tier, and where they live. */
export interface Stream {
  bytes: number;
  seconds: number;
  fraction: number;
  host: number;
  disk: number;
  /** The tier whose bandwidth paces the stream. */
  slowest: 'host-link' | 'disk' | null;
  /**
   * The layer schedule (schedule.ts): per layer of the model, in order, the seconds its weights
   * take over the link each step on one device (0: resident) and the device seconds that decode
   * its losslessly compressed matrices; the head's (and embedding's) transfer.
   */
  transfer?: Float64Array;
  decode?: Float64Array;
  headTransfer?: number;
  /** Prefetch buffers (layers) and their device bytes. */
  buffers?: number;
  bufferBytes?: number;
  /** Weight bytes resident on the busiest device, buffers included. */
  resident?: number;
  /** Per-layer placement, counted (placement plans only). */
  placement?: { device: number; host: number; disk: number; lossless: number; storedBytes: number };
}

/** A model's layers prepared once for a split (their load-independent shapes), with how many of each. */
export interface PreparedModel {
  model: ModelSpec;
  layers: { shape: LayerShape; count: number }[];
  /** The class (index into `layers`) of each layer of the model, in order. */
  order: readonly number[];
}

/**
 * The distinct layers of a model for a split: one class per layer kind, or with a weight plan
 * (mixed precision) one per kind and combination of role formats, so each distinct layer is
 * priced once.
 */
export function prepareModel(model: ModelSpec, graph: Split, num: Numerics, job: ServeJob, plan: WeightPlan | null = null): PreparedModel {
  if (!plan) {
    const classes = layerClasses(model);
    return {
      model,
      layers: classes.map((c) => ({ shape: prepareLayer(model, c.spec, graph, num, job.kernels), count: c.count })),
      order: layerClassOrder(model),
    };
  }
  const keys = new Map<string, number>();
  const layers: PreparedModel['layers'] = [];
  const order = model.pattern.map((l, i) => {
    const roles = plan.layers[i] ?? {};
    const entries = Object.entries(roles).sort(([a], [b]) => (a < b ? -1 : 1));
    const key = `${l.mlp}/${l.attention}/${entries.map(([r, f]) => `${r}=${f}`).join(',')}`;
    let c = keys.get(key);
    if (c === undefined) {
      c = layers.length;
      keys.set(key, c);
      const rn: Partial<Record<MatrixRole, RoleNumerics>> = {};
      for (const [r, f] of entries) rn[r as MatrixRole] = roleNumerics(job, f);
      layers.push({ shape: prepareLayer(model, l, graph, { ...num, roles: rn }, job.kernels), count: 0 });
    }
    layers[c]!.count++;
    return c;
  });
  return { model, layers, order };
}

export interface Engine {
  job: ServeJob;
  split: ServeSplit;
  target: ServeTarget;
  graph: Split;
  num: Numerics;
  stream: Stream;
  /** The served model's layers, prepared for this split. */
  prepared: PreparedModel;
  /** The draft model's, for speculative decoding. */
  draft: PreparedModel | null;
  /** Load-independent results computed on first use (weights, KV bytes per request), shared by copies made with withWorkload. */
  memo: {
    weights?: { perDevice: number; total: number };
    kvPerRequest?: number;
    parameters?: { total: number; active: number };
    prefillOne?: StepTime;
    /** Memory with one request in flight, for the offloaded fraction it was computed at. */
    one?: { fraction: number; mem: MemoryUse };
    /** The warning a plan on hardware without serving measurements carries (the same for every load). */
    uncalibrated?: Warning;
    /** The widest GEMM's operand bytes for a step of this many tokens (activationBytes), the last few asked for. */
    widest?: { tokens: number; bytes: number }[];
  };
}

/** The same engine for another workload of the same request shape (concurrency or rate): its prepared layers are reused. */
export function withWorkload(e: Engine, w: Partial<ServeJob['workload']>): Engine {
  return { ...e, job: { ...e.job, workload: { ...e.job.workload, ...w } } };
}

export const NO_STREAM: Stream = { bytes: 0, seconds: 0, fraction: 0, host: 0, disk: 0, slowest: null };

export function baseEngine(job: ServeJob, split: ServeSplit): Engine {
  const graph = graphSplit(split);
  const num = numericsFor(job);
  const draft = job.speculative ? prepareModel(job.speculative.draft, { ...graph, ep: 1, etp: graph.tp }, num, job) : null;
  return {
    job,
    split,
    target: targetFor(job),
    graph,
    num,
    stream: NO_STREAM,
    prepared: prepareModel(job.model, graph, num, job, job.weightPlan ?? null),
    draft,
    memo: {},
  };
}
