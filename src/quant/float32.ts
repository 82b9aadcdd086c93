/**
 * Exact float32 arithmetic helpers for reproducing other libraries' float32 computations
 * bit for bit (no module state: scratch arrays are local to each call).
 */

/** The float32 values adjacent to x (a float32): [next below, next above]. */
function neighbours(x: number): [number, number] {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  const b = u[0]!;
  const step = (delta: number): number => {
    if (x === 0) {
      u[0] = delta > 0 ? 1 : 0x80000001;
      return f[0]!;
    }
    u[0] = x > 0 === delta > 0 ? b + 1 : b - 1;
    const v = f[0]!;
    u[0] = b;
    return v;
  };
  return [step(-1), step(1)];
}

/**
 * fmaf: a*b + c with a single rounding to float32, for float32 a, b, c (what a C compiler's
 * contracted `a * b + c` computes in float32 code built with FMA). The product is exact in
 * float64 (24 + 24 bits), the sum is rounded once to float64; rounding that to float32 can only
 * go wrong when the float64 sum lands exactly on a float32 midpoint while the exact sum does
 * not, which the exact error term of the sum (TwoSum) resolves.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const bp = s - c;
  const err = p - bp + (c - (s - bp)); // exact: p + c = s + err
  const r = Math.fround(s);
  if (err === 0 || r === s || !Number.isFinite(s)) return r;
  const [lo, hi] = neighbours(r);
  const other = r < s ? hi : lo;
  if (Math.abs(s - r) !== Math.abs(other - s)) return r; // not a midpoint: the float64 sum rounds the same way
  return err > 0 ? Math.max(r, other) : Math.min(r, other);
}
