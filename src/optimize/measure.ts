import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointError } from '../checkpoint/errors.js';
import { Pool } from '../checkpoint/pool.js';
import { Checkpoint, SafetensorsFile, type TensorInfo } from '../checkpoint/safetensors.js';
import { sourceOf } from '../checkpoint/writer.js';
import { bf16ToF32, f16ToF32 } from '../quant/dtypes.js';
import { codeLengths } from '../quant/huffman.js';
import type { ModelSpec } from '../model/types.js';
import { unitRows, type Source } from './codecs.js';
import { runOptimizeTask } from './dispatch.js';
import type { MeasureResult, MeasureTask } from './measure-task.js';
import { resolveFormat } from './resolve.js';
import { CONFIDENCE, ratioEstimate, sampledUnits } from './sampling.js';
import { parseTensorName } from './tensors.js';
import type { OutputFormat } from './targets.js';
import type { Sensitivity, TensorErrors } from './types.js';

/**
 * The measurement pass over a real checkpoint (I/O shell around measure-task.ts): every weight
 * tensor the optimizer decides on is read once, a bounded range of whole rows at a time, by the
 * worker pool; each range yields the sum of squares, the histogram lossless compression codes and
 * the errors of every candidate format on the sampled rows inside it (sampling.ts). Memory is a
 * few ranges per worker (16 MiB of float32 each) whatever the checkpoint's size.
 */

/** Values per range: 4 M (8 MB of BF16 read, 16 MB as float32). */
const RANGE_ELEMENTS = 1 << 22;

export interface MeasureOptions {
  workers?: number;
  /** Measure every row (no sampling). */
  exact?: boolean;
  /** A safetensors file of per-input-channel mean squared activations, one 1-D tensor per weight name (llama.cpp imatrix's in_sum2 / counts). */
  activations?: string;
  onProgress?: (done: number, total: number) => void;
}

const here = dirname(fileURLToPath(import.meta.url));

/** The lossless container's size for a 16-bit tensor, from the coded byte's histogram: raw byte + Huffman codes (the container's own code lengths) + table. */
export function losslessRatio(hist: ArrayLike<number>, elements: number): number {
  const len = codeLengths(hist);
  let bits = 0;
  for (let s = 0; s < 256; s++) bits += hist[s]! * len[s]!;
  return (elements + Math.ceil(bits / 8) + 12 + 160) / (2 * elements);
}

function readActivations(path: string): Map<string, Float32Array> {
  const f = new SafetensorsFile(path);
  try {
    const out = new Map<string, Float32Array>();
    for (const t of f.tensors) {
      if (t.shape.length !== 1)
        throw new CheckpointError('invalid_file', `activation statistics: tensor ${t.name} must be 1-D (one mean square per input channel)`, path);
      const b = f.read(t.name);
      const n = t.shape[0]!;
      const v = new Float32Array(n);
      if (t.dtype === 'F32') v.set(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + 4 * n)));
      else if (t.dtype === 'BF16' || t.dtype === 'F16')
        for (let i = 0; i < n; i++) v[i] = (t.dtype === 'BF16' ? bf16ToF32 : f16ToF32)(b[2 * i]! | (b[2 * i + 1]! << 8));
      else throw new CheckpointError('invalid_file', `activation statistics: tensor ${t.name} is ${t.dtype}; F32, BF16 or F16 expected`, path);
      for (let i = 0; i < n; i++)
        if (!(v[i]! >= 0) || !Number.isFinite(v[i]!))
          throw new CheckpointError('invalid_file', `activation statistics: tensor ${t.name} holds a negative or non-finite mean square at ${i}`, path);
      out.set(t.name.replace(/\.(in_sum2|weight)$/, '.weight'), v);
    }
    return out;
  } finally {
    f.close();
  }
}

interface Acc {
  t: TensorInfo;
  layer: number;
  role: TensorErrors['role'];
  formats: string[];
  units: number;
  ref: number;
  hist: Float64Array | null;
  nonFinite: boolean;
  unitRef: number[];
  unitErr: number[][];
  sampledRows: number;
  weights: Float32Array | null;
}

