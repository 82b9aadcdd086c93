import { storedBytes } from '../formats/weights.js';
import type { KvFormatId } from '../formats/kv.js';
import type { ModelSpec } from '../model/types.js';
import type { MatrixRole } from '../model/weights.js';
import { importance, IMPORTANCE_SOURCE } from './importance.js';
import { resolveFormat } from './resolve.js';
import { fusedGroup, type Target } from './targets.js';
import { typicalKvError } from './typical.js';
import type { Sensitivity, TensorErrors } from './types.js';

/**
 * The accuracy measure and the decision items (pure).
 *
 * What the budget means: D = sum over weight tensors t of w_t * e_t, plus the same for the K and
 * V caches, where e_t = ||W_t - Q(W_t)||^2 / ||W_t||^2 is the tensor's relative squared error
 * (1 / SQNR; with activation statistics, both norms weighted by each input channel's mean
 * square), and w_t = (parameter share of t) x (importance of t) / (the sum of those weights).
 * D is an importance-weighted mean of the tensors' noise-to-signal power ratios: 0 for the
 * model as stored, 0.01 when the weights carry on average a 1% error power (20 dB SQNR; INT4
 * with groups of 128 sits near 0.012 on Gaussian weights, INT8 near 6e-6). The K and V caches count
 * as tensors whose weight is that of the k and v projections that produce them, with the error
 * each cache format leaves on typical keys and values (typical.ts).
 */

export const ACCURACY_MEASURE =
  'importance-weighted mean relative squared error (noise-to-signal power ratio, 1/SQNR) of the weights and the K and V caches; 0 is the model as stored';

/** One decision: a tensor of a layer (or a group of them the loader fuses), with its options. */
export interface Item {
  key: string;
  layer: number;
  roles: MatrixRole[];
  tensors: TensorErrors[];
  /** Normalised weight of the item in D. */
  weight: number;
  options: { format: string; bytes: number; dist: number; ci95: number }[];
}

export interface KvOption {
  keys: KvFormatId;
  values: KvFormatId;
  /** Contribution to D. */
  dist: number;
  errors: { keys: number; values: number };
}

export interface DecisionSpace {
  items: Item[];
  /** Weights of the K and V caches in D. */
  kvWeight: { keys: number; values: number };
  /** Tensors whose values hold NaN or infinity (kept as stored). */
  kept: string[];
}

const BYTES16 = 2;

/** Bytes a tensor takes in `format` as the target's writer stores it ('keep': 16 bits). */
export function tensorBytesIn(target: Target, t: TensorErrors, format: string): number {
  const [out, inF] = t.shape;
  const stored = resolveFormat(target.format, format, out, inF);
  if (stored === 'keep') return BYTES16 * out * inF;
  return storedBytes(stored, out, inF, target.format === 'compressed-tensors' ? { layout: 'compressed-tensors', sym: true } : {});
}

/** The items, options and weights of the measure for a model, its sensitivity and a target. */
export function decisionSpace(m: ModelSpec, sens: Sensitivity, target: Target, formats: readonly string[]): DecisionSpace {
  const L = m.layers;
  const groups = new Map<string, { layer: number; roles: Set<MatrixRole>; tensors: TensorErrors[] }>();
  const kept: string[] = [];
  let params = 0;
  for (const t of sens.tensors) {
    params += t.shape[0] * t.shape[1];
    const g = target.fused ? fusedGroup(t.role) : t.role;
    const key = `${t.layer}/${g}`;
    const x = groups.get(key) ?? { layer: t.layer, roles: new Set<MatrixRole>(), tensors: [] };
    x.roles.add(t.role);
    x.tensors.push(t);
    groups.set(key, x);
    if (t.nonFinite) kept.push(t.name);
  }
  // weights: parameter share x importance, normalised with the K and V caches included
  const raw: { key: string; g: { layer: number; roles: Set<MatrixRole>; tensors: TensorErrors[] }; w: number }[] = [];
  let kParams = 0;
  let vParams = 0;
  let kW = 0;
  let vW = 0;
  for (const [key, g] of groups) {
    let w = 0;
    for (const t of g.tensors) {
      const n = t.shape[0] * t.shape[1];
      const rho = importance(t.role, t.layer, L, t.activations);
      w += (n / params) * rho;
      if (t.role === 'k' || t.role === 'kv_a') {
        kParams += n;
        kW += (n / params) * importance(t.role, t.layer, L);
      }
      if (t.role === 'v' || t.role === 'kv_a') {
        vParams += n;
        vW += (n / params) * importance('v', t.layer, L);
      }
    }
    raw.push({ key, g, w });
  }
  const total = raw.reduce((s, x) => s + x.w, 0) + kW + vW;
  const items: Item[] = raw.map(({ key, g, w }) => {
    const weight = w / total;
    const nonFinite = g.tensors.some((t) => t.nonFinite);
    const opts = ['keep', ...(nonFinite ? [] : formats)];
    const options = opts.map((f) => {
      let bytes = 0;
      let err = 0;
      let ref = 0;
      let var95 = 0;
      for (const t of g.tensors) {
        bytes += tensorBytesIn(target, t, f);
        const e = f === 'keep' ? { rel2: 0, ci95: 0 } : (t.errors[f] ?? { rel2: NaN, ci95: 0 });
        err += e.rel2 * t.reference;
        ref += t.reference;
        var95 += (e.rel2 * t.reference * e.ci95) ** 2;
      }
      const rel = ref > 0 ? err / ref : 0;
      return { format: f, bytes, dist: weight * rel, ci95: err > 0 ? Math.sqrt(var95) / err : 0 };
    });
    // a format the space cannot price (not measured) is no option
    return { key, layer: g.layer, roles: [...g.roles], tensors: g.tensors, weight, options: options.filter((o) => Number.isFinite(o.dist)) };
  });
  return { items, kvWeight: { keys: kParams ? kW / total : 0, values: vParams ? vW / total : 0 }, kept };
}

/** The K/V format pairs a target offers, with their contribution to D (pairs with V finer than K come last: keys are the more sensitive, seed 000). */
export function kvOptions(space: DecisionSpace, target: Target, mla: boolean): KvOption[] {
  const out: KvOption[] = [];
  for (const k of target.kv)
    for (const v of target.kv) {
      if ((!target.kvSplit || mla) && k !== v) continue;
      const ek = typicalKvError(k, 'k');
      const ev = typicalKvError(v, 'v');
      out.push({ keys: k, values: v, dist: space.kvWeight.keys * ek + space.kvWeight.values * ev, errors: { keys: ek, values: ev } });
    }
  return out;
}

export { IMPORTANCE_SOURCE };
