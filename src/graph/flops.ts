import type { LayerSpec, ModelSpec } from '../model/types.js';
import { buildHead } from './head.js';
import { buildLayer } from './layer.js';
import type { KernelTraits, Split } from './types.js';

/** The distinct kinds of layer in a model, with how many layers of each kind. */
export interface LayerClass {
  spec: LayerSpec;
  count: number;
}

export function layerClasses(m: ModelSpec): readonly LayerClass[] {
  let out = CLASSES.get(m);
  if (!out) {
    const list: LayerClass[] = [];
    for (const l of m.pattern) {
      const c = list.find((x) => x.spec.mlp === l.mlp && x.spec.attention === l.attention);
      if (c) c.count++;
      else list.push({ spec: l, count: 1 });
    }
    CLASSES.set(m, (out = Object.freeze(list.map((c) => Object.freeze(c)))));
  }
  return out;
}

/** memo: idempotent (a model's layer classes never change; ModelSpec is immutable) */
const CLASSES = new WeakMap<ModelSpec, readonly LayerClass[]>();

/** The class (index into layerClasses) of each layer of the model, in order. */
export function layerClassOrder(m: ModelSpec): readonly number[] {
  let out = ORDER.get(m);
  if (!out) {
    const classes = layerClasses(m);
    ORDER.set(m, (out = Object.freeze(m.pattern.map((l) => classes.findIndex((c) => c.spec.mlp === l.mlp && c.spec.attention === l.attention)))));
  }
  return out;
}

/** memo: idempotent (as CLASSES) */
const ORDER = new WeakMap<ModelSpec, readonly number[]>();

const ONE: Split = { tp: 1, cp: 1, ep: 1, etp: 1, moeTokenReplicas: 1, sp: false };
const PLAIN: KernelTraits = { decodeAttention: 'grouped', elementwiseKernelsPerLayer: 0, attention: 'fused' };

/**
 * Model FLOPs per token (forward + backward = 3x forward, causal attention counted as the
 * pairs it computes): matrix multiplies of every active parameter incl. the output head, plus
 * core attention. Independent of the split.
 */
export function modelFlopsPerToken(m: ModelSpec, seq: number): number {
  const load = { segments: [{ seqs: 1, newTokens: seq, pastTokens: 0 }], training: true };
  const num = { gemm: 'bf16' as const, weightBytes: () => 2, kvBytes: 2 };
  let fwd = 0;
  for (const c of layerClasses(m)) {
    const g = buildLayer(m, c.spec, ONE, load, num, PLAIN);
    let f = g.attention.flops;
    for (const x of g.gemms) f += 2 * x.m * x.n * x.k * x.count;
    fwd += (f / seq) * c.count;
  }
  for (const x of buildHead(m, ONE, load).gemms) fwd += (2 * x.m * x.n * x.k) / seq;
  return 3 * fwd;
}