/** Measures a checkpoint folder (or file) for the optimizer: one streaming pass, bounded memory. */
export async function measureCheckpoint(
  path: string,
  model: ModelSpec,
  target: OutputFormat,
  formats: readonly string[],
  o: MeasureOptions = {},
): Promise<Sensitivity> {
  const t0 = performance.now();
  const ck = new Checkpoint(path);
  const workers = Math.max(1, o.workers ?? availableParallelism());
  const pool = new Pool(workers, { worker: { module: join(here, 'worker'), run: runOptimizeTask as never } });
  let peak = process.memoryUsage().rss;
  try {
    const act = o.activations ? readActivations(o.activations) : null;
    const notes: string[] = [];
    const accs: Acc[] = [];
    const skipped: string[] = [];
    for (const t of ck.tensors) {
      const p = parseTensorName(t.name);
      if (!p) continue;
      if (t.shape.length !== 2 || !['BF16', 'F16', 'F32'].includes(t.dtype)) {
        skipped.push(t.name);
        continue;
      }
      if (p.layer >= model.layers)
        throw new CheckpointError('invalid_file', `tensor ${t.name} is in layer ${p.layer}, but config.json has ${model.layers} layers`, path);
      const [rows, cols] = t.shape as [number, number];
      const stored = [...new Set(formats.map((f) => resolveFormat(target, f, rows, cols)).filter((f) => f !== 'keep'))];
      const ur = unitRows(cols);
      const units = Math.floor(rows / ur);
      const w = act?.get(t.name) ?? null;
      if (w && w.length !== cols)
        throw new CheckpointError(
          'invalid_file',
          `activation statistics for ${t.name} have ${w.length} channels; the weight has ${cols} inputs`,
          o.activations,
        );
      accs.push({
        t,
        layer: p.layer,
        role: p.role,
        formats: stored,
        units,
        ref: 0,
        hist: t.dtype === 'F32' ? null : new Float64Array(256),
        nonFinite: false,
        unitRef: [],
        unitErr: stored.map(() => []),
        sampledRows: 0,
        weights: w,
      });
    }
    if (!accs.length)
      throw new CheckpointError(
        'nothing_to_do',
        'no linear weights of transformer blocks (model.layers.N.*_proj.weight, 2-D BF16/F16/F32) in this checkpoint',
        path,
      );
    if (skipped.length) notes.push(`${skipped.length} block weight(s) kept as stored (not 2-D BF16/F16/F32): ${skipped.slice(0, 3).join(', ')}`);
    if (act) {
      const covered = accs.filter((a) => a.weights).length;
      notes.push(`activation statistics (${o.activations}) weight the errors of ${covered} of ${accs.length} tensors by each input channel's mean square`);
    }
    let sampledElements = 0;
    let elements = 0;
    function* tasks(): Generator<MeasureTask & { acc: Acc }> {
      for (const a of accs) {
        const [rows, cols] = a.t.shape as [number, number];
        const width = a.t.dtype === 'F32' ? 4 : 2;
        const ur = unitRows(cols);
        const sampled = sampledUnits(a.units, a.t.name, o.exact);
        a.sampledRows = sampled.length * ur;
        sampledElements += sampled.length * ur * cols;
        elements += rows * cols;
        const step = Math.max(ur, Math.floor(RANGE_ELEMENTS / cols / ur) * ur);
        let k = 0;
        for (let r0 = 0; r0 < rows; r0 += step) {
          const r1 = Math.min(rows, r0 + step);
          const units: number[] = [];
          while (k < sampled.length && sampled[k]! * ur < r1) units.push(sampled[k++]! * ur);
          yield {
            kind: 'optimize-measure',
            src: sourceOf(ck, a.t, r0 * cols * width, (r1 - r0) * cols * width),
            source: a.t.dtype as Source,
            cols,
            row0: r0,
            rows: r1 - r0,
            unitRows: ur,
            units,
            formats: a.formats,
            colWeights: a.weights,
            acc: a,
          };
        }
      }
    }
    let total = 0;
    for (const a of accs)
      total += Math.ceil(
        a.t.shape[0]! / Math.max(unitRows(a.t.shape[1]!), Math.floor(RANGE_ELEMENTS / a.t.shape[1]! / unitRows(a.t.shape[1]!)) * unitRows(a.t.shape[1]!)),
      );
    let done = 0;
    await pool.runAll(tasks(), (task, r: MeasureResult) => {
      const a = task.acc;
      if (r.nonFinite >= 0) a.nonFinite = true;
      a.ref += r.ref;
      if (r.hist && a.hist) for (let s = 0; s < 256; s++) a.hist[s] = a.hist[s]! + r.hist[s]!;
      for (let k = 0; k < r.unitRef.length; k++) {
        a.unitRef.push(r.unitRef[k]!);
        for (let j = 0; j < a.formats.length; j++) a.unitErr[j]!.push(r.unitErr[k * a.formats.length + j]!);
      }
      peak = Math.max(peak, process.memoryUsage().rss);
      o.onProgress?.(++done, total);
    });
    const tensors: TensorErrors[] = accs.map((a) => {
      const [rows, cols] = a.t.shape as [number, number];
      const errors: TensorErrors['errors'] = {};
      for (const f of formats) {
        const stored = resolveFormat(target, f, rows, cols);
        if (stored === 'keep') {
          errors[f] = { rel2: 0, ci95: 0 };
          continue;
        }
        const j = a.formats.indexOf(stored);
        const est = ratioEstimate(a.unitErr[j]!, a.unitRef, a.units);
        errors[f] = { rel2: est.ratio, ci95: est.ci95 };
      }
      return {
        name: a.t.name,
        layer: a.layer,
        role: a.role,
        shape: [rows, cols],
        dtype: a.t.dtype as TensorErrors['dtype'],
        reference: a.ref,
        errors,
        sampled: rows > 0 ? Math.min(1, a.sampledRows / rows) : 0,
        lossless: a.hist ? losslessRatio(a.hist, rows * cols) : null,
        nonFinite: a.nonFinite,
        activations: a.weights !== null,
      };
    });
    const bytesRead = accs.reduce((s, a) => s + (a.t.end - a.t.begin), 0);
    notes.unshift(
      `measured on the checkpoint's values: ${tensors.length} tensors read once (${(bytesRead / 1e9).toFixed(2)} GB), every candidate format on ${((100 * sampledElements) / Math.max(1, elements)).toFixed(1)}% of the rows${o.exact ? ' (every row: exact)' : ` (${CONFIDENCE})`}; lossless ratios from each tensor's exponent histogram with the container's Huffman code lengths`,
    );
    return {
      source: 'measured',
      tensors,
      notes,
      pass: {
        bytesRead,
        seconds: (performance.now() - t0) / 1000,
        workers: pool.size,
        peakRssBytes: peak,
        sampledShare: sampledElements / Math.max(1, elements),
      },
    };
  } finally {
    ck.close();
    await pool.close();
  }
}
