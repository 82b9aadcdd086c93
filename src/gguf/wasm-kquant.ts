import { T, ensureMemory, instantiate, moduleBytes, type WasmMemory } from '../quant/wasm.js';
import type { KSearch, MinOut } from './kquant-search.js';
import { Locals, expr, functionBody, type Code } from './wasm-expr.js';

/**
 * WebAssembly versions of the k-quant scale searches (`make_qkx2_quants`, and `make_qx_quants`
 * with rmse_type 1), the inner loops where the JavaScript versions spend their time: float32
 * arithmetic is native in WebAssembly, where JavaScript rounds every double result with
 * Math.fround. Same operations in the same order as ggml's C and as kquant-search.ts; tests
 * compare all three byte for byte. Assembled at load time (no toolchain).
 */

const MAGIC = 12582912;
const GROUP_MAX_EPS = Math.fround(1e-15);

/** nearest_int(v) = (bits(v + 1.5*2^23) & 0x7fffff) - 0x400000, as an i32 expression. */
function nearest(e: ReturnType<typeof expr>, v: Code): Code {
  return e.isub(e.iand(e.bits(e.add(v, e.f(MAGIC))), e.i(0x7fffff)), e.i(0x400000));
}

/** MAX(lo, MIN(hi, l)) on i32 local `l`, stored back to `l`. */
function clamp(e: ReturnType<typeof expr>, l: string, lo: Code, hi: Code): Code {
  return e.seq(e.set(l, e.select(hi, e.get(l), e.igt(e.get(l), hi))), e.set(l, e.select(lo, e.get(l), e.ilt(e.get(l), lo))));
}

/**
 * qkx2(n, nmax, X, W, Lp, rmin, rdelta, nstep, mad, XM, LA, OUT) -> scale; writes -min to OUT.
 * X, W: n float32 values and weights; Lp: n level bytes out; XM: n float32 scratch; LA: n bytes scratch.
 */
