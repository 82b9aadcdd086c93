/**
 * The float32 sum that PyTorch's CPU backend computes (ATen `native/cpu/SumKernel.cpp`:
 * `cascade_sum` -> `vectorized_inner_sum` -> `row_sum` -> `multi_row_sum`), reproduced bit for
 * bit so that values derived from a `tensor.sum()` or `tensor.mean()` (bitsandbytes' double
 * quantization offset is `absmax.mean()`) match. Accumulation is float32 throughout:
 *
 * - the n values are read as floor(n / W) vectors of W lanes (W = 8 floats on AVX2 and default
 *   builds, 16 on AVX-512) and the rest as scalars;
 * - the vectors are summed as a (-1, 4) array by a four-level cascade: level 0 adds 2^p rows, then
 *   each full level folds into the next, p = max(4, ceilLog2(rows) / 4);
 * - the four partial vectors fold into the first, the scalar tail is summed from 0, then the lanes
 *   of the folded vector are added to it one by one.
 *
 * Only the single-threaded reduction is reproduced: torch splits a reduction of more than
 * 32768 values across its threads, each thread summing its own slice (torch.set_num_threads(1)
 * gives this result). Fewer than W values take the scalar row sum (the same cascade, one lane).
 *
 * Values are pushed in order, a chunk at a time, so the sum streams in O(W) memory.
 */

/** ceil(log2(x)), and 1 for x <= 2 (ATen `utils::CeilLog2`: the bit length of x - 1). */
function ceilLog2(x: number): number {
  if (x <= 2) return 1;
  let v = x - 1;
  let b = 0;
  while (v >= 1) {
    v = Math.floor(v / 2);
    b++;
  }
  return b;
}

export class TorchSumF32 {
  private readonly lanes: number;
  /** fewer values than lanes: the scalar row sum */
  private readonly scalar: boolean;
  /** items: vectors of `lanes` values (or scalars when n < lanes) */
  private readonly items: number;
  private readonly rows: number;
  private readonly fullRows: number;
  private readonly levelPower: number;
  /** acc[level][k][lane] */
  private readonly acc: Float32Array;
  private readonly tail: number[] = [];
  private pushed = 0;
  private merged = false;

  constructor(
    readonly n: number,
    lanes = 8,
  ) {
    this.scalar = n < lanes;
    this.lanes = this.scalar ? 1 : lanes;
    this.items = n >= lanes ? Math.floor(n / lanes) : n;
    this.rows = Math.floor(this.items / 4);
    this.levelPower = Math.max(4, Math.floor(ceilLog2(this.rows) / 4));
    const step = 2 ** this.levelPower;
    this.fullRows = Math.floor(this.rows / step) * step;
    this.acc = new Float32Array(4 * 4 * this.lanes);
  }

  /** Adds the next values of the sequence. */
  push(values: ArrayLike<number>): void {
    const W = this.lanes;
    const rowLen = 4 * W;
    const acc = this.acc;
    const step = 2 ** this.levelPower;
    let i = 0;
    const m = values.length;
    if (this.pushed + m > this.n) throw new RangeError(`more than the ${this.n} values announced`);
    while (i < m) {
      const j = this.pushed;
      const v = Math.floor(j / W);
      const row = v >> 2;
      if (row < this.rows) {
        // fast path: whole rows from a row boundary
        if (j % rowLen === 0 && m - i >= rowLen) {
          let r = row;
          while (r < this.rows && m - i >= rowLen) {
            for (let q = 0; q < rowLen; q++) acc[q] = acc[q]! + values[i + q]!;
            i += rowLen;
            this.pushed += rowLen;
            r++;
            if (r <= this.fullRows && r % step === 0) this.cascade(r);
          }
          continue;
        }
        const k = v & 3;
        const l = j % W;
        acc[k * W + l] = acc[k * W + l]! + values[i]!;
        this.pushed++;
        i++;
        if (k === 3 && l === W - 1 && row + 1 <= this.fullRows && (row + 1) % step === 0) this.cascade(row + 1);
        continue;
      }
      this.mergeLevels();
      if (v < this.items) {
        // the last (fewer than 4) vectors go to partial 0
        const l = j % W;
        acc[l] = acc[l]! + values[i]!;
      } else this.tail.push(values[i]!);
      this.pushed++;
      i++;
    }
  }

  private cascade(i: number): void {
    const W = this.lanes;
    const acc = this.acc;
    const lp = this.levelPower;
    const mask = 2 ** lp - 1;
    for (let j = 1; j < 4; j++) {
      for (let q = 0; q < 4 * W; q++) {
        acc[j * 4 * W + q] = acc[j * 4 * W + q]! + acc[(j - 1) * 4 * W + q]!;
        acc[(j - 1) * 4 * W + q] = 0;
      }
      if (Math.floor(i / 2 ** (j * lp)) % (mask + 1) !== 0) break;
    }
  }

  /** The end of multi_row_sum: levels 1..3 fold into level 0. */
  private mergeLevels(): void {
    if (this.merged) return;
    this.merged = true;
    const W = this.lanes;
    const acc = this.acc;
    for (let j = 1; j < 4; j++) for (let q = 0; q < 4 * W; q++) acc[q] = acc[q]! + acc[j * 4 * W + q]!;
  }

  /** The float32 sum (after all n values were pushed). */
  result(): number {
    if (this.pushed !== this.n) throw new RangeError(`${this.pushed} of ${this.n} values pushed`);
    this.mergeLevels();
    const W = this.lanes;
    const acc = this.acc;
    // row_sum: partials 1..3 fold into partial 0
    const p = new Float32Array(W);
    for (let l = 0; l < W; l++) p[l] = acc[l]!;
    for (let k = 1; k < 4; k++) for (let l = 0; l < W; l++) p[l] = p[l]! + acc[k * W + l]!;
    if (this.scalar) return Math.fround(0 + p[0]!);
    let f = 0;
    for (const t of this.tail) f = Math.fround(f + t);
    for (let l = 0; l < W; l++) f = Math.fround(f + p[l]!);
    return Math.fround(0 + f);
  }
}

/** torch.mean of a float32 tensor on the CPU, single-threaded: the float32 sum divided by float32(n). */
export function torchMeanF32(values: ArrayLike<number>, lanes = 8): number {
  const s = new TorchSumF32(values.length, lanes);
  s.push(values);
  return Math.fround(s.result() / Math.fround(values.length));
}
