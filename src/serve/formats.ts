import type { Accelerator } from '../hardware/types.js';
import { kvBytesPerElement as kvRegistryBytes, type KvFormatId, type KvOptions } from '../formats/kv.js';
import { computeMode as registryCompute, formatProblem as registryProblem, weightFormat, WEIGHT_FORMAT_IDS, type HardwareCaps } from '../formats/weights.js';

/**
 * Serving's view of the one format registry (src/formats): weight and KV format ids, the bytes a
 * weight of a given shape stores (exactly what `sinan quantize` writes), whether the hardware
 * runs the format, and the tensor-core precision its GEMMs use. No second table of sizes.
 */

export type WeightFormat = string;
export type KvFormat = KvFormatId;
export { WEIGHT_FORMAT_IDS };

const caps = (a: Accelerator): HardwareCaps => ({ id: a.id, fp8: !!a.peakFlops.fp8, fp4: !!a.peakFlops.fp4 });

/** Why `f` cannot run on `a`, or null. */
export function formatProblem(f: WeightFormat, a: Accelerator): string | null {
  return registryProblem(f, caps(a));
}

/** The tensor-core precision a GEMM of this format uses on this accelerator. */
export function computeMode(f: WeightFormat, a: Accelerator): 'bf16' | 'fp8' | 'fp4' {
  return registryCompute(f, caps(a));
}

/**
 * Bytes per element of a weight of shape [out, in] stored in `f`, scales and metadata included;
 * a weight the format cannot store in that shape (packing, a group that does not divide) stays in
 * 16 bits, as the checkpoint engine keeps it.
 */
export function weightBytesPerElement(f: WeightFormat, out: number, inFeatures: number): number {
  if (inFeatures >= 2 ** 26 || out >= 2 ** 26) return storedWeightBytes(f, out, inFeatures) / (out * inFeatures);
  let byShape = PER_ELEMENT.get(f);
  if (!byShape) PER_ELEMENT.set(f, (byShape = new Map()));
  const key = out * 2 ** 26 + inFeatures; // exact and unique for dimensions below 2^26
  let b = byShape.get(key);
  if (b === undefined) byShape.set(key, (b = storedWeightBytes(f, out, inFeatures) / (out * inFeatures)));
  return b;
}

/** memo: idempotent (bytes per element of a format and shape never change); by format, then by shape */
const PER_ELEMENT = new Map<string, Map<number, number>>();

/** The format a weight of this shape is stored in when `f` is asked: `f`, its writer's fallback (GGUF k-quants), or 16 bits. */
export function storedFormat(f: WeightFormat, out: number, inFeatures: number): WeightFormat {
  let id: string | undefined = f;
  for (let hops = 0; id && hops < 4; hops++) {
    const spec = weightFormat(id);
    if (!spec) throw new RangeError(`unknown weight format '${id}'`);
    if (!spec.shapeProblem(out, inFeatures)) return id;
    id = spec.fallback;
  }
  return 'bf16';
}

/** Exact bytes of a weight of shape [out, in] asked in `f` (after the shape fallbacks of storedFormat). */
export function storedWeightBytes(f: WeightFormat, out: number, inFeatures: number): number {
  return weightFormat(storedFormat(f, out, inFeatures))!
    .tensors(out, inFeatures)
    .reduce((s, t) => s + t.bytes, 0);
}

/** Bytes per KV element as the KIVI codec stores it (groups of 32 with an fp16 scale and minimum). */
export function kvBytesPerElement(f: KvFormat, o: KvOptions = {}): number {
  return kvRegistryBytes(f, o);
}
