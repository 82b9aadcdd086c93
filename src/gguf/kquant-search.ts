import { nearestInt } from './half.js';

/**
 * The scale searches of ggml's k-quants (ggml/src/ggml-quants.c: `make_qx_quants`,
 * `make_q3_quants`, `make_qkx2_quants`), float32 step for step. Each works on `n` values of
 * `x` from `xo` and writes integer levels into `L` from `lo`.
 */

const fr = Math.fround;
/** GROUP_MAX_EPS (1e-15f): a group whose absolute maximum is below it is all zero. */
export const GROUP_MAX_EPS = fr(1e-15);
const TENTH = fr(0.1);

/** The value of largest magnitude among n values of x from xo (the first of equals), or 0 when the group is all zero (below GROUP_MAX_EPS). */
function signedMax(n: number, x: Float32Array, xo: number): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]!);
    if (ax > amax) {
      amax = ax;
      max = x[xo + i]!;
    }
  }
  return amax < GROUP_MAX_EPS ? 0 : max;
}

/**
 * `make_qx_quants` with rmse_type 1 (weights x^2) and no importance weights, as Q6_K calls it:
 * symmetric levels -nmax..nmax-1 stored +nmax; returns the scale.
 */
export function makeQxQuantsRmse1(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array, lo: number): number {
  const max = signedMax(n, x, xo);
  if (max === 0) {
    L.fill(0, lo, lo + n);
    return 0;
  }
  let iscale = fr(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xo + i]!;
    let l = nearestInt(fr(iscale * xi));
    l = Math.max(-nmax, Math.min(nmax - 1, l));
    L[lo + i] = l + nmax;
    const w = fr(xi * xi);
    sumlx = fr(sumlx + fr(fr(w * xi) * l));
    suml2 = fr(suml2 + fr(fr(w * l) * l));
  }
  let scale = suml2 !== 0 ? fr(sumlx / suml2) : 0;
  let best = fr(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = fr(-fr(nmax + fr(TENTH * is)) / max);
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xo + i]!;
      let l = nearestInt(fr(iscale * xi));
      l = Math.max(-nmax, Math.min(nmax - 1, l));
      const w = fr(xi * xi);
      sumlx = fr(sumlx + fr(fr(w * xi) * l));
      suml2 = fr(suml2 + fr(fr(w * l) * l));
    }
    if (suml2 > 0 && fr(sumlx * sumlx) > fr(best * suml2)) {
      for (let i = 0; i < n; i++) {
        const l = nearestInt(fr(iscale * x[xo + i]!));
        L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, l));
      }
      scale = fr(sumlx / suml2);
      best = fr(scale * sumlx);
    }
  }
  return scale;
}

/**
 * `make_q3_quants` with do_rmse: symmetric levels -nmax..nmax-1 refined one value at a time
 * (at most 5 sweeps), stored +nmax; returns the scale. An all-zero group gets levels 0.
 */