function qkx2(): { params: number[]; body: Code } {
  const P: [string, number][] = [
    ['n', T.i32],
    ['nmax', T.i32],
    ['X', T.i32],
    ['W', T.i32],
    ['Lp', T.i32],
    ['rmin', T.f32],
    ['rdelta', T.f32],
    ['nstep', T.i32],
    ['mad', T.i32],
    ['XM', T.i32],
    ['LA', T.i32],
    ['OUT', T.i32],
  ];
  const L = new Locals(P);
  for (const n of ['i', 'is', 'l']) L.add(n, T.i32);
  for (const n of [
    'min',
    'max',
    'sumW',
    'sumX',
    'xi',
    'w',
    'iscale',
    'scale',
    'best',
    'diff',
    'sumL',
    'sumL2',
    'sumXL',
    'wl',
    'lf',
    'D',
    'ts',
    'tm',
    'cur',
    'nmaxf',
  ])
    L.add(n, T.f32);
  const e = expr(L);
  const { get, f, i } = e;
  const x = (idx: Code) => e.loadF(e.iadd(get('X'), e.imul(idx, i(4))));
  const w = (idx: Code) => e.loadF(e.iadd(get('W'), e.imul(idx, i(4))));
  const xm = (idx: Code) => e.loadF(e.iadd(get('XM'), e.imul(idx, i(4))));
  const ii = get('i');
  const errTerm = (scale: string, lev: Code, mn: string) =>
    e.seq(
      e.set('diff', e.sub(e.add(e.mul(get(scale), e.fromInt(lev)), get(mn)), x(ii))),
      e.set('diff', e.select(e.abs(get('diff')), e.mul(get('diff'), get('diff')), get('mad'))),
    );
  // level l of value i at the current iscale, clamped to 0..nmax, stored at dst[i]
  const levelAt = (dst: string) => [
    e.set('l', nearest(e, e.mul(get('iscale'), xm(ii)))),
    clamp(e, 'l', i(0), get('nmax')),
    e.store8(e.iadd(get(dst), ii), get('l')),
  ];
  const recomputeXm = e.for_('i', i(0), get('n'), e.storeF(e.iadd(get('XM'), e.imul(ii, i(4))), e.sub(x(ii), get('min'))));
  const code = e.seq(
    e.set('nmaxf', e.fromInt(get('nmax'))),
    e.set('min', x(i(0))),
    e.set('max', x(i(0))),
    e.set('sumW', w(i(0))),
    e.set('sumX', e.mul(get('sumW'), x(i(0)))),
    e.for_(
      'i',
      i(1),
      get('n'),
      e.seq(
        e.set('xi', x(ii)),
        e.if_(e.flt(get('xi'), get('min')), e.set('min', get('xi'))),
        e.if_(e.fgt(get('xi'), get('max')), e.set('max', get('xi'))),
        e.set('w', w(ii)),
        e.set('sumW', e.add(get('sumW'), get('w'))),
        e.set('sumX', e.add(get('sumX'), e.mul(get('w'), get('xi')))),
      ),
    ),
    e.if_(e.fgt(get('min'), f(0)), e.set('min', f(0))),
    e.if_(
      e.feq(get('max'), get('min')),
      e.seq(e.for_('i', i(0), get('n'), e.store8(e.iadd(get('Lp'), ii), i(0))), e.storeF(get('OUT'), e.neg(get('min'))), e.ret(f(0))),
    ),
    recomputeXm,
    e.set('iscale', e.div(get('nmaxf'), e.sub(get('max'), get('min')))),
    e.set('scale', e.div(f(1), get('iscale'))),
    e.set('best', f(0)),
    e.for_('i', i(0), get('n'), e.seq(...levelAt('Lp'), errTerm('scale', get('l'), 'min'), e.set('best', e.add(get('best'), e.mul(w(ii), get('diff')))))),
    e.if_(e.ilt(get('nstep'), i(1)), e.seq(e.storeF(get('OUT'), e.neg(get('min'))), e.ret(get('scale')))),
    e.for_(
      'is',
      i(0),
      e.iadd(get('nstep'), i(1)),
      e.seq(
        e.set('iscale', e.div(e.add(e.add(get('rmin'), e.mul(get('rdelta'), e.fromInt(get('is')))), get('nmaxf')), e.sub(get('max'), get('min')))),
        e.set('sumL', f(0)),
        e.set('sumL2', f(0)),
        e.set('sumXL', f(0)),
        e.for_(
          'i',
          i(0),
          get('n'),
          e.seq(
            ...levelAt('LA'),
            e.set('lf', e.fromInt(get('l'))),
            e.set('wl', e.mul(w(ii), get('lf'))),
            e.set('sumL', e.add(get('sumL'), get('wl'))),
            e.set('sumL2', e.add(get('sumL2'), e.mul(get('wl'), get('lf')))),
            e.set('sumXL', e.add(get('sumXL'), e.mul(get('wl'), x(ii)))),
          ),
        ),
        e.set('D', e.sub(e.mul(get('sumW'), get('sumL2')), e.mul(get('sumL'), get('sumL')))),
        e.if_(
          e.fgt(get('D'), f(0)),
          e.seq(
            e.set('ts', e.div(e.sub(e.mul(get('sumW'), get('sumXL')), e.mul(get('sumX'), get('sumL'))), get('D'))),
            e.set('tm', e.div(e.sub(e.mul(get('sumL2'), get('sumX')), e.mul(get('sumL'), get('sumXL'))), get('D'))),
            e.if_(e.fgt(get('tm'), f(0)), e.seq(e.set('tm', f(0)), e.set('ts', e.div(get('sumXL'), get('sumL2'))))),
            e.set('cur', f(0)),
            e.for_(
              'i',
              i(0),
              get('n'),
              e.seq(errTerm('ts', e.loadU8(e.iadd(get('LA'), ii)), 'tm'), e.set('cur', e.add(get('cur'), e.mul(w(ii), get('diff'))))),
            ),
            e.if_(
              e.flt(get('cur'), get('best')),
              e.seq(
                e.for_('i', i(0), get('n'), e.store8(e.iadd(get('Lp'), ii), e.loadU8(e.iadd(get('LA'), ii)))),
                e.set('best', get('cur')),
                e.set('scale', get('ts')),
                e.if_(e.fne(get('tm'), get('min')), e.seq(e.set('min', get('tm')), recomputeXm)),
              ),
            ),
          ),
        ),
      ),
    ),
    e.storeF(get('OUT'), e.neg(get('min'))),
    get('scale'),
  );
  return { params: P.map((p) => p[1]), body: functionBody(L, P.length, code) };
}

