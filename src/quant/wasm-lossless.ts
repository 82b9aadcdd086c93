import { codeLengths, decodeTables, encoderTable } from './huffman.js';
import { chunkLayout, packLengths, streamSymbols, STREAMS, type Float16Kind } from './lossless-layout.js';
import { ensureMemory, instantiate, moduleBytes, s as sleb, T, u as uleb, type WasmMemory } from './wasm.js';

/**
 * WebAssembly kernels of the lossless codec, assembled here from their opcodes (WebAssembly
 * core specification 2.0, chapter 5; SIMD under prefix 0xFD):
 *
 * - split / merge: 16 values per step (SIMD) between 16-bit floats and (coded byte, raw byte);
 * - hist: byte histogram with four interleaved tables;
 * - encode: four LSB-first Huffman streams, branch-free, two symbols per table lookup and 64-bit store;
 * - decode: four streams at once, up to four symbols per 12-bit table lookup, in batches that
 *   cannot overrun any stream's output, then one symbol at a time to each stream's end;
 * - xxh64: XXH64 (seed 0) of a byte range, the container's checksum.
 *
 * The scalar code in lossless.ts defines the format; tests check these kernels byte for byte
 * against it. The kernel works in its own memory; callers load input straight into it and write
 * output straight from it (`encodeLoaded`, `decodeLoaded`), so chunks are not copied around.
 */

const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  ret: 0x0f,
  drop: 0x1a,
  select: 0x1b,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  i32load: 0x28,
  i64load: 0x29,
  i32load8u: 0x2d,
  i32load16u: 0x2f,
  i64load8u: 0x31,
  i64load32u: 0x35,
  i32store: 0x36,
  i64store: 0x37,
  i32store8: 0x3a,
  i32store16: 0x3b,
  i32const: 0x41,
  i64const: 0x42,
  i32eqz: 0x45,
  i32ltu: 0x49,
  i32gtu: 0x4b,
  i32leu: 0x4d,
  i32geu: 0x4f,
  i32lts: 0x48,
  i32add: 0x6a,
  i32sub: 0x6b,
  i32mul: 0x6c,
  i32divu: 0x6e,
  i32and: 0x71,
  i32or: 0x72,
  i32shl: 0x74,
  i32shru: 0x76,
  i64add: 0x7c,
  i64mul: 0x7e,
  i64or: 0x84,
  i64xor: 0x85,
  i64shl: 0x86,
  i64shru: 0x88,
  i64rotl: 0x89,
  i32wrap: 0xa7,
  i64extendU: 0xad,
} as const;

const V = {
  load: 0x00,
  store: 0x0b,
  const: 0x0c,
  shuffle: 0x0d,
  i16x8splat: 0x10,
  and: 0x4e,
  or: 0x50,
  i8x16narrowU: 0x66,
  i16x8extendLowU: 0x89,
  i16x8extendHighU: 0x8a,
  i16x8shl: 0x8b,
  i16x8shrU: 0x8d,
} as const;

