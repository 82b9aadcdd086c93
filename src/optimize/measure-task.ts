import { readExact } from '../checkpoint/files.js';
import type { FileCache, SourceRange } from '../checkpoint/tasks.js';
import { toFloat32Checked } from '../quant/dtypes.js';
import { createMeasurer, type Measurer, type Source } from './codecs.js';

/**
 * One unit of the measurement pass, as plain data so a worker thread or the main thread runs it:
 * read a range of whole rows of one tensor, once, and from it (1) the sum of squares of every
 * value (weighted per input column by activation statistics when given), (2) the histogram of the
 * byte lossless compression codes (the BF16 exponent, the FP16 high byte), (3) the error of every
 * candidate format on the sampled units inside the range.
 */
export interface MeasureTask {
  kind: 'optimize-measure';
  src: SourceRange;
  source: Source;
  cols: number;
  /** First row of the range in the tensor, and rows in it. */
  row0: number;
  rows: number;
  unitRows: number;
  /** First rows (in the tensor) of the sampled units inside the range. */
  units: number[];
  /** Stored formats to measure. */
  formats: string[];
  colWeights: Float32Array | null;
}

export interface MeasureResult {
  ref: number;
  /** 256 counts of the coded byte (16-bit sources), or null. */
  hist: Uint32Array | null;
  /** Index of the first NaN or infinity in the range, or -1. */
  nonFinite: number;
  /** Per sampled unit: its sum of squares, and its error in each format (units x formats, row-major). */
  unitRef: Float64Array;
  unitErr: Float64Array;
}

/** memo: one measurer per thread (its scratch buffers), created on first use */
let MEASURER: Measurer | null = null;

export function runMeasure(files: FileCache, t: MeasureTask): MeasureResult {
  const width = t.source === 'F32' ? 4 : 2;
  const raw = files.scratch('measure-raw', t.src.length);
  readExact(files.reader(t.src.path), raw, t.src.position, t.src.path, () => `tensor ${JSON.stringify(t.src.tensor.slice(0, 100))}`);
  const n = t.rows * t.cols;
  const x = files.floats('measure-x', n);
  const bad = toFloat32Checked(raw, t.source, x);
  const unitRef = new Float64Array(t.units.length);
  const unitErr = new Float64Array(t.units.length * t.formats.length);
  if (bad >= 0) return { ref: 0, hist: null, nonFinite: bad, unitRef, unitErr };
  const w = t.colWeights;
  let ref = 0;
  if (w)
    for (let r = 0; r < t.rows; r++) {
      const o = r * t.cols;
      for (let c = 0; c < t.cols; c++) ref += x[o + c]! * x[o + c]! * w[c]!;
    }
  else for (let i = 0; i < n; i++) ref += x[i]! * x[i]!;
  let hist: Uint32Array | null = null;
  if (width === 2) {
    hist = new Uint32Array(256);
    if (t.source === 'BF16') for (let i = 0; i < n; i++) hist[((raw[2 * i + 1]! & 0x7f) << 1) | (raw[2 * i]! >>> 7)]!++;
    else for (let i = 0; i < n; i++) hist[raw[2 * i + 1]!]!++;
  }
  MEASURER ??= createMeasurer();
  const m = MEASURER;
  const ur = t.unitRows;
  t.units.forEach((u, k) => {
    const r0 = u - t.row0;
    const rows = Math.min(ur, t.rows - r0);
    const xs = x.subarray(r0 * t.cols, (r0 + rows) * t.cols);
    const rs = width === 2 ? raw.subarray(r0 * t.cols * 2, (r0 + rows) * t.cols * 2) : null;
    let s = 0;
    if (w) for (let r = 0; r < rows; r++) for (let c = 0; c < t.cols; c++) s += xs[r * t.cols + c]! * xs[r * t.cols + c]! * w[c]!;
    else for (let i = 0; i < xs.length; i++) s += xs[i]! * xs[i]!;
    unitRef[k] = s;
    t.formats.forEach((f, j) => (unitErr[k * t.formats.length + j] = m.sqErr(f, xs, rs, rows, t.cols, t.source, w)));
  });
  return { ref, hist, nonFinite: -1, unitRef, unitErr };
}