/** qx1(n, nmax, X, Lp) -> scale: make_qx_quants with rmse_type 1 and no importance weights; levels +nmax to Lp. */
function qx1(): { params: number[]; body: Code } {
  const P: [string, number][] = [
    ['n', T.i32],
    ['nmax', T.i32],
    ['X', T.i32],
    ['Lp', T.i32],
  ];
  const L = new Locals(P);
  for (const n of ['i', 'is', 'l']) L.add(n, T.i32);
  for (const n of ['max', 'amax', 'ax', 'xi', 'iscale', 'sumlx', 'suml2', 'w', 'lf', 'scale', 'best', 'nmaxf']) L.add(n, T.f32);
  const e = expr(L);
  const { get, f, i } = e;
  const x = (idx: Code) => e.loadF(e.iadd(get('X'), e.imul(idx, i(4))));
  const ii = get('i');
  const levels = (store: boolean) =>
    e.seq(
      e.set('l', nearest(e, e.mul(get('iscale'), x(ii)))),
      clamp(e, 'l', e.isub(i(0), get('nmax')), e.isub(get('nmax'), i(1))),
      store ? e.store8(e.iadd(get('Lp'), ii), e.iadd(get('l'), get('nmax'))) : [],
    );
  const sums = e.seq(
    e.set('xi', x(ii)),
    e.set('w', e.mul(get('xi'), get('xi'))),
    e.set('lf', e.fromInt(get('l'))),
    e.set('sumlx', e.add(get('sumlx'), e.mul(e.mul(get('w'), get('xi')), get('lf')))),
    e.set('suml2', e.add(get('suml2'), e.mul(e.mul(get('w'), get('lf')), get('lf')))),
  );
  const code = e.seq(
    e.set('nmaxf', e.fromInt(get('nmax'))),
    e.set('max', f(0)),
    e.set('amax', f(0)),
    e.for_('i', i(0), get('n'), e.seq(e.set('ax', e.abs(x(ii))), e.if_(e.fgt(get('ax'), get('amax')), e.seq(e.set('amax', get('ax')), e.set('max', x(ii)))))),
    e.if_(e.flt(get('amax'), f(GROUP_MAX_EPS)), e.seq(e.for_('i', i(0), get('n'), e.store8(e.iadd(get('Lp'), ii), i(0))), e.ret(f(0)))),
    e.set('iscale', e.div(e.fromInt(e.isub(i(0), get('nmax'))), get('max'))),
    e.set('sumlx', f(0)),
    e.set('suml2', f(0)),
    e.for_('i', i(0), get('n'), e.seq(levels(true), sums)),
    e.set('scale', e.select(e.div(get('sumlx'), get('suml2')), f(0), e.fne(get('suml2'), f(0)))),
    e.set('best', e.mul(get('scale'), get('sumlx'))),
    e.for_(
      'is',
      i(-9),
      i(10),
      e.if_(
        get('is'),
        e.seq(
          e.set('iscale', e.div(e.neg(e.add(get('nmaxf'), e.mul(f(0.1), e.fromInt(get('is'))))), get('max'))),
          e.set('sumlx', f(0)),
          e.set('suml2', f(0)),
          e.for_('i', i(0), get('n'), e.seq(levels(false), sums)),
          e.if_(
            e.iand(e.fgt(get('suml2'), f(0)), e.fgt(e.mul(get('sumlx'), get('sumlx')), e.mul(get('best'), get('suml2')))),
            e.seq(
              e.for_('i', i(0), get('n'), levels(true)),
              e.set('scale', e.div(get('sumlx'), get('suml2'))),
              e.set('best', e.mul(get('scale'), get('sumlx'))),
            ),
          ),
        ),
      ),
    ),
    get('scale'),
  );
  return { params: P.map((p) => p[1]), body: functionBody(L, P.length, code) };
}