export function makeQ3Quants(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array, lo: number): number {
  const max = signedMax(n, x, xo);
  if (max === 0) {
    L.fill(0, lo, lo + n);
    return 0;
  }
  const iscale = fr(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xo + i]!;
    let l = nearestInt(fr(iscale * xi));
    l = Math.max(-nmax, Math.min(nmax - 1, l));
    L[lo + i] = l;
    const w = fr(xi * xi);
    sumlx = fr(sumlx + fr(fr(w * xi) * l));
    suml2 = fr(suml2 + fr(fr(w * l) * l));
  }
  for (let itry = 0; itry < 5; itry++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xo + i]!;
      const li = L[lo + i]!;
      const w = fr(xi * xi);
      let slx = fr(sumlx - fr(fr(w * xi) * li));
      if (slx > 0) {
        let sl2 = fr(suml2 - fr(fr(w * li) * li));
        let nl = nearestInt(fr(fr(xi * sl2) / slx));
        nl = Math.max(-nmax, Math.min(nmax - 1, nl));
        if (nl !== li) {
          slx = fr(slx + fr(fr(w * xi) * nl));
          sl2 = fr(sl2 + fr(fr(w * nl) * nl));
          if (sl2 > 0 && fr(fr(slx * slx) * suml2) > fr(fr(sumlx * sumlx) * sl2)) {
            L[lo + i] = nl;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (!changed) break;
  }
  for (let i = 0; i < n; i++) L[lo + i] = L[lo + i]! + nmax;
  return suml2 > 0 ? fr(sumlx / suml2) : 0;
}

/** Result slot of makeQkx2Quants: the (positive) offset `-min` of the group; scratch of its hot loops. */
export interface MinOut {
  min: number;
  /** Group values, weights, values minus the current min and trial levels, widened once per group (length >= n). */
  xs: Float64Array;
  ws: Float64Array;
  xm: Float64Array;
  la: Float64Array;
}

export function minOut(n: number): MinOut {
  return { min: 0, xs: new Float64Array(n), ws: new Float64Array(n), xm: new Float64Array(n), la: new Float64Array(n) };
}

/**
 * `make_qkx2_quants`: asymmetric levels 0..nmax with a minimum, searched over nstep+1 trial
 * scales (rmin + rdelta*is + nmax)/(max - min) by weighted least squares; weighted squared error
 * (or absolute error with `useMad`) decides. Writes levels to L, returns the scale and puts -min
 * into `out.min`. (Laux of the C code is `out.la`.)
 */
export function makeQkx2Quants(
  n: number,
  nmax: number,
  x: Float32Array,
  xo: number,
  weights: Float32Array,
  L: Uint8Array,
  lo: number,
  out: MinOut,
  rmin: number,
  rdelta: number,
  nstep: number,
  useMad: boolean,
): number {
  const { xs, ws, xm, la } = out;
  for (let i = 0; i < n; i++) {
    xs[i] = x[xo + i]!;
    ws[i] = weights[i]!;
  }
  let min = xs[0]!;
  let max = xs[0]!;
  let sumW = ws[0]!;
  let sumX = fr(sumW * xs[0]!);
  for (let i = 1; i < n; i++) {
    const xi = xs[i]!;
    if (xi < min) min = xi;
    if (xi > max) max = xi;
    const w = ws[i]!;
    sumW = fr(sumW + w);
    sumX = fr(sumX + fr(w * xi));
  }
  if (min > 0) min = 0;
  if (max === min) {
    for (let i = 0; i < n; i++) L[lo + i] = 0;
    out.min = -min;
    return 0;
  }
  for (let i = 0; i < n; i++) xm[i] = fr(xs[i]! - min);
  let iscale = fr(nmax / fr(max - min));
  let scale = fr(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = nearestInt(fr(iscale * xm[i]!));
    const q = l < 0 ? 0 : l > nmax ? nmax : l;
    L[lo + i] = q;
    let diff = fr(fr(fr(scale * q) + min) - xs[i]!);
    diff = useMad ? Math.abs(diff) : fr(diff * diff);
    bestError = fr(bestError + fr(ws[i]! * diff));
  }
  if (nstep < 1) {
    out.min = -min;
    return scale;
  }
  for (let is = 0; is <= nstep; is++) {
    // `min` moves when a trial wins, and later trials use the moved value (as ggml does)
    iscale = fr(fr(fr(rmin + fr(rdelta * is)) + nmax) / fr(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l0 = nearestInt(fr(iscale * xm[i]!));
      const l = l0 < 0 ? 0 : l0 > nmax ? nmax : l0;
      la[i] = l;
      const wl = fr(ws[i]! * l);
      sumL = fr(sumL + wl);
      sumL2 = fr(sumL2 + fr(wl * l));
      sumXL = fr(sumXL + fr(wl * xs[i]!));
    }
    const D = fr(fr(sumW * sumL2) - fr(sumL * sumL));
    if (D > 0) {
      let thisScale = fr(fr(fr(sumW * sumXL) - fr(sumX * sumL)) / D);
      let thisMin = fr(fr(fr(sumL2 * sumX) - fr(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = fr(sumXL / sumL2);
      }
      let curError = 0;
      if (useMad) for (let i = 0; i < n; i++) curError = fr(curError + fr(ws[i]! * Math.abs(fr(fr(fr(thisScale * la[i]!) + thisMin) - xs[i]!))));
      else
        for (let i = 0; i < n; i++) {
          const diff = fr(fr(fr(thisScale * la[i]!) + thisMin) - xs[i]!);
          curError = fr(curError + fr(ws[i]! * fr(diff * diff)));
        }
      if (curError < bestError) {
        for (let i = 0; i < n; i++) L[lo + i] = la[i]!;
        bestError = curError;
        scale = thisScale;
        if (thisMin !== min) {
          min = thisMin;
          for (let i = 0; i < n; i++) xm[i] = fr(xs[i]! - min);
        }
      }
    }
  }
  out.min = -min;
  return scale;
}

/** ggml's `get_scale_min_k4`: the j-th 6-bit scale (`which` 0) or min (`which` 1) of a Q4_K/Q5_K block. */
export function scaleMinK4(j: number, q: Uint8Array, o: number, which: 0 | 1): number {
  if (j < 4) return which === 0 ? q[o + j]! & 63 : q[o + j + 4]! & 63;
  return which === 0 ? (q[o + j + 4]! & 0xf) | ((q[o + j - 4]! >>> 6) << 4) : (q[o + j + 4]! >>> 4) | ((q[o + j]! >>> 6) << 4);
}

/**
 * The two scale searches the k-quant drivers call, so a driver can run them in JavaScript or
 * in WebAssembly (wasm-kquant.ts) with identical results.
 */
export interface KSearch {
  qkx2(
    n: number,
    nmax: number,
    x: Float32Array,
    xo: number,
    weights: Float32Array,
    L: Uint8Array,
    lo: number,
    out: MinOut,
    rmin: number,
    rdelta: number,
    nstep: number,
    useMad: boolean,
  ): number;
  qx1(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array, lo: number): number;
}

export const JS_SEARCH: KSearch = { qkx2: makeQkx2Quants, qx1: makeQxQuantsRmse1 };

/** Scratch of the scale-and-minimum k-quants (Q2_K with groups of 16, Q4_K and Q5_K with groups of 32): a super-block's levels, one group's weights, the 16 scales and minimums. */
export interface ScaleMinScratch {
  L: Uint8Array;
  weights: Float32Array;
  scales: Float32Array;
  mins: Float32Array;
  min: MinOut;
  search: KSearch;
}

export function scaleMinScratch(group: number): ScaleMinScratch {
  return {
    L: new Uint8Array(256),
    weights: new Float32Array(group),
    scales: new Float32Array(16),
    mins: new Float32Array(16),
    min: minOut(group),
    search: JS_SEARCH,
  };
}
