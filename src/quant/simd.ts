/**
 * A WebAssembly SIMD kernel for NF4 quantization of BF16 weights, assembled here from its
 * opcodes (no toolchain): 4 lanes per instruction where the JavaScript coder does one
 * element at a time. It computes exactly what `quantize4bit` does (float32 absmax, float32
 * reciprocal of max(absmax, 1e-38), float32 products, code = number of NF4 thresholds strictly below the scaled
 * value, NaN to code 0, even elements in the high nibble); tests compare the two byte for
 * byte. Opcodes: WebAssembly core specification 2.0, section 5.4 (SIMD under prefix 0xFD).
 */

import { asm, moduleBytes, s, T as VT, u } from './wasm.js';

/** The smallest scale bitsandbytes divides by: absmax.clamp(min=1e-38) in float32. */
export const TINY_SCALE = Math.fround(1e-38);

const simd = (op: number) => [0xfd, ...u(op)];
const f32bytes = (x: number) => [...new Uint8Array(Float32Array.of(x).buffer)];
const i32bytes = (x: number) => [...new Uint8Array(Int32Array.of(x).buffer)];
const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  select: 0x1b,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  f32load: 0x2a,
  i32store: 0x36,
  f32store: 0x38,
  i32const: 0x41,
  f32const: 0x43,
  i32eqz: 0x45,
  f32lt: 0x5d,
  i32add: 0x6a,
  i32sub: 0x6b,
  f32div: 0x95,
  f32max: 0x97,
  // SIMD sub-opcodes
  v128load: 0x00,
  v128const: 0x0c,
  f32x4splat: 0x13,
  i32x4extract: 0x1b,
  f32x4extract: 0x1f,
  f32x4gt: 0x44,
  v128and: 0x4e,
  v128or: 0x50,
  i8x16narrowU: 0x66,
  i16x8narrowU: 0x86,
  i32x4extendLowU: 0xa9,
  i32x4extendHighU: 0xaa,
  i32x4shl: 0xab,
  i32x4shrU: 0xad,
  i32x4sub: 0xb1,
  f32x4abs: 0xe0,
  f32x4mul: 0xe6,
  f32x4pmax: 0xeb,
} as const;

/**
 * nf4(src, blocks, vecs, dst, absmax): `blocks` blocks of `vecs` x 8 BF16 values at `src`;
 * packed codes to `dst` (4 bytes per 8 values), float32 absmax per block to `absmax`.
 */
