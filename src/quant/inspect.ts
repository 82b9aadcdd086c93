import { Checkpoint } from './safetensors.js';
import { DTYPE_BYTES, type DType } from './dtypes.js';

export interface InspectReport {
  path: string;
  files: number;
  tensors: { name: string; dtype: DType; shape: number[]; bytes: number }[];
  byDtype: { dtype: DType; tensors: number; elements: number; bytes: number }[];
  parameters: number;
  bytes: number;
  metadata: Record<string, string>;
}

/** Summarises a checkpoint from its headers alone (no tensor data is read). */
export function inspectCheckpoint(path: string): InspectReport {
  const ck = new Checkpoint(path);
  try {
    const tensors = ck.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.end - t.begin }));
    const by = new Map<DType, { dtype: DType; tensors: number; elements: number; bytes: number }>();
    for (const t of tensors) {
      const e = by.get(t.dtype) ?? { dtype: t.dtype, tensors: 0, elements: 0, bytes: 0 };
      e.tensors++;
      e.elements += t.bytes / DTYPE_BYTES[t.dtype];
      e.bytes += t.bytes;
      by.set(t.dtype, e);
    }
    const params = tensors.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
    return {
      path,
      files: ck.files.length,
      tensors,
      byDtype: [...by.values()],
      parameters: params,
      bytes: tensors.reduce((s, t) => s + t.bytes, 0),
      metadata: ck.metadata(),
    };
  } finally {
    ck.close();
  }
}