interface KQuantExports {
  memory: WasmMemory;
  qkx2(
    n: number,
    nmax: number,
    X: number,
    W: number,
    Lp: number,
    rmin: number,
    rdelta: number,
    nstep: number,
    mad: number,
    XM: number,
    LA: number,
    OUT: number,
  ): number;
  qx1(n: number, nmax: number, X: number, Lp: number): number;
}

const BYTES: Uint8Array = (() => {
  const a = qkx2();
  const b = qx1();
  return moduleBytes([
    { name: 'qkx2', params: a.params, results: [T.f32], body: a.body },
    { name: 'qx1', params: b.params, results: [T.f32], body: b.body },
  ]);
})();

// kernel memory layout (bytes): OUT slot, group weights, x - min scratch, trial levels, super-block levels, the row
const OUT = 0;
const W = 16;
const XM = 144;
const LA = 272;
const LEVELS = 512;
const ROW = 1024;

/** The k-quant kernels with their own memory, and views the drivers use as scratch. */
export interface WasmKQuant {
  search: KSearch;
  /** Copies n values of x from xo into kernel memory; returns the view to quantize from. Refreshes the views below. */
  stage(x: Float32Array, xo: number, n: number): Float32Array;
  /** Super-block levels (256 bytes), as unsigned and signed bytes. */
  levels: Uint8Array;
  levelsSigned: Int8Array;
  /** Group weights (32 float32). */
  weights: Float32Array;
}

/** A fresh instance of the kernels, or null where WebAssembly is unavailable. */
export function wasmKQuant(): WasmKQuant | null {
  const ex = instantiate(BYTES);
  if (!ex) return null;
  const k: KQuantExports = { memory: ex.mem as WasmMemory, qkx2: ex.qkx2 as KQuantExports['qkx2'], qx1: ex.qx1 as KQuantExports['qx1'] };
  let f32 = new Float32Array(k.memory.buffer);
  const view = () => {
    f32 = new Float32Array(k.memory.buffer);
    w.levels = new Uint8Array(k.memory.buffer, LEVELS, 256);
    w.levelsSigned = new Int8Array(k.memory.buffer, LEVELS, 256);
    w.weights = new Float32Array(k.memory.buffer, W, 32);
  };
  const search: KSearch = {
    qkx2(n, nmax, x, xo, weights, L, lo, out: MinOut, rmin, rdelta, nstep, useMad) {
      const scale = k.qkx2(n, nmax, x.byteOffset + 4 * xo, weights.byteOffset, L.byteOffset + lo, rmin, rdelta, nstep, useMad ? 1 : 0, XM, LA, OUT);
      out.min = f32[OUT / 4]!;
      return scale;
    },
    qx1: (n, nmax, x, xo, L, lo) => k.qx1(n, nmax, x.byteOffset + 4 * xo, L.byteOffset + lo),
  };
  const w: WasmKQuant = {
    search,
    levels: new Uint8Array(0),
    levelsSigned: new Int8Array(0),
    weights: new Float32Array(0),
    stage(x, xo, n) {
      if (!ensureMemory(k.memory, ROW + 4 * n)) throw new RangeError(`cannot grow the k-quant kernel memory to ${ROW + 4 * n} bytes`);
      if (f32.buffer !== k.memory.buffer || w.levels.byteLength === 0) view();
      const v = new Float32Array(k.memory.buffer, ROW, n);
      v.set(x.subarray(xo, xo + n));
      return v;
    },
  };
  view();
  return w;
}