/** signed LEB128 of a 64-bit two's-complement value */
function sleb64(x: bigint): number[] {
  let v = BigInt.asIntN(64, x);
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && !(b & 0x40)) || (v === -1n && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** A function body under construction. */
class Fn {
  readonly c: number[] = [];
  op(...b: number[]): this {
    this.c.push(...b);
    return this;
  }
  get(i: number): this {
    return this.op(OP.get, i);
  }
  set(i: number): this {
    return this.op(OP.set, i);
  }
  tee(i: number): this {
    return this.op(OP.tee, i);
  }
  i32(x: number): this {
    return this.op(OP.i32const, ...sleb(x | 0));
  }
  i64(x: bigint): this {
    return this.op(OP.i64const, ...sleb64(x));
  }
  mem(op: number, align: number, offset = 0): this {
    return this.op(op, align, ...uleb(offset));
  }
  v(op: number, ...imm: number[]): this {
    return this.op(0xfd, ...uleb(op), ...imm);
  }
  vload(offset = 0): this {
    return this.v(V.load, 0, ...uleb(offset));
  }
  vstore(offset = 0): this {
    return this.v(V.store, 0, ...uleb(offset));
  }
  /** v128.const of eight i16 lanes all equal to x */
  splat16(x: number): this {
    const b = [x & 0xff, (x >>> 8) & 0xff];
    return this.v(V.const, ...b, ...b, ...b, ...b, ...b, ...b, ...b, ...b);
  }
  /** local += value pushed by f */
  addTo(local: number, f: () => void, sub = false): this {
    this.get(local);
    f();
    return this.op(sub ? OP.i32sub : OP.i32add).set(local);
  }
  inc(local: number, by: number): this {
    return this.get(local).i32(by).op(OP.i32add).set(local);
  }
  /** while (cond()) body() */
  while(cond: () => void, body: () => void): this {
    this.op(OP.block, 0x40, OP.loop, 0x40);
    cond();
    this.op(OP.i32eqz, OP.brIf, 1);
    body();
    return this.op(OP.br, 0, OP.end, OP.end);
  }
  body(locals: [number, number][]): number[] {
    return [...uleb(locals.length), ...locals.flatMap(([n, t]) => [...uleb(n), t]), ...this.c, OP.end];
  }
}

// ---- memory layout ----
/** result cells: [0, 16) stream byte lengths (encode), [16, 32) stream bit positions (decode) */
const HIST = 64;
const CODES = HIST + 4 * 1024;
const QUAD = CODES + 1024;
const SINGLE = QUAD + 4 * 4096;
const LONG = SINGLE + 2 * 4096;
/** encoder pair codes, indexed by two symbols (first | second << 8): total length (bits 0-5) | both codes (bits 6-37) */
const PAIRCODES = LONG + 2 * 65536;
/** decoder steps, indexed by the next 12 bits: bits consumed (bits 0-3) | symbols decoded (bits 4-6); 0 for a long code */
const STEP = PAIRCODES + 8 * 65536;
const WORK = STEP + 4096;

// XXH64 primes (Collet, xxHash specification)
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

/** xxh64(ptr, len) -> i64 */
function xxh64Body(): number[] {
  const [PTR, LEN, P, END, V1, V2, V3, V4, H] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const f = new Fn();
  // round(acc, x): rotl(acc + x * P2, 31) * P1, with acc and x on the stack as (acc, x)
  const round = () => f.i64(P2).op(OP.i64mul, OP.i64add).i64(31n).op(OP.i64rotl).i64(P1).op(OP.i64mul);
  f.get(PTR).set(P);
  f.get(PTR).get(LEN).op(OP.i32add).set(END);
  f.get(LEN).i32(32).op(OP.i32geu, OP.if, 0x40);
  {
    f.i64(P1 + P2)
      .set(V1)
      .i64(P2)
      .set(V2)
      .i64(0n)
      .set(V3)
      .i64(-P1)
      .set(V4);
    f.while(
      () => f.get(P).i32(32).op(OP.i32add).get(END).op(OP.i32leu),
      () => {
        [V1, V2, V3, V4].forEach((v, k) => {
          f.get(v)
            .get(P)
            .mem(OP.i64load, 3, 8 * k);
          round();
          f.set(v);
        });
        f.inc(P, 32);
      },
    );
    f.get(V1)
      .i64(1n)
      .op(OP.i64rotl)
      .get(V2)
      .i64(7n)
      .op(OP.i64rotl, OP.i64add)
      .get(V3)
      .i64(12n)
      .op(OP.i64rotl, OP.i64add)
      .get(V4)
      .i64(18n)
      .op(OP.i64rotl, OP.i64add)
      .set(H);
    for (const v of [V1, V2, V3, V4]) {
      f.get(H).i64(0n).get(v);
      round();
      f.op(OP.i64xor).i64(P1).op(OP.i64mul).i64(P4).op(OP.i64add).set(H);
    }
  }
  f.op(OP.else);
  f.i64(P5).set(H);
  f.op(OP.end);
  f.get(H).get(LEN).op(OP.i64extendU, OP.i64add).set(H);
  f.while(
    () => f.get(P).i32(8).op(OP.i32add).get(END).op(OP.i32leu),
    () => {
      f.get(H).i64(0n).get(P).mem(OP.i64load, 3);
      round();
      f.op(OP.i64xor).i64(27n).op(OP.i64rotl).i64(P1).op(OP.i64mul).i64(P4).op(OP.i64add).set(H);
      f.inc(P, 8);
    },
  );
  f.get(P).i32(4).op(OP.i32add).get(END).op(OP.i32leu, OP.if, 0x40);
  f.get(H).get(P).mem(OP.i64load32u, 2).i64(P1).op(OP.i64mul, OP.i64xor).i64(23n).op(OP.i64rotl).i64(P2).op(OP.i64mul).i64(P3).op(OP.i64add).set(H);
  f.inc(P, 4);
  f.op(OP.end);
  f.while(
    () => f.get(P).get(END).op(OP.i32ltu),
    () => {
      f.get(H).get(P).mem(OP.i64load8u, 0).i64(P5).op(OP.i64mul, OP.i64xor).i64(11n).op(OP.i64rotl).i64(P1).op(OP.i64mul).set(H);
      f.inc(P, 1);
    },
  );
  for (const [sh, m] of [
    [33n, P2],
    [29n, P3],
  ] as const)
    f.get(H).get(H).i64(sh).op(OP.i64shru, OP.i64xor).i64(m).op(OP.i64mul).set(H);
  f.get(H).get(H).i64(32n).op(OP.i64shru, OP.i64xor);
  return f.body([
    [2, T.i32],
    [5, T.i64],
  ]);
}

/** hist(sym, count): counts of symbols [0, count & ~3) in four interleaved tables at HIST (histTail finishes) */
function histBody(): number[] {
  const [SYM, COUNT, I, LIM, A] = [0, 1, 2, 3, 4];
  const f = new Fn();
  f.i32(0).set(I);
  f.while(
    () =>
      f
        .get(I)
        .i32(4 * 1024)
        .op(OP.i32ltu),
    () => {
      f.get(I).i32(0).mem(OP.i32store, 2, HIST);
      f.inc(I, 4);
    },
  );
  f.get(SYM).set(I);
  f.get(SYM).get(COUNT).i32(-4).op(OP.i32and, OP.i32add).set(LIM);
  f.while(
    () => f.get(I).get(LIM).op(OP.i32ltu),
    () => {
      for (let k = 0; k < 4; k++) {
        f.get(I).mem(OP.i32load8u, 0, k).i32(2).op(OP.i32shl).tee(A);
        f.get(A)
          .mem(OP.i32load, 2, HIST + 1024 * k)
          .i32(1)
          .op(OP.i32add)
          .mem(OP.i32store, 2, HIST + 1024 * k);
      }
      f.inc(I, 4);
    },
  );
  return f.body([[3, T.i32]]);
}

/** histTail(sym, from, to): counts symbols [from, to) into table 0, then folds tables 1..3 into 0 */
function histTailBody(): number[] {
  const [SYM, FROM, TO, I, A] = [0, 1, 2, 3, 4];
  const f = new Fn();
  f.get(FROM).set(I);
  f.while(
    () => f.get(I).get(TO).op(OP.i32ltu),
    () => {
      f.get(SYM).get(I).op(OP.i32add).mem(OP.i32load8u, 0).i32(2).op(OP.i32shl).tee(A);
      f.get(A).mem(OP.i32load, 2, HIST).i32(1).op(OP.i32add).mem(OP.i32store, 2, HIST);
      f.inc(I, 1);
    },
  );
  f.i32(0).set(I);
  f.while(
    () => f.get(I).i32(1024).op(OP.i32ltu),
    () => {
      f.get(I);
      f.get(I).mem(OP.i32load, 2, HIST);
      for (let k = 1; k < 4; k++)
        f.get(I)
          .mem(OP.i32load, 2, HIST + 1024 * k)
          .op(OP.i32add);
      f.mem(OP.i32store, 2, HIST);
      f.inc(I, 4);
    },
  );
  return f.body([[2, T.i32]]);
}

/** split(kind, src, count, sym, raw): 16 values per step (reads and writes whole steps: regions are padded) */
function splitBody(): number[] {
  const [KIND, SRC, COUNT, SYM, RAW, I, ADDR, A, B] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const f = new Fn();
  const odd = Array.from({ length: 16 }, (_, k) => 2 * k + 1);
  const even = Array.from({ length: 16 }, (_, k) => 2 * k);
  f.i32(0).set(I);
  f.while(
    () => f.get(I).get(COUNT).op(OP.i32ltu),
    () => {
      f.get(SRC).get(I).i32(1).op(OP.i32shl, OP.i32add).tee(ADDR).vload(0).set(A);
      f.get(ADDR).vload(16).set(B);
      f.get(KIND).op(OP.i32eqz, OP.if, 0x40);
      {
        // bf16: sym = (v >> 7) & 0xff, raw = ((v >> 8) & 0x80) | (v & 0x7f)
        f.get(SYM).get(I).op(OP.i32add);
        for (const x of [A, B]) f.get(x).i32(7).v(V.i16x8shrU).splat16(0xff).v(V.and);
        f.v(V.i8x16narrowU).vstore();
        f.get(RAW).get(I).op(OP.i32add);
        for (const x of [A, B]) f.get(x).i32(8).v(V.i16x8shrU).splat16(0x80).v(V.and).get(x).splat16(0x7f).v(V.and).v(V.or);
        f.v(V.i8x16narrowU).vstore();
      }
      f.op(OP.else);
      {
        // fp16: sym = high byte, raw = low byte
        f.get(SYM)
          .get(I)
          .op(OP.i32add)
          .get(A)
          .get(B)
          .v(V.shuffle, ...odd)
          .vstore();
        f.get(RAW)
          .get(I)
          .op(OP.i32add)
          .get(A)
          .get(B)
          .v(V.shuffle, ...even)
          .vstore();
      }
      f.op(OP.end);
      f.inc(I, 16);
    },
  );
  return f.body([
    [2, T.i32],
    [2, T.v128],
  ]);
}

/** merge(kind, sym, raw, count, out): the inverse of split, 16 values per step */
function mergeBody(): number[] {
  const [KIND, SYM, RAW, COUNT, OUT, I, S, R] = [0, 1, 2, 3, 4, 5, 6, 7];
  const f = new Fn();
  const lo = Array.from({ length: 16 }, (_, k) => (k & 1 ? 16 : 0) + (k >> 1));
  const hi = lo.map((x) => x + 8);
  f.i32(0).set(I);
  f.while(
    () => f.get(I).get(COUNT).op(OP.i32ltu),
    () => {
      f.get(SYM).get(I).op(OP.i32add).vload().set(S);
      f.get(RAW).get(I).op(OP.i32add).vload().set(R);
      f.get(KIND).op(OP.i32eqz, OP.if, 0x40);
      for (const [half, off] of [
        [V.i16x8extendLowU, 0],
        [V.i16x8extendHighU, 16],
      ] as const) {
        f.get(OUT).get(I).i32(1).op(OP.i32shl, OP.i32add);
        f.get(R).v(half).splat16(0x7f).v(V.and);
        f.get(S).v(half).i32(7).v(V.i16x8shl).v(V.or);
        f.get(R).v(half).splat16(0x80).v(V.and).i32(8).v(V.i16x8shl).v(V.or);
        f.vstore(off);
      }
      f.op(OP.else);
      f.get(OUT)
        .get(I)
        .i32(1)
        .op(OP.i32shl, OP.i32add)
        .get(R)
        .get(S)
        .v(V.shuffle, ...lo)
        .vstore(0);
      f.get(OUT)
        .get(I)
        .i32(1)
        .op(OP.i32shl, OP.i32add)
        .get(R)
        .get(S)
        .v(V.shuffle, ...hi)
        .vstore(16);
      f.op(OP.end);
      f.inc(I, 16);
    },
  );
  return f.body([
    [1, T.i32],
    [2, T.v128],
  ]);
}

/**
 * encode(sym, count, q, out0, out1, out2, out3): stream k codes symbols [k*q, min((k+1)*q, count))
 * into out_k; byte lengths to cells [0, 16). Codes (code << 5 | length) at CODES. Streams are
 * coded two at a time (0 with 1, then 2 with 3: two dependency chains without register
 * spills), two symbols per step with one lookup of their joint code at PAIRCODES (at most
 * 7 + 2 x 16 pending bits, one 64-bit store).
 */
function encodeBody(): number[] {
  // params 0 sym, 1 count, 2 q, 3..6 out; locals 7..10 p_k, 11..14 o_k, 15..18 n_k, 19..22 end_k, 23 t, 24 j, 25 spare; 26..29 acc_k, 30 pair code (i64)
  const [SYM, COUNT, Q] = [0, 1, 2];
  const OUT = [3, 4, 5, 6];
  const PK = [7, 8, 9, 10];
  const O = [11, 12, 13, 14];
  const N = [15, 16, 17, 18];
  const END = [19, 20, 21, 22];
  const [TT, J] = [23, 24];
  const ACC = [26, 27, 28, 29];
  const PC = 30;
  const f = new Fn();
  const minWith = (x: () => void) => {
    x();
    f.get(COUNT);
    x();
    f.get(COUNT).op(OP.i32ltu, OP.select);
  };
  for (let k = 0; k < 4; k++) {
    f.get(SYM);
    minWith(() => f.get(Q).i32(k).op(OP.i32mul));
    f.op(OP.i32add).set(PK[k]!);
    f.get(SYM);
    minWith(() =>
      f
        .get(Q)
        .i32(k + 1)
        .op(OP.i32mul),
    );
    f.op(OP.i32add).set(END[k]!);
    f.get(OUT[k]!).set(O[k]!);
    f.i32(0).set(N[k]!);
    f.i64(0n).set(ACC[k]!);
  }
  // append the code of the symbol whose table address (sym << 2) is on the stack
  const put = (k: number) => {
    f.mem(OP.i32load, 2, CODES).set(TT);
    f.get(ACC[k]!).get(TT).i32(5).op(OP.i32shru, OP.i64extendU).get(N[k]!).op(OP.i64extendU, OP.i64shl, OP.i64or).set(ACC[k]!);
    f.get(N[k]!).get(TT).i32(31).op(OP.i32and, OP.i32add).set(N[k]!);
  };
  const flush = (k: number) => {
    f.get(O[k]!).get(ACC[k]!).mem(OP.i64store, 0);
    f.get(O[k]!).get(N[k]!).i32(3).op(OP.i32shru, OP.i32add).set(O[k]!);
    f.get(ACC[k]!).get(N[k]!).i32(-8).op(OP.i32and, OP.i64extendU, OP.i64shru).set(ACC[k]!);
    f.get(N[k]!).i32(7).op(OP.i32and).set(N[k]!);
  };
  const one = (k: number) => {
    f.get(PK[k]!).mem(OP.i32load8u, 0).i32(2).op(OP.i32shl);
    put(k);
    flush(k);
    f.inc(PK[k]!, 1);
  };
  // two symbols with one lookup of their joint code (at most 7 + 32 pending bits, one 64-bit store)
  const pairStep = (k: number) => {
    f.get(PK[k]!).mem(OP.i32load16u, 0).i32(3).op(OP.i32shl).mem(OP.i64load, 3, PAIRCODES).set(PC);
    f.get(ACC[k]!).get(PC).i64(6n).op(OP.i64shru).get(N[k]!).op(OP.i64extendU, OP.i64shl, OP.i64or).set(ACC[k]!);
    f.get(N[k]!).get(PC).op(OP.i32wrap).i32(63).op(OP.i32and, OP.i32add).set(N[k]!);
    flush(k);
    f.inc(PK[k]!, 2);
  };
  for (const [a, b] of [
    [0, 1],
    [2, 3],
  ] as const) {
    // both streams, two symbols at a time, while the shorter (b) has two left
    f.get(END[b]!).get(PK[b]!).op(OP.i32sub).i32(1).op(OP.i32shru).set(J);
    f.while(
      () => f.get(J),
      () => {
        pairStep(a);
        pairStep(b);
        f.inc(J, -1);
      },
    );
    for (const k of [a, b])
      f.while(
        () => f.get(PK[k]!).get(END[k]!).op(OP.i32ltu),
        () => one(k),
      );
  }
  for (let k = 0; k < 4; k++) {
    // the pending bits were stored by the last flush; count their byte
    f.i32(4 * k);
    f.get(O[k]!).get(OUT[k]!).op(OP.i32sub).get(N[k]!).i32(0).op(0x47 /* i32.ne */, OP.i32add);
    f.mem(OP.i32store, 2);
  }
  return f.body([
    [19, T.i32],
    [5, T.i64],
  ]);
}

/**
 * decode(s0, s1, s2, s3, count, q, out): stream k (starting at address s_k) decodes into
 * out + k*q; final bit positions to cells [16, 32).
 */
function decodeBody(): number[] {
  // params 0..3 s_k, 4 count, 5 q, 6 out; locals 7..10 bp_k, 11..14 o_k, 15..18 end_k, 19 e, 20 m, 21 kk, 22 l; 23 v (i64)
  const S = [0, 1, 2, 3];
  const [COUNT, Q, OUTP] = [4, 5, 6];
  const BP = [7, 8, 9, 10];
  const O = [11, 12, 13, 14];
  const END = [15, 16, 17, 18];
  const [E, M, KK, L] = [19, 20, 21, 22];
  const VV = 23;
  const [IX, SV] = [24, 25];
  const f = new Fn();
  for (let k = 0; k < 4; k++) {
    const minWith = (x: () => void) => {
      x();
      f.get(COUNT);
      x();
      f.get(COUNT).op(OP.i32ltu, OP.select);
    };
    f.get(OUTP);
    minWith(() => f.get(Q).i32(k).op(OP.i32mul));
    f.op(OP.i32add).set(O[k]!);
    f.get(OUTP);
    minWith(() =>
      f
        .get(Q)
        .i32(k + 1)
        .op(OP.i32mul),
    );
    f.op(OP.i32add).set(END[k]!);
    f.i32(0).set(BP[k]!);
  }
  // v = next 57+ bits of stream k
  const peek = (k: number) => {
    f.get(S[k]!).get(BP[k]!).i32(3).op(OP.i32shru, OP.i32add).mem(OP.i64load, 0);
    f.get(BP[k]!).i32(7).op(OP.i32and, OP.i64extendU, OP.i64shru).set(VV);
  };
  // l = long entry for the pair entry in E
  const longEntry = () => {
    f.get(E).i32(8).op(OP.i32shru);
    f.get(VV).op(OP.i32wrap).i32(12).op(OP.i32shru).i32(15).op(OP.i32and, OP.i32add);
    f.i32(1).op(OP.i32shl).mem(OP.i32load16u, 1, LONG).set(L);
  };
  // one table step: up to four symbols; the bits consumed come from the small STEP table, so the
  // chain from one step to the next (bit position, stream load, STEP lookup) stays short
  const fast = (k: number) => {
    peek(k);
    f.get(VV).op(OP.i32wrap).i32(0xfff).op(OP.i32and).tee(IX).mem(OP.i32load8u, 0, STEP).tee(SV);
    f.i32(16).op(OP.i32ltu, OP.if, 0x40);
    {
      f.get(IX).i32(2).op(OP.i32shl).mem(OP.i32load, 2, QUAD).set(E);
      longEntry();
      f.get(O[k]!).get(L).i32(5).op(OP.i32shru).mem(OP.i32store8, 0);
      f.inc(O[k]!, 1);
      f.addTo(BP[k]!, () => f.get(L).i32(31).op(OP.i32and));
    }
    f.op(OP.else);
    {
      f.get(O[k]!).get(IX).i32(2).op(OP.i32shl).mem(OP.i32load, 2, QUAD).mem(OP.i32store, 0);
      f.addTo(O[k]!, () => f.get(SV).i32(4).op(OP.i32shru));
      f.addTo(BP[k]!, () => f.get(SV).i32(15).op(OP.i32and));
    }
    f.op(OP.end);
  };
  // batches: each step writes at most 4 bytes and produces 1..4 symbols, so K = (m - 4) / 4 + 1
  // steps are safe while every stream has at least m >= 4 symbols left
  f.op(OP.block, 0x40, OP.loop, 0x40);
  {
    f.get(END[0]!).get(O[0]!).op(OP.i32sub).set(M);
    for (let k = 1; k < 4; k++) {
      f.get(END[k]!).get(O[k]!).op(OP.i32sub).tee(E);
      f.get(M).get(E).get(M).op(OP.i32ltu, OP.select).set(M);
    }
    f.get(M).i32(4).op(OP.i32lts, OP.brIf, 1);
    f.get(M).i32(4).op(OP.i32sub).i32(2).op(OP.i32shru).i32(1).op(OP.i32add).set(KK);
    f.while(
      () => f.get(KK),
      () => {
        for (let k = 0; k < 4; k++) fast(k);
        f.inc(KK, -1);
      },
    );
    f.op(OP.br, 0);
  }
  f.op(OP.end, OP.end);
  // the rest, one symbol at a time
  for (let k = 0; k < 4; k++) {
    f.while(
      () => f.get(O[k]!).get(END[k]!).op(OP.i32ltu),
      () => {
        peek(k);
        f.get(VV).op(OP.i32wrap).i32(0xfff).op(OP.i32and).tee(E).i32(1).op(OP.i32shl).mem(OP.i32load16u, 1, SINGLE).tee(L);
        f.op(OP.i32eqz, OP.if, 0x40);
        f.get(E).i32(2).op(OP.i32shl).mem(OP.i32load, 2, QUAD).set(E);
        longEntry();
        f.op(OP.end);
        f.get(O[k]!).get(L).i32(5).op(OP.i32shru).mem(OP.i32store8, 0);
        f.inc(O[k]!, 1);
        f.addTo(BP[k]!, () => f.get(L).i32(31).op(OP.i32and));
      },
    );
    f.i32(16 + 4 * k)
      .get(BP[k]!)
      .mem(OP.i32store, 2);
  }
  return f.body([
    [16, T.i32],
    [1, T.i64],
    [2, T.i32],
  ]);
}

export function losslessModule(): Uint8Array {
  const i = T.i32;
  return moduleBytes([
    { name: 'xxh64', params: [i, i], results: [T.i64], body: xxh64Body() },
    { name: 'hist', params: [i, i], results: [], body: histBody() },
    { name: 'histTail', params: [i, i, i], results: [], body: histTailBody() },
    { name: 'split', params: [i, i, i, i, i], results: [], body: splitBody() },
    { name: 'merge', params: [i, i, i, i, i], results: [], body: mergeBody() },
    { name: 'encode', params: [i, i, i, i, i, i, i], results: [], body: encodeBody() },
    { name: 'decode', params: [i, i, i, i, i, i, i], results: [], body: decodeBody() },
  ]);
}

interface Exports {
  mem: WasmMemory;
  xxh64: (p: number, n: number) => bigint;
  hist: (sym: number, count: number) => void;
  histTail: (sym: number, from: number, to: number) => void;
  split: (kind: number, src: number, count: number, sym: number, raw: number) => void;
  merge: (kind: number, sym: number, raw: number, count: number, out: number) => void;
  encode: (sym: number, count: number, q: number, o0: number, o1: number, o2: number, o3: number) => void;
  decode: (s0: number, s1: number, s2: number, s3: number, count: number, q: number, out: number) => void;
}

const pad = (n: number) => Math.ceil((n + 64) / 64) * 64;

/** Where each buffer of a call for `count` values lives. */
function regions(count: number) {
  const q = streamSymbols(count);
  const values = WORK; // source values (encode) / restored values (decode)
  const sym = values + pad(2 * count);
  const streams = sym + pad(count);
  const streamBytes = pad(2 * q + 16);
  const payload = streams + STREAMS * streamBytes;
  // a payload of raw (count) + 12 + table (<= 160) + streams (<= 2 * count), then room for a corrupt stream to read past its end
  const end = payload + pad(3 * count + 200 + 2 * q + 64);
  return { q, values, sym, streams, streamBytes, payload, end };
}

export interface LosslessKernel {
  /** A view of kernel memory to load `count` values into before encodeLoaded. */
  valuesBuffer(count: number): Uint8Array;
  /** Encodes the values loaded into valuesBuffer; returns the payload (a view of kernel memory, valid until the next call). */
  encodeLoaded(count: number, kind: Float16Kind): Uint8Array;
  /** A view of kernel memory to load a payload of `length` bytes for `count` values into. */
  payloadBuffer(length: number, count: number): Uint8Array;
  /** Decodes the loaded payload; returns the values (a view of kernel memory, valid until the next call). */
  decodeLoaded(length: number, count: number, kind: Float16Kind): Uint8Array;
  encode(src: Uint8Array, kind: Float16Kind): Uint8Array;
  decode(payload: Uint8Array, kind: Float16Kind, out: Uint8Array): void;
  /** XXH64 (seed 0) of bytes (a view of kernel memory is hashed in place). */
  xxh64(data: Uint8Array): bigint;
  /** The coded-byte histogram of the last encodeLoaded. */
  lastCounts(): Uint32Array;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function makeKernel(e: Exports): LosslessKernel {
  const mem = e.mem;
  const grow = (bytes: number) => {
    if (!ensureMemory(mem, bytes)) throw new Error(`the lossless kernel cannot grow its memory to ${bytes} bytes`);
  };
  const heap = () => new Uint8Array(mem.buffer);
  /** the code lengths whose decode tables are loaded */
  let tablesFor: Uint8Array | null = null;
  const k: LosslessKernel = {
    valuesBuffer(count) {
      const r = regions(count);
      grow(r.end);
      return heap().subarray(r.values, r.values + 2 * count);
    },
    encodeLoaded(count, kind) {
      const r = regions(count);
      grow(r.end);
      const kindId = kind === 'bf16' ? 0 : 1;
      // split straight into the payload: raw bytes come first
      e.split(kindId, r.values, count, r.sym, r.payload);
      e.hist(r.sym, count);
      e.histTail(r.sym, count & ~3, count);
      const counts = new Uint32Array(mem.buffer, HIST, 256).slice();
      const lengths = codeLengths(counts);
      const codes = encoderTable(lengths);
      new Uint32Array(mem.buffer, CODES, 256).set(codes);
      // joint codes of every pair of symbols present (the others are never looked up)
      const present: number[] = [];
      for (let x = 0; x < 256; x++) if (counts[x]) present.push(x);
      const pc = new Uint32Array(mem.buffer, PAIRCODES, 2 * 65536);
      for (const a of present) {
        const la = codes[a]! & 31;
        const ca = codes[a]! >>> 5;
        for (const b of present) {
          const lb = codes[b]! & 31;
          const joint = ca + (codes[b]! >>> 5) * 2 ** la; // up to 32 bits
          const at = 2 * (a | (b << 8));
          pc[at] = ((joint % 2 ** 26) * 64 + la + lb) >>> 0;
          pc[at + 1] = Math.floor(joint / 2 ** 26);
        }
      }
      const outs = [0, 1, 2, 3].map((s) => r.streams + s * r.streamBytes);
      e.encode(r.sym, count, r.q, outs[0]!, outs[1]!, outs[2]!, outs[3]!);
      const lens = new Uint32Array(mem.buffer, 0, 4).slice();
      const h = heap();
      const dv = new DataView(mem.buffer);
      for (let s = 0; s < 3; s++) dv.setUint32(r.payload + count + 4 * s, lens[s]!, true);
      const lt = packLengths(lengths);
      h.set(lt, r.payload + count + 12);
      let at = r.payload + count + 12 + lt.length;
      for (let s = 0; s < 4; s++) {
        h.copyWithin(at, outs[s]!, outs[s]! + lens[s]!);
        at += lens[s]!;
      }
      return h.subarray(r.payload, at);
    },
    payloadBuffer(length, count) {
      const r = regions(count);
      if (length > r.end - r.payload - 2 * r.q - 64) throw new Error(`corrupt chunk: ${length} bytes is more than ${count} values can take`);
      grow(r.end);
      return heap().subarray(r.payload, r.payload + length);
    },
    decodeLoaded(length, count, kind) {
      const r = regions(count);
      grow(r.end);
      const payload = heap().subarray(r.payload, r.payload + length);
      const { lengths, streams } = chunkLayout(payload, count);
      if (count === 0) return heap().subarray(r.values, r.values);
      // consecutive chunks of a tensor usually share their code: its tables are then already in place
      if (!tablesFor || !sameBytes(tablesFor, lengths)) {
        tablesFor = null;
        const t = decodeTables(lengths);
        if (t.long.length > 65536) throw new Error('corrupt chunk: code table too large');
        new Uint32Array(mem.buffer, QUAD, 4096).set(t.quad);
        heap().set(t.step, STEP);
        new Uint16Array(mem.buffer, SINGLE, 4096).set(t.single);
        new Uint16Array(mem.buffer, LONG, t.long.length).set(t.long);
        tablesFor = lengths.slice();
      }
      const st = streams.map(([at]) => r.payload + at);
      e.decode(st[0]!, st[1]!, st[2]!, st[3]!, count, r.q, r.sym);
      const bits = new Uint32Array(mem.buffer, 16, 4);
      for (let s = 0; s < 4; s++) if (Math.ceil(bits[s]! / 8) !== streams[s]![1]) throw new Error('corrupt chunk: a stream does not end where its length says');
      e.merge(kind === 'bf16' ? 0 : 1, r.sym, r.payload, count, r.values);
      return heap().subarray(r.values, r.values + 2 * count);
    },
    encode(src, kind) {
      const count = src.length >> 1;
      k.valuesBuffer(count).set(src);
      return k.encodeLoaded(count, kind).slice();
    },
    decode(payload, kind, out) {
      const count = out.length >> 1;
      k.payloadBuffer(payload.length, count).set(payload);
      out.set(k.decodeLoaded(payload.length, count, kind));
    },
    lastCounts() {
      return new Uint32Array(mem.buffer, HIST, 256).slice();
    },
    xxh64(data) {
      if (data.buffer === mem.buffer) return BigInt.asUintN(64, e.xxh64(data.byteOffset, data.byteLength));
      // hash a copy in the work region, a window at a time is not possible (XXH64 keeps state), so grow to fit
      grow(WORK + data.byteLength + 64);
      heap().set(data, WORK);
      return BigInt.asUintN(64, e.xxh64(WORK, data.byteLength));
    },
  };
  return k;
}

/** The module's bytes, assembled on first use. memo: idempotent */
let MODULE: Uint8Array | undefined;

/** A fresh kernel with memory of its own (null without WebAssembly SIMD): a pipeline keeps one per chunk in flight. */
export function createLosslessKernel(): LosslessKernel | null {
  MODULE ??= losslessModule();
  const e = instantiate(MODULE);
  return e ? makeKernel(e as unknown as Exports) : null;
}

/** The kernel is assembled and instantiated once, on first use (null without WebAssembly SIMD). memo: idempotent */
let KERNEL: LosslessKernel | null | undefined;
export function losslessKernel(): LosslessKernel | null {
  if (KERNEL === undefined) KERNEL = createLosslessKernel();
  return KERNEL;
}
