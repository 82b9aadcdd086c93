/**
 * Where the GGUF writer reads checkpoint tensors from: a list of tensors and ranged row reads
 * converted to float32. A "row" is the last (fastest) dimension of the tensor, so a PyTorch
 * [out, in] weight has `out` rows of `in` values and a 1-D tensor is one row. The safetensors
 * adapter (safetensors-source.ts) is the only file that knows the checkpoint reader.
 */
export interface SourceTensor {
  name: string;
  /** The stored element type (safetensors spelling: BF16, F16, F32, ...). */
  dtype: string;
  /** PyTorch order, slowest first. */
  shape: readonly number[];
}

export interface TensorSource {
  readonly tensors: readonly SourceTensor[];
  /** The files the tensors live in (a writer must never overwrite them). */
  readonly files: readonly string[];
  /** Rows firstRow .. firstRow+rowCount-1 as float32, row-major. */
  readRows(name: string, firstRow: number, rowCount: number): Float32Array;
  close(): void;
}

/** Rows and row length of a tensor viewed as a matrix of its last dimension. */
export function rowsOf(shape: readonly number[]): { rows: number; cols: number } {
  if (!shape.length) return { rows: 1, cols: 1 };
  const cols = shape[shape.length - 1]!;
  let rows = 1;
  for (let i = 0; i < shape.length - 1; i++) rows *= shape[i]!;
  return { rows, cols };
}

/** A source over float32 arrays held in memory (tests, generated tensors). */
export function memorySource(tensors: Record<string, { shape: number[]; data: Float32Array }>): TensorSource {
  return {
    tensors: Object.entries(tensors).map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape })),
    files: [],
    readRows(name, firstRow, rowCount) {
      const t = tensors[name];
      if (!t) throw new RangeError(`no tensor named '${name}'`);
      const { rows, cols } = rowsOf(t.shape);
      if (firstRow < 0 || firstRow + rowCount > rows)
        throw new RangeError(`rows ${firstRow}..${firstRow + rowCount - 1} of '${name}' are outside its ${rows} rows`);
      return t.data.slice(firstRow * cols, (firstRow + rowCount) * cols);
    },
    close() {},
  };
}
