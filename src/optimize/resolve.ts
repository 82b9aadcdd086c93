import { weightFormat } from '../formats/weights.js';
import type { OutputFormat } from './targets.js';

/**
 * What the writer of an output format stores for a weight of shape [out, in] when `format` is
 * asked: the format, its fallback when the shape does not fit it (GGUF k-quants, as llama.cpp),
 * or 'keep' (the source precision, as the checkpoint engine keeps shapes a format cannot store).
 * compressed-tensors writes INT4/INT8 pack-quantized and symmetric.
 */
export function resolveFormat(target: OutputFormat, format: string, out: number, inFeatures: number): string {
  if (format === 'keep' || format === 'bf16' || format === 'fp16') return 'keep';
  let id: string | undefined = format;
  for (let hops = 0; id && hops < 4; hops++) {
    const f = weightFormat(id);
    if (!f) throw new RangeError(`unknown weight format '${id}'`);
    const o = target === 'compressed-tensors' ? { layout: 'compressed-tensors' as const, sym: true } : {};
    if (!f.shapeProblem(out, inFeatures, o)) return id;
    id = f.fallback;
  }
  return 'keep';
}
