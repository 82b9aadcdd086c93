import { toFloat32, type DType } from '../quant/dtypes.js';
import { Checkpoint } from '../checkpoint/safetensors.js';
import { rowsOf, type TensorSource } from './tensor-source.js';

/**
 * TensorSource over a safetensors checkpoint (one file, or a folder with shards and an index),
 * reading only the requested rows of a tensor from disk. The one place that knows Sinan's
 * safetensors reader.
 */

const FLOAT_DTYPES: readonly string[] = ['F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2'];
const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1 };

export function openSafetensorsSource(path: string): TensorSource {
  const ckpt = new Checkpoint(path);
  const tensors = ckpt.tensors.map((t) => ({ name: t.name, dtype: t.dtype as string, shape: t.shape }));
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return {
    tensors,
    files: ckpt.files.map((f) => f.path),
    readRows(name, firstRow, rowCount) {
      const t = byName.get(name);
      const file = ckpt.fileOf(name);
      if (!t || !file) throw new RangeError(`${path}: no tensor named '${name}'`);
      if (!FLOAT_DTYPES.includes(t.dtype)) throw new TypeError(`${file.path}: tensor '${name}' is ${t.dtype}, not a floating-point type`);
      const { rows, cols } = rowsOf(t.shape);
      if (!Number.isInteger(firstRow) || !Number.isInteger(rowCount) || firstRow < 0 || rowCount < 0 || firstRow + rowCount > rows)
        throw new RangeError(`${file.path}: rows ${firstRow}..${firstRow + rowCount - 1} of '${name}' are outside its ${rows} rows`);
      const rowB = cols * BYTES[t.dtype]!;
      return toFloat32(ckpt.readRange(name, firstRow * rowB, rowCount * rowB), t.dtype as DType);
    },
    close() {
      ckpt.close();
    },
  };
}
