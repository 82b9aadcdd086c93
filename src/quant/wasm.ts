/**
 * A minimal WebAssembly assembler for Sinan's hand-written kernels (src/quant/simd.ts,
 * src/quant/wasm-lossless.ts): LEB128 immediates, a function-body builder and the module
 * layout (WebAssembly core specification 2.0, chapter 5: binary format). Kernels are
 * assembled at load time, so the package needs no toolchain.
 */

/** unsigned LEB128 */
export function u(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** signed LEB128 (i32.const / i64.const immediates) */
export function s(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

export const T = { i32: 0x7f, i64: 0x7e, f32: 0x7d, v128: 0x7b } as const;

/** Helpers that append to one function body `c`. */
export function asm() {
  const c: number[] = [];
  return {
    c,
    get: (i: number) => c.push(0x20, i),
    set: (i: number) => c.push(0x21, i),
    k32: (x: number) => c.push(0x41, ...s(x)),
    /** a load or store with its memarg */
    mem: (op: number, align: number, offset = 0) => c.push(op, align, ...u(offset)),
    /** locals declaration + code: the function body as the code section stores it */
    body: (locals: [number, number][]) => [...u(locals.length), ...locals.flatMap(([n, t]) => [...u(n), t]), ...c],
  };
}

function section(id: number, body: number[]): number[] {
  return [id, ...u(body.length), ...body];
}

export interface WasmFunction {
  name: string;
  params: number[];
  results: number[];
  body: number[];
}

/** A module with one exported memory ("mem", one page to start) and the given exported functions. */
export function moduleBytes(funcs: WasmFunction[]): Uint8Array {
  const text = (x: string) => [...new TextEncoder().encode(x)];
  const exp = (name: string, kind: number, idx: number) => [...u(text(name).length), ...text(name), kind, idx];
  const types = funcs.flatMap((f) => [0x60, ...u(f.params.length), ...f.params, ...u(f.results.length), ...f.results]);
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [...u(funcs.length), ...types]),
    ...section(3, [...u(funcs.length), ...funcs.map((_, i) => i)]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [...u(funcs.length + 1), ...funcs.flatMap((f, i) => exp(f.name, 0x00, i)), ...exp('mem', 0x02, 0)]),
    ...section(10, [...u(funcs.length), ...funcs.flatMap((f) => [...u(f.body.length), ...f.body])]),
  ]);
}

// the few WebAssembly JS-API members used (the project's lib has no DOM types)
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** The exported memory of an instantiated kernel module. */
export interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** Instantiates a kernel module; null where the runtime lacks WebAssembly (or the features it uses). */
export function instantiate(bytes: Uint8Array): Record<string, unknown> | null {
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (!wasm || !wasm.validate(bytes)) return null;
    return new wasm.Instance(new wasm.Module(bytes), {}).exports;
  } catch {
    return null;
  }
}

/** Grows `mem` to at least `bytes`; false when it cannot. */
export function ensureMemory(mem: WasmMemory, bytes: number): boolean {
  try {
    if (mem.buffer.byteLength < bytes) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
    return true;
  } catch {
    return false;
  }
}
