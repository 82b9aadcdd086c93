import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isQuantizable, quantizedTensors, type QuantFormat } from './convert.js';
import { DTYPE_BYTES, toFloat32 } from './dtypes.js';
import { Checkpoint, writeSafetensors, type TensorInfo, type TensorToWrite } from './safetensors.js';

/**
 * Mixed precision under a byte budget (seed 000's "optimization manager", weight side):
 * measure every quantizable tensor's error in every candidate format, then choose one
 * format per tensor minimising the total squared error subject to the budget - a
 * multiple-choice knapsack, solved exactly by enumeration when small and by Lagrangian
 * relaxation plus greedy repair otherwise.
 */

export type MixedFormat = 'keep' | QuantFormat;
export const DEFAULT_CANDIDATES: MixedFormat[] = ['keep', 'fp8', 'int8', 'nf4', 'int4'];

export interface Option {
  format: MixedFormat;
  bytes: number;
  /** Sum of squared errors over the tensor's elements. */
  distortion: number;
}

export interface Allocation {
  choice: number[];
  bytes: number;
  distortion: number;
  exact: boolean;
}

function totals(options: Option[][], choice: number[]): { bytes: number; distortion: number } {
  let bytes = 0;
  let distortion = 0;
  for (let i = 0; i < options.length; i++) {
    bytes += options[i]![choice[i]!]!.bytes;
    distortion += options[i]![choice[i]!]!.distortion;
  }
  return { bytes, distortion };
}

/** Picks one option per item minimising total distortion with total bytes <= budget (null if impossible). */
export function allocate(options: Option[][], budget: number): Allocation | null {
  const minBytes = options.reduce((s, o) => s + Math.min(...o.map((x) => x.bytes)), 0);
  if (minBytes > budget) return null;
  let space = 1;
  for (const o of options) space *= o.length;
  if (space <= 200_000) {
    // exact: enumerate every combination
    const choice = new Array<number>(options.length).fill(0);
    let best: number[] | null = null;
    let bestD = Infinity;
    const rec = (i: number, bytes: number, d: number) => {
      if (bytes > budget || d >= bestD) return;
      if (i === options.length) {
        bestD = d;
        best = choice.slice();
        return;
      }
      for (let k = 0; k < options[i]!.length; k++) {
        choice[i] = k;
        rec(i + 1, bytes + options[i]![k]!.bytes, d + options[i]![k]!.distortion);
      }
    };
    rec(0, 0, 0);
    const c = best as number[] | null;
    if (!c) return null;
    return { choice: c, ...totals(options, c), exact: true };
  }
  // Lagrangian relaxation: each item minimises D + lambda * B; bisect lambda to meet the budget
  const pick = (lambda: number) =>
    options.map((o) => {
      let bi = 0;
      let bv = Infinity;
      for (let k = 0; k < o.length; k++) {
        const v = o[k]!.distortion + lambda * o[k]!.bytes;
        if (v < bv || (v === bv && o[k]!.bytes < o[bi]!.bytes)) [bi, bv] = [k, v];
      }
      return bi;
    });
  let lo = 0;
  let hi = 1;
  while (totals(options, pick(hi)).bytes > budget && hi < 1e30) hi *= 4;
  for (let it = 0; it < 100; it++) {
    const mid = (lo + hi) / 2;
    if (totals(options, pick(mid)).bytes > budget) lo = mid;
    else hi = mid;
  }
  const choice = pick(hi);
  // greedy repair: spend what is left on the upgrades with the best distortion saved per byte
  let { bytes } = totals(options, choice);
  for (;;) {
    let best = -1;
    let bestK = -1;
    let bestRate = 0;
    for (let i = 0; i < options.length; i++) {
      const cur = options[i]![choice[i]!]!;
      for (let k = 0; k < options[i]!.length; k++) {
        const o = options[i]![k]!;
        const dB = o.bytes - cur.bytes;
        const dD = cur.distortion - o.distortion;
        if (dD <= 0 || bytes + Math.max(0, dB) > budget) continue;
        const rate = dB <= 0 ? Infinity : dD / dB;
        if (rate > bestRate) [best, bestK, bestRate] = [i, k, rate];
      }
    }
    if (best < 0) break;
    bytes += options[best]![bestK]!.bytes - options[best]![choice[best]!]!.bytes;
    choice[best] = bestK;
  }
  return { choice, ...totals(options, choice), exact: false };
}

export interface MixedReport {
  input: string;
  output: string;
  budgetBytes: number;
  bytesIn: number;
  bytesOut: number;
  exact: boolean;
  tensors: {
    name: string;
    shape: number[];
    format: MixedFormat;
    bytes: number;
    relativeRmse: number;
    options: { format: MixedFormat; bytes: number; relativeRmse: number }[];
  }[];
}

