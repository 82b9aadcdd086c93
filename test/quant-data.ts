import { f32ToBf16, f32ToF16 } from '../src/quant/dtypes.js';
/**
 * Test data shared by the quantizer tests: seeded standard-normal samples (an LCG driving the
 * Box-Muller transform, both outputs of each pair used) and the relative RMSE the reference
 * error tables in research/quant-specs.md are given in.
 */
export function gaussian(n: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const m = Math.sqrt(-2 * Math.log(r()));
    const t = 2 * Math.PI * r();
    out[i] = m * Math.cos(t);
    if (i + 1 < n) out[i + 1] = m * Math.sin(t);
  }
  return out;
}

/** n 16-bit values (little-endian bytes) like trained weights: normal with deviation `std`, in BF16 or FP16. */
export function trainedLike(n: number, std: number, kind: 'bf16' | 'fp16', seed = 5): Uint8Array {
  let s = seed >>> 0;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const out = new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r()) * std;
    const v = kind === 'bf16' ? f32ToBf16(g) : f32ToF16(g);
    out[2 * i] = v & 0xff;
    out[2 * i + 1] = v >>> 8;
  }
  return out;
}

/** ||a - b|| / ||a|| */
export function relRmse(a: Float32Array, b: Float32Array): number {
  let e = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    e += (a[i]! - b[i]!) ** 2;
    s += a[i]! ** 2;
  }
  return Math.sqrt(e / s);
}
