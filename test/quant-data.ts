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
