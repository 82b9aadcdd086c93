import { asm, moduleBytes, s, T as VT } from './wasm.js';

/**
 * A WebAssembly kernel for the lossless BF16 codec's decoder, assembled here from its
 * opcodes: canonical-Huffman exponents (MSB-first, 16-bit lookup table) merged with the raw
 * sign+mantissa bytes into BF16 values, a chunk of values per call. The bit reader's state
 * (byte position, pending bits, accumulator) lives in memory between calls, so one stream
 * decodes across many chunks. Same output as huffman.decode + the merge in lossless.ts;
 * tests compare them.
 *
 * Memory: [0,4) byte position, [4,8) pending bits, [8,16) accumulator (i64),
 * [TABLE, TABLE+2^17) lookup table ((symbol << 5) | length, 0 = no code), then the chunk's
 * raw bytes, the chunk's output and the whole compressed stream (zero-padded).
 */
export const TABLE = 64;

const O = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  ret: 0x0f,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  i32load: 0x28,
  i64load: 0x29,
  i32load8u: 0x2d,
  i32load16u: 0x2f,
  i32store: 0x36,
  i64store: 0x37,
  i32store16: 0x3b,
  i32const: 0x41,
  i64const: 0x42,
  i32eqz: 0x45,
  i32ltu: 0x49,
  i32leu: 0x4d,
  i32geu: 0x4f,
  i32add: 0x6a,
  i32sub: 0x6b,
  i32and: 0x71,
  i32or: 0x72,
  i32shl: 0x74,
  i32shru: 0x76,
  i64or: 0x84,
  i64shl: 0x86,
  i64shru: 0x88,
  i32wrap: 0xa7,
  i64extendU: 0xad,
} as const;

/** Two-symbol table: 2^12 entries of 4 bytes after the 16-bit table. */
export const PAIRS = TABLE + 2 * 65536;
export const PAIR_BITS = 12;

/**
 * decodeBf16(count, raw, dst, src) -> 0, or 1 when a bit pattern matches no code.
 * Each step looks the next 12 bits up in the pair table: entry = total length | first
 * length << 5 | first symbol << 10 | second symbol << 18 | symbols << 26 (0: the first code
 * is longer than 12 bits, so the 16-bit table decodes it).
 */
