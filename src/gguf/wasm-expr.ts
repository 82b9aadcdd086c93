/**
 * A small expression layer over Sinan's WebAssembly assembler (src/quant/wasm.ts) for scalar
 * float32 kernels: expressions are byte arrays in stack order, statements concatenate them.
 * WebAssembly's f32 instructions are IEEE single precision with round to nearest even, the
 * arithmetic C's `float` has on x86-64 (no contraction), so a kernel written with them computes
 * what ggml's C computes, operation for operation. Opcodes: WebAssembly core specification 2.0,
 * section 5.4.
 */
import { s, u } from '../quant/wasm.js';

export type Code = number[];

const f32bytes = (x: number) => [...new Uint8Array(Float32Array.of(x).buffer)];
const cat = (...parts: Code[]): Code => parts.flat();
const bin =
  (op: number) =>
  (a: Code, b: Code): Code => [...a, ...b, op];
const un =
  (op: number) =>
  (a: Code): Code => [...a, op];

/** Local variable indices by name; params first, in order. */
export class Locals {
  readonly index = new Map<string, number>();
  readonly types: number[] = [];
  constructor(params: [string, number][]) {
    for (const [n, t] of params) this.add(n, t);
  }
  add(name: string, type: number): number {
    if (this.index.has(name)) throw new Error(`local ${name} declared twice`);
    this.index.set(name, this.types.length);
    this.types.push(type);
    return this.types.length - 1;
  }
  of(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new Error(`unknown local ${name}`);
    return i;
  }
}

export function expr(L: Locals) {
  const get = (n: string): Code => [0x20, ...u(L.of(n))];
  return {
    get,
    set: (n: string, v: Code): Code => [...v, 0x21, ...u(L.of(n))],
    f: (x: number): Code => [0x43, ...f32bytes(x)],
    i: (x: number): Code => [0x41, ...s(x)],
    // f32
    add: bin(0x92),
    sub: bin(0x93),
    mul: bin(0x94),
    div: bin(0x95),
    abs: un(0x8b),
    neg: un(0x8c),
    sqrt: un(0x91),
    flt: bin(0x5d),
    fgt: bin(0x5e),
    feq: bin(0x5b),
    fne: bin(0x5c),
    fromInt: un(0xb2), // f32.convert_i32_s
    bits: un(0xbc), // i32.reinterpret_f32
    // i32
    iadd: bin(0x6a),
    isub: bin(0x6b),
    imul: bin(0x6c),
    iand: bin(0x71),
    ilt: bin(0x48),
    igt: bin(0x4a),
    ige: bin(0x4e),
    ieqz: un(0x45),
    /** select(a, b, cond): a when cond != 0 */
    select: (a: Code, b: Code, cond: Code): Code => [...a, ...b, ...cond, 0x1b],
    loadF: (addr: Code, offset = 0): Code => [...addr, 0x2a, 2, ...u(offset)],
    loadU8: (addr: Code, offset = 0): Code => [...addr, 0x2d, 0, ...u(offset)],
    storeF: (addr: Code, v: Code, offset = 0): Code => [...addr, ...v, 0x38, 2, ...u(offset)],
    store8: (addr: Code, v: Code, offset = 0): Code => [...addr, ...v, 0x3a, 0, ...u(offset)],
    if_: (cond: Code, then: Code, otherwise?: Code): Code =>
      otherwise ? [...cond, 0x04, 0x40, ...then, 0x05, ...otherwise, 0x0b] : [...cond, 0x04, 0x40, ...then, 0x0b],
    /** for (i = from; i < to; i++) body, with i an i32 local */
    for_: (i: string, from: Code, to: Code, body: Code): Code =>
      cat(
        [...from, 0x21, ...u(L.of(i))],
        [0x02, 0x40, 0x03, 0x40],
        get(i),
        to,
        [0x4e, 0x0d, 1],
        body,
        get(i),
        [0x41, 1, 0x6a, 0x21, ...u(L.of(i))],
        [0x0c, 0, 0x0b, 0x0b],
      ),
    ret: (v: Code): Code => [...v, 0x0f],
    seq: cat,
  };
}

/** The function body the code section stores: local declarations (after the params) then code. */
export function functionBody(L: Locals, nParams: number, code: Code): Code {
  const locals = L.types.slice(nParams);
  const groups: [number, number][] = [];
  for (const t of locals) {
    const last = groups[groups.length - 1];
    if (last && last[1] === t) last[0]++;
    else groups.push([1, t]);
  }
  return [...u(groups.length), ...groups.flatMap(([n, t]) => [...u(n), t]), ...code, 0x0b];
}
