/**
 * Float32 test rows for the GGUF quantizers: the data shapes that exercise ggml's corner cases.
 * Every kind is deterministic (seeded LCG); rows 0 and 1 of each matrix are a constant row and
 * an all-zero row, and one block in eight is replaced by a special pattern (a lone outlier, one
 * value, all equal, alternating signs).
 */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
}

export const DATA_KINDS = {
  gaussian: (r: () => number) => gauss(r) * 0.02,
  heavyTailed: (r: () => number) => (gauss(r) / Math.max(1e-3, Math.abs(gauss(r)))) * 0.01,
  uniform: (r: () => number) => r() * 2 - 1,
  positive: (r: () => number) => r() * 3,
  sparse: (r: () => number) => (r() < 0.9 ? 0 : gauss(r)),
  smallIntegers: (r: () => number) => Math.round(gauss(r) * 4),
  outliers: (r: () => number) => (r() < 0.01 ? 100 : 1) * gauss(r),
  tiny: (r: () => number) => gauss(r) * 1e-30,
  subnormal: (r: () => number) => gauss(r) * 1e-40,
  huge: (r: () => number) => gauss(r) * 1e15,
  squareOverflows: (r: () => number) => gauss(r) * 1e30,
  nearFloatMax: (r: () => number) => (r() * 2 - 1) * 3.4e38,
  mixedMagnitudes: (r: () => number) => gauss(r) * 10 ** Math.round(r() * 40 - 20),
  halfOverflowEdge: (r: () => number) => (r() < 0.5 ? -1 : 1) * (65504 + (r() - 0.5) * 64),
  halfSubnormalEdge: (r: () => number) => (r() < 0.5 ? -1 : 1) * 2 ** -24 * r() * 4,
} satisfies Record<string, (r: () => number) => number>;

export type DataKind = keyof typeof DATA_KINDS;

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
}

/** `rows` x `cols` values of one kind (cols a multiple of 32). */
export function testRows(kind: DataKind, rows: number, cols: number, seed = 1): Float32Array {
  const r = lcg(seed * 7919 + kind.length);
  const gen = DATA_KINDS[kind];
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = gen(r);
  if (rows > 2) {
    x.fill(0.5, 0, cols);
    x.fill(0, cols, 2 * cols);
  }
  for (let b = 0; b < x.length / 32; b++) {
    if (b % 8 !== 3) continue;
    const o = 32 * b;
    const v = x[o]!;
    switch ((b >> 3) % 4) {
      case 0: // a lone outlier among zeros
        x.fill(0, o, o + 32);
        x[o + ((b * 7) % 32)] = v || 1;
        break;
      case 1: // all equal
        x.fill(v, o, o + 32);
        break;
      case 2: // alternating signs of one magnitude
        for (let i = 0; i < 32; i++) x[o + i] = i % 2 ? -v : v;
        break;
      default: // one value, the rest tiny
        for (let i = 1; i < 32; i++) x[o + i] = x[o + i]! * 1e-6;
    }
  }
  return x;
}