function body(): number[] {
  // params: 0 count, 1 raw, 2 dst, 3 src; locals: 4 i, 5 p, 6 n, 7 e, 8 r, 9 q (i32), 10 acc (i64)
  const [COUNT, RAW, DST, SRC, I, P, N, E, R, Q, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const a = asm();
  const { c, get, set, k32, mem } = a;
  const saveState = () => storeState(a, P, N, ACC);
  // peek `bits` bits: (acc >> (n - bits)) & mask
  const peek = (bits: number) => {
    get(ACC);
    get(N);
    k32(bits);
    c.push(O.i32sub, O.i64extendU, O.i64shru, O.i32wrap);
    k32((1 << bits) - 1);
    c.push(O.i32and);
  };
  // dst[idx] = ((raw[idx] & 0x80) << 8) | (symbol << 7) | (raw[idx] & 0x7f); symbol from local Q, idx from `idx()`
  const emit = (idx: () => void) => {
    get(RAW);
    idx();
    c.push(O.i32add);
    mem(O.i32load8u, 0);
    set(R);
    get(DST);
    idx();
    k32(1);
    c.push(O.i32shl, O.i32add);
    get(R);
    k32(0x80);
    c.push(O.i32and);
    k32(8);
    c.push(O.i32shl);
    get(Q);
    k32(7);
    c.push(O.i32shl, O.i32or);
    get(R);
    k32(0x7f);
    c.push(O.i32and, O.i32or);
    mem(O.i32store16, 1);
  };
  const field = (src: number, shift: number, mask: number) => {
    get(src);
    k32(shift);
    c.push(O.i32shru);
    k32(mask);
    c.push(O.i32and);
  };
  const addTo = (loc: number, x: () => void, sub = false) => {
    get(loc);
    x();
    c.push(sub ? O.i32sub : O.i32add);
    set(loc);
  };
  loadState(a, P, N, ACC);
  c.push(O.block, 0x40, O.loop, 0x40);
  get(I);
  get(COUNT);
  c.push(O.i32geu, O.brIf, 1);
  // refill to more than 56 bits when fewer than 32 are pending
  get(N);
  k32(32);
  c.push(O.i32ltu, O.if, 0x40, O.loop, 0x40);
  get(ACC);
  c.push(O.i64const, ...s(8), O.i64shl);
  get(SRC);
  get(P);
  c.push(O.i32add);
  mem(O.i32load8u, 0);
  c.push(O.i64extendU, O.i64or);
  set(ACC);
  addTo(P, () => k32(1));
  get(N);
  k32(8);
  c.push(O.i32add, O.tee, N);
  k32(56);
  c.push(O.i32leu, O.brIf, 0, O.end, O.end);
  // pair lookup
  peek(PAIR_BITS);
  k32(2);
  c.push(O.i32shl);
  mem(O.i32load, 2, PAIRS);
  c.push(O.tee, E);
  k32(26);
  c.push(O.i32shru, O.i32eqz, O.if, 0x40);
  {
    // long first code: the 16-bit table
    peek(16);
    k32(1);
    c.push(O.i32shl);
    mem(O.i32load16u, 1, TABLE);
    c.push(O.tee, E);
    k32(31);
    c.push(O.i32and, O.i32eqz, O.if, 0x40);
    saveState();
    k32(1);
    c.push(O.ret, O.end);
    field(E, 5, 0xff);
    set(Q);
    emit(() => get(I));
    addTo(N, () => field(E, 0, 31), true);
    addTo(I, () => k32(1));
    c.push(O.br, 1); // next step
  }
  c.push(O.end);
  field(E, 10, 0xff);
  set(Q);
  emit(() => get(I));
  // a second symbol when the entry has one and the chunk wants it
  get(E);
  k32(26);
  c.push(O.i32shru);
  k32(2);
  c.push(0x46); // i32.eq
  get(I);
  k32(1);
  c.push(O.i32add);
  get(COUNT);
  c.push(O.i32ltu, O.i32and, O.if, 0x40);
  {
    field(E, 18, 0xff);
    set(Q);
    emit(() => {
      get(I);
      k32(1);
      c.push(O.i32add);
    });
    addTo(N, () => field(E, 0, 31), true);
    addTo(I, () => k32(2));
    c.push(O.br, 1);
  }
  c.push(O.end);
  addTo(N, () => field(E, 5, 31), true);
  addTo(I, () => k32(1));
  c.push(O.br, 0, O.end, O.end);
  saveState();
  k32(0);
  c.push(O.end);
  return a.body([
    [6, VT.i32],
    [1, VT.i64],
  ]);
}

type Asm = ReturnType<typeof asm>;

/** Bit-reader/writer state between calls: [0,4) position, [4,8) pending bits, [8,16) accumulator. */
function loadState(a: Asm, pos: number, n: number, acc: number): void {
  for (const [addr, op, align, loc] of [
    [0, O.i32load, 2, pos],
    [4, O.i32load, 2, n],
    [8, O.i64load, 3, acc],
  ] as const) {
    a.k32(addr);
    a.mem(op, align);
    a.set(loc);
  }
}

function storeState(a: Asm, pos: number, n: number, acc: number): void {
  for (const [addr, op, align, loc] of [
    [0, O.i32store, 2, pos],
    [4, O.i32store, 2, n],
    [8, O.i64store, 3, acc],
  ] as const) {
    a.k32(addr);
    a.get(loc);
    a.mem(op, align);
  }
}

/** The pair table for code lengths: see body(). */
export function pairTable(table16: Uint16Array): Uint32Array {
  const out = new Uint32Array(1 << PAIR_BITS);
  const shift = 16 - PAIR_BITS;
  for (let idx = 0; idx < out.length; idx++) {
    const e1 = table16[idx << shift]!;
    const l1 = e1 & 31;
    if (l1 === 0 || l1 > PAIR_BITS) continue; // long (or no) code: the 16-bit table decides
    let entry = l1 | (l1 << 5) | ((e1 >>> 5) << 10) | (1 << 26);
    const rest = PAIR_BITS - l1;
    if (rest > 0) {
      const e2 = table16[((idx << l1) & ((1 << PAIR_BITS) - 1)) << shift]!;
      const l2 = e2 & 31;
      if (l2 > 0 && l2 <= rest) entry = (l1 + l2) | (l1 << 5) | ((e1 >>> 5) << 10) | ((e2 >>> 5) << 18) | (2 << 26);
    }
    out[idx] = entry;
  }
  return out;
}

/** Encoder code table: 256 entries of (code << 5) | length, after the pair table. */
export const CODES = PAIRS + 4 * (1 << PAIR_BITS);
/** Where the per-call buffers (chunk input, output, stream) may start. */
export const WORK = CODES + 4 * 256;

/**
 * encodeBf16(count, src, raw, dst): splits `count` BF16 values at `src` into raw bytes
 * (sign | 7 mantissa bits) at `raw` and appends their exponents' codes to the bitstream at
 * `dst`, whole 32-bit words MSB first. State between calls: [0,4) bytes written to dst in
 * this call, [4,8) pending bits, [8,16) accumulator, the same cells the decoder uses.
 */
function encodeBody(): number[] {
  // params: 0 count, 1 src, 2 raw, 3 dst; locals: 4 i, 5 q, 6 n, 7 v, 8 t, 9 w (i32), 10 acc (i64)
  const [COUNT, SRC, RAW, DST, I, Q, N, V, T, W, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const a = asm();
  const { c, get, set, k32, mem } = a;
  const and = (m: number) => {
    k32(m);
    c.push(O.i32and);
  };
  const shr = (b: number) => {
    k32(b);
    c.push(O.i32shru);
  };
  loadState(a, Q, N, ACC);
  k32(0);
  set(Q); // bytes written in this call
  c.push(O.block, 0x40, O.loop, 0x40);
  get(I);
  get(COUNT);
  c.push(O.i32geu, O.brIf, 1);
  // v = src[i] (u16)
  get(SRC);
  get(I);
  k32(1);
  c.push(O.i32shl, O.i32add);
  mem(O.i32load16u, 1);
  set(V);
  // raw[i] = ((v >> 8) & 0x80) | (v & 0x7f)
  get(RAW);
  get(I);
  c.push(O.i32add);
  get(V);
  shr(8);
  and(0x80);
  get(V);
  and(0x7f);
  c.push(O.i32or);
  mem(0x3a, 0); // i32.store8
  // t = codes[(v >> 7) & 0xff]
  get(V);
  shr(7);
  and(0xff);
  k32(2);
  c.push(O.i32shl);
  mem(O.i32load, 2, CODES);
  set(T);
  // acc = (acc << len) | code; n += len
  get(ACC);
  get(T);
  and(31);
  c.push(O.i64extendU, O.i64shl);
  get(T);
  shr(5);
  c.push(O.i64extendU, O.i64or);
  set(ACC);
  get(N);
  get(T);
  and(31);
  c.push(O.i32add, O.tee, N);
  k32(32);
  c.push(O.i32geu, O.if, 0x40);
  {
    get(N);
    k32(32);
    c.push(O.i32sub, O.tee, N);
    // w = (acc >> n) as i32: the 32 oldest pending bits
    c.push(O.set, N);
    get(ACC);
    get(N);
    c.push(O.i64extendU, O.i64shru, O.i32wrap);
    set(W);
    for (let b = 0; b < 4; b++) {
      get(DST);
      get(Q);
      c.push(O.i32add);
      get(W);
      shr(24 - 8 * b);
      mem(0x3a, 0, b);
    }
    get(Q);
    k32(4);
    c.push(O.i32add);
    set(Q);
  }
  c.push(O.end);
  get(I);
  k32(1);
  c.push(O.i32add);
  set(I);
  c.push(O.br, 0, O.end, O.end);
  storeState(a, Q, N, ACC);
  c.push(O.end);
  return a.body([
    [6, VT.i32],
    [1, VT.i64],
  ]);
}

/** The module's bytes: one memory ("mem"), "decodeBf16" and "encodeBf16". */
export function huffmanModule(): Uint8Array {
  const four = [VT.i32, VT.i32, VT.i32, VT.i32];
  return moduleBytes([
    { name: 'decodeBf16', params: four, results: [VT.i32], body: body() },
    { name: 'encodeBf16', params: four, results: [], body: encodeBody() },
  ]);
}
