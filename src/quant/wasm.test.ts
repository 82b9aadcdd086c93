import { describe, expect, it } from 'vitest';
import { asm, ensureMemory, instantiate, moduleBytes, s, T, u, type WasmMemory } from './wasm.js';

describe('WebAssembly assembler', () => {
  it('encodes LEB128 as the DWARF/WebAssembly examples do', () => {
    expect(u(0)).toEqual([0x00]);
    expect(u(127)).toEqual([0x7f]);
    expect(u(128)).toEqual([0x80, 0x01]);
    expect(u(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(s(-1)).toEqual([0x7f]);
    expect(s(63)).toEqual([0x3f]);
    expect(s(64)).toEqual([0xc0, 0x00]);
    expect(s(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  it('assembles a module that runs: sub(a, b) and a store to the exported memory', () => {
    const a = asm();
    a.k32(100);
    a.get(0);
    a.get(1);
    a.c.push(0x6b); // i32.sub
    a.mem(0x36, 2); // i32.store at address 100
    a.k32(100);
    a.mem(0x28, 2); // i32.load it back
    a.c.push(0x0b);
    const e = instantiate(moduleBytes([{ name: 'sub', params: [T.i32, T.i32], results: [T.i32], body: a.body([]) }]));
    expect(e).not.toBeNull();
    expect((e!['sub'] as (x: number, y: number) => number)(7, 10)).toBe(-3);
    const mem = e!['mem'] as WasmMemory;
    expect(new Int32Array(mem.buffer, 100, 1)[0]).toBe(-3);
    expect(ensureMemory(mem, 3 * 65536)).toBe(true);
    expect(mem.buffer.byteLength).toBeGreaterThanOrEqual(3 * 65536);
  });

  it('returns null for bytes that are not a valid module', () => {
    expect(instantiate(Uint8Array.from([0, 0x61, 0x73, 0x6d, 9, 9, 9, 9]))).toBeNull();
  });
});
