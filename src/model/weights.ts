import type { LayerSpec, ModelSpec } from './types.js';

/**
 * The one description of a model's weights. Parameter counts (params.ts), the operator
 * graph's GEMMs and their weight bytes (graph/layer.ts), serving memory and checkpoint sizes
 * all read it; nothing else re-derives a projection's shape.
 */

export type MatrixRole =
  | 'q'
  | 'k'
  | 'v'
  | 'o'
  | 'q_a'
  | 'q_b'
  | 'kv_a'
  | 'kv_b'
  | 'gate'
  | 'up'
  | 'down'
  | 'router'
  | 'expert_gate'
  | 'expert_up'
  | 'expert_down'
  | 'shared_gate'
  | 'shared_up'
  | 'shared_down'
  | 'lf_conv1'
  | 'lf_conv2';

/** Which block of the layer a matrix belongs to. */
export type WeightGroup = 'attention' | 'mlp' | 'router' | 'experts' | 'shared';

export interface WeightMatrix {
  role: MatrixRole;
  group: WeightGroup;
  /** Output and input features of one copy ([out, in] as PyTorch stores it). */
  out: number;
  in: number;
  /** Copies in the layer (the routed experts); 1 otherwise. */
  count: number;
  bias: boolean;
  /**
   * How tensor parallelism splits it: 'column' splits the outputs, 'row' the inputs, 'none'
   * replicates it (MLA's down-projections, routers). Experts follow the expert split instead.
   */
  tp: 'column' | 'row' | 'none';
  /** The fused GEMM it runs in (q, k, v as one 'qkv'; gate and up as one 'gate_up'). */
  gemm: string;
}

export interface LayerWeights {
  matrices: WeightMatrix[];
  /** Parameters outside the matrices and their biases, replicated on every tensor rank: norms, q/k norms, sinks. */
  vectors: number;
}

/** Parameters of one norm of width `w`. */
export function normParams(m: ModelSpec, w = m.hidden): number {
  if (!m.normAffine) return 0;
  return w * (m.normBias ? 2 : 1);
}

function mat(role: MatrixRole, group: WeightGroup, out: number, inF: number, tp: WeightMatrix['tp'], gemm: string, bias = false, count = 1): WeightMatrix {
  return { role, group, out, in: inF, count, bias, tp, gemm };
}

/** The weights of one layer of the given kind. */
/** memo: idempotent (the weights of a model's layer kinds, described once per model) */
const WEIGHTS = new WeakMap<ModelSpec, { dense?: LayerWeights; moe?: LayerWeights }>();

/** The weights of one layer of the given kind (the same object for every call: do not mutate it). */
export function layerWeights(m: ModelSpec, kind: LayerSpec['mlp']): LayerWeights {
  let entry = WEIGHTS.get(m);
  if (!entry) WEIGHTS.set(m, (entry = {}));
  return (entry[kind] ??= layerWeightsOnce(m, kind));
}

function layerWeightsOnce(m: ModelSpec, kind: LayerSpec['mlp']): LayerWeights {
  const h = m.hidden;
  const a = m.attention;
  const ms: WeightMatrix[] = [];
  let vectors = m.normsPerLayer * normParams(m);
  if (a.mla) {
    const q = a.mla;
    const dqk = q.qkNopeHeadDim + q.qkRopeHeadDim;
    if (q.qLoraRank !== null) {
      ms.push(mat('q_a', 'attention', q.qLoraRank, h, 'none', 'q_a'), mat('q_b', 'attention', a.heads * dqk, q.qLoraRank, 'column', 'q_b'));
      vectors += q.qLoraRank; // q_a_layernorm
    } else ms.push(mat('q', 'attention', a.heads * dqk, h, 'column', 'q'));
    ms.push(mat('kv_a', 'attention', q.kvLoraRank + q.qkRopeHeadDim, h, 'none', 'kv_a'));
    vectors += q.kvLoraRank; // kv_a_layernorm
    ms.push(mat('kv_b', 'attention', a.heads * (q.qkNopeHeadDim + q.vHeadDim), q.kvLoraRank, 'column', 'kv_b'));
    ms.push(mat('o', 'attention', h, a.heads * q.vHeadDim, 'row', 'o', a.outBias));
  } else {
    const dq = a.heads * a.headDim;
    const dkv = a.kvHeads * a.headDim;
    ms.push(
      mat('q', 'attention', dq, h, 'column', 'qkv', a.qkvBias),
      mat('k', 'attention', dkv, h, 'column', 'qkv', a.qkvBias),
      mat('v', 'attention', dkv, h, 'column', 'qkv', a.qkvBias),
      mat('o', 'attention', h, dq, 'row', 'o', a.outBias),
    );
    if (a.qkNorm === 'per-head') vectors += 2 * a.headDim;
    else if (a.qkNorm === 'full') vectors += dq + dkv;
  }
  if (a.sinks) vectors += a.heads;
  if (m.localizedFiltering) {
    // Yuan 2.0 LFA: causal conv (h -> h/2, kernel 2) then (h/2 -> h, kernel 2), with biases, plus an RMSNorm
    ms.push(mat('lf_conv1', 'attention', h / 2, 2 * h, 'column', 'lf_conv1', true), mat('lf_conv2', 'attention', h, h, 'row', 'lf_conv2', true));
    vectors += h;
  }
  const mlp = (g: WeightGroup, width: number, bias: boolean, count: number, names: [MatrixRole, MatrixRole, MatrixRole]) => {
    const split = g === 'experts' ? 'column' : 'column';
    if (m.mlp.gated) ms.push(mat(names[0], g, width, h, split, `${g}_gate_up`, bias, count));
    ms.push(mat(names[1], g, width, h, split, `${g}_gate_up`, bias, count));
    ms.push(mat(names[2], g, h, width, 'row', `${g}_down`, bias, count));
  };
  if (kind === 'moe' && m.moe) {
    const e = m.moe;
    ms.push(mat('router', 'router', e.experts, h, 'none', 'router', e.routerBias));
    mlp('experts', e.expertIntermediate, e.expertBias, e.experts, ['expert_gate', 'expert_up', 'expert_down']);
    if (e.sharedIntermediate > 0) mlp('shared', e.sharedIntermediate, false, 1, ['shared_gate', 'shared_up', 'shared_down']);
  } else {
    mlp('mlp', m.mlp.intermediate, m.mlp.bias, 1, ['gate', 'up', 'down']);
  }
  return { matrices: ms, vectors };
}

/** Parameters of a matrix (all copies), its bias included. */
export function matrixParams(w: WeightMatrix): number {
  return w.count * (w.out * w.in + (w.bias ? w.out : 0));
}

/** Parameters of a matrix on one device: tensor-split `tp` ways (by its rule) and, for experts, `expertShards` ways in total. */
export function matrixParamsOnDevice(w: WeightMatrix, tp: number, expertShards = 1): number {
  if (w.group === 'experts') return matrixParams(w) / expertShards;
  const full = w.out * w.in;
  if (w.tp === 'none') return full + (w.bias ? w.out : 0);
  // a row-parallel bias is added once, after the reduction, and held by every rank
  const bias = w.bias ? (w.tp === 'column' ? w.out / tp : w.out) : 0;
  return full / tp + bias;
}

/** Counts of each layer kind in the pattern. */
export function patternCounts(m: ModelSpec): { dense: number; moe: number } {
  let moe = 0;
  for (const l of m.pattern) if (l.mlp === 'moe') moe++;
  return { dense: m.pattern.length - moe, moe };
}