function nf4Body(thresholds: Float32Array): number[] {
  // params 0 src, 1 blocks, 2 vecs, 3 dst, 4 amax; locals 5 j (i32), 6 p (i32), 7 m (f32), 8 t (f32), 9 mv, 10 invv, 11 v, 12 clo (v128)
  const [SRC, BLOCKS, VECS, DST, AMAX, J, P, M, T, MV, INVV, V, CLO] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const { c, get, set, body } = asm();
  const op = (o: number) => c.push(...simd(o));
  const i32c = (x: number) => c.push(OP.i32const, ...s(x));
  const splat32 = (bytes: number[]) => c.push(...simd(OP.v128const), ...bytes, ...bytes, ...bytes, ...bytes);
  // widen the 8 BF16 values in local V to float32 lanes (low or high half): bits << 16
  const widen = (high: boolean) => {
    get(V);
    op(high ? OP.i32x4extendHighU : OP.i32x4extendLowU);
    i32c(16);
    op(OP.i32x4shl);
  };
  c.push(OP.block, 0x40, OP.loop, 0x40);
  get(BLOCKS);
  c.push(OP.i32eqz, OP.brIf, 1);
  // pass 1: absmax over the block
  splat32(i32bytes(0));
  set(MV);
  get(SRC);
  set(P);
  get(VECS);
  set(J);
  c.push(OP.block, 0x40, OP.loop, 0x40);
  get(J);
  c.push(OP.i32eqz, OP.brIf, 1);
  get(P);
  c.push(...simd(OP.v128load), 0, 0);
  set(V);
  for (const high of [false, true]) {
    get(MV);
    widen(high);
    op(OP.f32x4abs);
    op(OP.f32x4pmax); // pmax(m, |x|) = m < |x| ? |x| : m, so NaN never wins (as in the scalar loop)
    set(MV);
  }
  get(P);
  i32c(16);
  c.push(OP.i32add);
  set(P);
  get(J);
  i32c(1);
  c.push(OP.i32sub);
  set(J);
  c.push(OP.br, 0, OP.end, OP.end);
  // horizontal: m = lane 0, then m = m < lane ? lane : m
  get(MV);
  c.push(...simd(OP.f32x4extract), 0);
  set(M);
  for (let k = 1; k < 4; k++) {
    get(MV);
    c.push(...simd(OP.f32x4extract), k);
    set(T);
    get(T);
    get(M);
    get(M);
    get(T);
    c.push(OP.f32lt, OP.select);
    set(M);
  }
  get(AMAX);
  get(M);
  c.push(OP.f32store, 2, 0);
  // inv = 1 / max(m, 1e-38) in float32 (bitsandbytes clamps the scale before the reciprocal), splat
  c.push(OP.f32const, ...f32bytes(1));
  get(M);
  c.push(OP.f32const, ...f32bytes(TINY_SCALE), OP.f32max);
  c.push(OP.f32div);
  op(OP.f32x4splat);
  set(INVV);
  // pass 2: codes, 8 values per iteration -> 4 bytes
  get(VECS);
  set(J);
  c.push(OP.block, 0x40, OP.loop, 0x40);
  get(J);
  c.push(OP.i32eqz, OP.brIf, 1);
  get(SRC);
  c.push(...simd(OP.v128load), 0, 0);
  set(V);
  for (const high of [false, true]) {
    splat32(i32bytes(0)); // count
    widen(high);
    get(INVV);
    op(OP.f32x4mul);
    set(MV); // y, reusing MV
    for (let k = 0; k < thresholds.length; k++) {
      get(MV);
      splat32(f32bytes(thresholds[k]!));
      op(OP.f32x4gt); // -1 where y > threshold (false for NaN)
      op(OP.i32x4sub);
    }
    if (!high) set(CLO);
  }
  // codes c0..c3 in CLO, c4..c7 on the stack -> u16 lanes; pairs (c0 | c1 << 16) per i32 lane
  set(V);
  get(CLO);
  get(V);
  op(OP.i16x8narrowU);
  set(V);
  get(V);
  i32c(4);
  op(OP.i32x4shl);
  get(V);
  i32c(16);
  op(OP.i32x4shrU);
  op(OP.v128or);
  splat32(i32bytes(0xff));
  op(OP.v128and); // (c_even << 4) | c_odd, one per i32 lane
  set(V);
  get(V);
  get(V);
  op(OP.i16x8narrowU);
  set(V);
  get(V);
  get(V);
  op(OP.i8x16narrowU);
  set(V);
  get(DST);
  get(V);
  c.push(...simd(OP.i32x4extract), 0);
  c.push(OP.i32store, 0, 0);
  for (const [loc, step] of [
    [SRC, 16],
    [DST, 4],
  ] as const) {
    get(loc);
    i32c(step);
    c.push(OP.i32add);
    set(loc);
  }
  get(J);
  i32c(1);
  c.push(OP.i32sub);
  set(J);
  c.push(OP.br, 0, OP.end, OP.end);
  // next block (SRC already advanced by pass 2)
  get(AMAX);
  i32c(4);
  c.push(OP.i32add);
  set(AMAX);
  get(BLOCKS);
  i32c(1);
  c.push(OP.i32sub);
  set(BLOCKS);
  c.push(OP.br, 0, OP.end, OP.end);
  c.push(OP.end);
  return body([
    [2, VT.i32],
    [2, VT.f32],
    [4, VT.v128],
  ]);
}

/** The module's bytes: one memory (exported as "mem") and the function "nf4". */
export function nf4Module(thresholds: Float32Array): Uint8Array {
  return moduleBytes([{ name: 'nf4', params: [VT.i32, VT.i32, VT.i32, VT.i32, VT.i32], results: [], body: nf4Body(thresholds) }]);
}
