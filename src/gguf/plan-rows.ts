import type { RowRecipe } from './hf-model.js';
import { rowsOf, type TensorSource } from './tensor-source.js';

/**
 * Produces a planned GGUF tensor's rows from the checkpoint, a range at a time (the writer's
 * chunks), applying the recipe: plain rows, llama's per-head rotary permutation of Q/K, stacked
 * experts, or computed values. Reads only the rows it needs (for a permuted tensor, the whole heads
 * covering the range: at most one head of extra rows on each side).
 */
export function recipeRows(recipe: RowRecipe, source: TensorSource): (first: number, count: number) => Float32Array {
  const shapeOf = (name: string) => {
    const t = source.tensors.find((s) => s.name === name);
    if (!t) throw new RangeError(`the checkpoint has no tensor '${name}'`);
    return t.shape;
  };
  switch (recipe.kind) {
    case 'tensor':
      return (first, count) => source.readRows(recipe.hf, first, count);
    case 'values':
      return (first, count) => recipe.data.slice(first * recipe.data.length, (first + count) * recipe.data.length);
    case 'stack': {
      const { rows, cols } = rowsOf(shapeOf(recipe.hf[0]!));
      return (first, count) => {
        const out = new Float32Array(count * cols);
        let r = first;
        while (r < first + count) {
          const e = Math.floor(r / rows);
          const within = r - e * rows;
          const n = Math.min(rows - within, first + count - r);
          out.set(source.readRows(recipe.hf[e]!, within, n), (r - first) * cols);
          r += n;
        }
        return out;
      };
    }
    case 'rope-permute': {
      const shape = shapeOf(recipe.hf);
      if (shape.length === 1) {
        // a bias: one row whose values are permuted
        return (first, count) => {
          const v = source.readRows(recipe.hf, first, count);
          return permuteWithinHeads(v, shape[0]!, recipe.heads, 1);
        };
      }
      const { rows, cols } = rowsOf(shape);
      const hd = rows / recipe.heads;
      if (!Number.isInteger(hd) || hd % 2) throw new RangeError(`'${recipe.hf}': ${rows} rows do not split into ${recipe.heads} heads of an even size`);
      return (first, count) => {
        const h0 = Math.floor(first / hd);
        const h1 = Math.ceil((first + count) / hd);
        const src = source.readRows(recipe.hf, h0 * hd, (h1 - h0) * hd);
        const all = permuteWithinHeads(src, (h1 - h0) * hd, h1 - h0, cols);
        const off = (first - h0 * hd) * cols;
        return all.subarray(off, off + count * cols);
      };
    }
  }
}

/**
 * llama.cpp's LlamaModel.permute on `rows` rows of `cols` values split into `heads` heads:
 * w.reshape(heads, 2, rows/heads/2, cols).swapaxes(1, 2), so output row h*hd + 2a + b is input
 * row h*hd + b*hd/2 + a (the two rotary halves of each head interleaved).
 */
export function permuteWithinHeads(x: Float32Array, rows: number, heads: number, cols: number): Float32Array {
  return moveRows(x, rows, heads, cols, false);
}

/** The inverse of permuteWithinHeads (for checks: un-permute what llama.cpp stores). */
export function unpermuteWithinHeads(x: Float32Array, rows: number, heads: number, cols: number): Float32Array {
  return moveRows(x, rows, heads, cols, true);
}

/** Moves input row h*hd + b*hd/2 + a to output row h*hd + 2a + b (or back, `inverse`). */
function moveRows(x: Float32Array, rows: number, heads: number, cols: number, inverse: boolean): Float32Array {
  const hd = rows / heads;
  const halfHd = hd / 2;
  const out = new Float32Array(rows * cols);
  for (let h = 0; h < heads; h++)
    for (let a = 0; a < halfHd; a++)
      for (let b = 0; b < 2; b++) {
        const interleaved = h * hd + 2 * a + b;
        const split = h * hd + b * halfHd + a;
        const from = inverse ? interleaved : split;
        const to = inverse ? split : interleaved;
        out.set(x.subarray(from * cols, (from + 1) * cols), to * cols);
      }
  return out;
}