export class BudgetError extends Error {}

/** Parses '40GB', '500 MB', '1.5GiB' or a plain byte count. */
export function parseBytes(s: string): number | null {
  const m = /^\s*([\d.]+(?:e\d+)?)\s*([kmgt]?i?b?)?\s*$/i.exec(s);
  if (!m) return null;
  const v = Number(m[1]);
  const u = (m[2] ?? '').toLowerCase();
  const p = { '': 0, k: 1, m: 2, g: 3, t: 4 }[u.replace(/i?b$/, '') as '' | 'k' | 'm' | 'g' | 't'];
  if (!Number.isFinite(v) || p === undefined) return null;
  return v * (u.includes('i') ? 1024 : 1000) ** p;
}

export function mixedPrecision(
  input: string,
  output: string,
  budgetBytes: number,
  candidates: MixedFormat[] = DEFAULT_CANDIDATES,
  onProgress?: (done: number, total: number) => void,
): MixedReport {
  const ck = new Checkpoint(input);
  try {
    const all = ck.tensors;
    const quantizable = all.filter((t) => isQuantizable(t));
    const fixed = all.filter((t) => !quantizable.includes(t));
    const fixedBytes = fixed.reduce((s, t) => s + (t.end - t.begin), 0);
    const options: Option[][] = [];
    const norms: number[] = [];
    let done = 0;
    for (const t of quantizable) {
      const x = toFloat32(ck.read(t.name), t.dtype);
      let norm = 0;
      for (let i = 0; i < x.length; i++) norm += x[i]! ** 2;
      norms.push(norm);
      const opts: Option[] = [];
      for (const f of candidates) {
        if (f === 'keep') {
          opts.push({ format: 'keep', bytes: t.end - t.begin, distortion: 0 });
          continue;
        }
        const [, cols] = t.shape as [number, number];
        if ((f === 'int4' || f === 'int8') && (cols % 8 !== 0 || t.shape[0]! % 8 !== 0)) continue; // GPTQ packing needs multiples of 8
        let d = 0;
        const q = quantizedTensors(
          t,
          f,
          {},
          () => x,
          (a, b) => {
            for (let i = 0; i < a.length; i++) d += (a[i]! - b[i]!) ** 2;
          },
        );
        for (const tt of q.tensors) if (typeof tt.data === 'function') tt.data(); // runs the quantizer once
        opts.push({ format: f, bytes: q.bytes, distortion: d });
      }
      options.push(opts);
      onProgress?.(++done, quantizable.length);
    }
    const alloc = allocate(options, budgetBytes - fixedBytes);
    if (!alloc) {
      const min = fixedBytes + options.reduce((s, o) => s + Math.min(...o.map((x) => x.bytes)), 0);
      throw new BudgetError(
        `the budget of ${budgetBytes} bytes is below the smallest this checkpoint can be with these formats: ${min} bytes (${fixedBytes} of it in embeddings, head and norms kept at full precision)`,
      );
    }
    const chosen = new Map<string, MixedFormat>();
    quantizable.forEach((t, i) => chosen.set(t.name, options[i]![alloc.choice[i]!]!.format));
    const out: TensorToWrite[] = [];
    for (const t of all) {
      const f = chosen.get(t.name) ?? 'keep';
      if (f === 'keep') out.push({ name: t.name, dtype: t.dtype, shape: t.shape, data: () => ck.read(t.name) });
      else
        out.push(
          ...quantizedTensors(
            t as TensorInfo,
            f,
            {},
            () => toFloat32(ck.read(t.name), t.dtype),
            () => {},
          ).tensors,
        );
    }
    const outFile = output.endsWith('.safetensors') ? output : join(output, 'model.safetensors');
    mkdirSync(dirname(outFile), { recursive: true });
    writeSafetensors(outFile, out, { format: 'pt', quantized_by: 'sinan', sinan_mixed_plan: JSON.stringify(Object.fromEntries(chosen)) });
    const bytesIn = all.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype], 0);
    return {
      input,
      output: outFile,
      budgetBytes,
      bytesIn,
      bytesOut: fixedBytes + alloc.bytes,
      exact: alloc.exact,
      tensors: quantizable.map((t, i) => {
        const o = options[i]![alloc.choice[i]!]!;
        const rel = (d: number) => (norms[i]! > 0 ? Math.sqrt(d / norms[i]!) : 0);
        return {
          name: t.name,
          shape: t.shape,
          format: o.format,
          bytes: o.bytes,
          relativeRmse: rel(o.distortion),
          options: options[i]!.map((x) => ({ format: x.format, bytes: x.bytes, relativeRmse: rel(x.distortion) })),
        };
      }),
    };
  } finally {
    ck.close();
  }
}
