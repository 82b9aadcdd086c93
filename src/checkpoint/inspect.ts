import { closeSync } from 'node:fs';
import { DTYPE_BITS, type DType } from '../quant/dtypes.js';
import { isContainer } from './container-format.js';
import { readContainer } from './container.js';
import { openRegular, pathKind, readExact } from './files.js';
import { countParameters, type DetectedQuantization, type SmallTensorReader } from './quant-layout.js';
import { Checkpoint, type TensorInfo } from './safetensors.js';

export interface InspectReport {
  path: string;
  /** 'safetensors', or 'sinan-container' for sinan compress output (its original tensors are listed). */
  kind: 'safetensors' | 'sinan-container';
  files: number;
  tensors: { name: string; dtype: DType; shape: number[]; bytes: number }[];
  byDtype: { dtype: DType; tensors: number; elements: number; bytes: number }[];
  /**
   * Parameters of the model: every tensor's elements, except that a quantized layer counts its
   * real [out, in] and quantization state (scales, zero points, maps) is not counted. Null when
   * the quantization layout does not give it (`parametersUnknownBecause` says why).
   */
  parameters: number | null;
  parametersUnknownBecause: string | null;
  /** Elements as stored (packed codes and scales included). */
  storedElements: number;
  /** The quantization detected (Sinan's sinan_format, and each layout with its layers), or null for an unquantized checkpoint. */
  quantization: DetectedQuantization | null;
  bytes: number;
  metadata: Record<string, string>;
}

function summarise(
  path: string,
  kind: InspectReport['kind'],
  files: number,
  list: TensorInfo[],
  metadata: Record<string, string>,
  read: SmallTensorReader,
): InspectReport {
  const tensors = list.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.end - t.begin }));
  const by = new Map<DType, { dtype: DType; tensors: number; elements: number; bytes: number }>();
  for (const t of tensors) {
    const e = by.get(t.dtype) ?? { dtype: t.dtype, tensors: 0, elements: 0, bytes: 0 };
    e.tensors++;
    e.elements += (t.bytes * 8) / DTYPE_BITS[t.dtype];
    e.bytes += t.bytes;
    by.set(t.dtype, e);
  }
  const stored = tensors.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
  const count = countParameters(list, metadata, read);
  return {
    path,
    kind,
    files,
    tensors,
    byDtype: [...by.values()],
    parameters: count.parameters,
    parametersUnknownBecause: count.unknownBecause,
    storedElements: stored,
    quantization: count.quantization,
    bytes: tensors.reduce((s, t) => s + t.bytes, 0),
    metadata,
  };
}

/**
 * Summarises a checkpoint (or a lossless container) from its headers; of the tensor data, only
 * the few small tensors of a quantized checkpoint whose values hold a layer's shape are read
 * (quant-layout.ts; at most 64 KiB each).
 */
export function inspectCheckpoint(path: string): InspectReport {
  if (pathKind(path) === 'file') {
    const { fd, size } = openRegular(path);
    try {
      const head = new Uint8Array(8);
      if (size >= 8) readExact(fd, head, 0, path, () => 'its first bytes');
      if (size >= 8 && isContainer(head)) {
        const info = readContainer(fd, path, size);
        return summarise(path, 'sinan-container', 1, info.tensors, {}, () => null);
      }
    } finally {
      closeSync(fd);
    }
  }
  const ck = new Checkpoint(path);
  try {
    return summarise(path, 'safetensors', ck.files.length, ck.tensors, ck.metadata(), (t) => ck.read(t.name));
  } finally {
    ck.close();
  }
}
