/**
 * The scalar primitives of ggml's reference quantizers, reproduced bit for bit
 * (ggml/src/ggml-impl.h and ggml-quants.c):
 * - `GGML_FP32_TO_FP16`: IEEE round to nearest even, overflow to infinity, NaN to 0x7e00 with
 *   the sign (the FP16 library's arithmetic trick; same result as a plain RNE conversion);
 * - `GGML_FP16_TO_FP32`: exact;
 * - `ggml_compute_fp32_to_bf16`: round to nearest even on the bits, NaN forced quiet;
 * - `nearest_int`: the 1.5 * 2^23 trick, i.e. round half to even for |x| <= 4194303, and the same
 *   bit arithmetic outside that range.
 * Every float operation of the C code is mirrored by one `Math.fround`; for float32 operands a
 * double-precision +, -, *, / or sqrt rounded once to float32 equals the float32 operation
 * (53 >= 2*24 + 2 bits, so double rounding is innocuous).
 */

const TWO_M24 = 2 ** -24;
const TWO_M14 = 2 ** -14;

/** float32 value of every fp16 bit pattern, built once at module load and never written after. */
export const FP16_TO_F32: Float32Array = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? s * m * TWO_M24 : e === 0x1f ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
})();

/** Round half to even of a double (exact for the float32-derived values used here). */
function rintEven(q: number): number {
  const r = Math.floor(q);
  const d = q - r;
  if (d > 0.5) return r + 1;
  if (d < 0.5) return r;
  return r % 2 === 0 ? r : r + 1;
}

/**
 * fp16 bits of a float32 value, as `GGML_FP32_TO_FP16`. NaN has no observable sign in JavaScript;
 * it is encoded as x86's default NaN (sign set, 0xfe00), the NaN that C code generates there.
 */
export function fp32ToFp16(f: number): number {
  if (f !== f) return 0xfe00;
  const sign = f < 0 || (f === 0 && 1 / f < 0) ? 0x8000 : 0;
  const a = Math.abs(f);
  if (a >= 65520) return sign | 0x7c00;
  if (a < TWO_M14) return sign | rintEven(a / TWO_M24);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const r = rintEven(a / 2 ** (e - 10)); // in [1024, 2048]; 2048 carries into the exponent
  return sign | (((e + 15) << 10) + r - 1024);
}

/** fp16 bits of float32 bit patterns (`ggml_fp32_to_fp16_row`), integer-only; same results as fp32ToFp16. */
export function fp32BitsToFp16(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const abs = b & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00;
  if (abs >= 0x477ff000) return sign | 0x7c00; // >= 65520 rounds to infinity
  if (abs >= 0x38800000) {
    // normal: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits to even
    const t = abs - 0x38000000;
    return sign | ((t + 0xfff + ((t >>> 13) & 1)) >>> 13);
  }
  if (abs < 0x33000000) return sign; // below 2^-25 (and 2^-25 itself, a tie to even) rounds to zero
  // subnormal half: value = mant * 2^(e-150); result = round(value * 2^24)
  const e = abs >>> 23;
  const mant = (abs & 0x7fffff) | 0x800000;
  const shift = 126 - e; // dropped bits
  const half = 1 << (shift - 1);
  let m = mant >>> shift;
  const rest = mant & ((1 << shift) - 1);
  if (rest > half || (rest === half && m & 1)) m++;
  return sign | m;
}

/** bfloat16 bits of float32 bits, as `ggml_compute_fp32_to_bf16`. */
export function fp32BitsToBf16(u: number): number {
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 64) & 0xffff;
  return ((u >>> 0) + 0x7fff + ((u >>> 16) & 1)) >>> 16;
}

const MAGIC = 12582912; // 1.5 * 2^23

/**
 * ggml's `nearest_int`. In range it is round-half-even; outside (reached only from overflowed or
 * non-finite intermediates) the result is the same bit arithmetic on the float32 sum.
 */
export function nearestInt(fval: number): number {
  const v = Math.fround(fval + MAGIC);
  if (v >= 8388608 && v < 16777216) return v - MAGIC;
  return nearestIntBits(v);
}

function nearestIntBits(v: number): number {
  const b = new Uint32Array(new Float32Array([v]).buffer)[0]!;
  // NaN produced by x86 arithmetic carries mantissa 0x400000, as does JavaScript's canonical NaN
  return (b & 0x007fffff) - 0x00400000;
}

/** C's `(int8_t)` of an int (two's complement wrap). */
export function toInt8(v: number): number {
  return (v << 24) >> 24;
}

/**
 * C's float-to-integer conversion as x86-64 executes it (`cvttss2si`): truncation toward zero,
 * and the "integer indefinite" INT_MIN for NaN or a value outside int32. Narrowing casts
 * (`(int8_t)`, `(uint8_t)`) then keep the low byte of that.
 */
export function cvtt(f: number): number {
  return f > -2147483649 && f < 2147483648 ? Math.trunc(f) : -2147483648;
}

/** C's `roundf`: half away from zero. */
export function roundf(f: number): number {
  return f < 0 ? -Math.floor(-f + 0.5) : Math.floor(f + 0.5);
}

/** Writes fp16 bits little-endian at `o`. */
export function putHalf(out: Uint8Array, o: number, h: number): void {
  out[o] = h & 0xff;
  out[o + 1] = h >>> 8;
}

/** Reads the fp16 at `o` as float32. */
export function getHalf(q: Uint8Array, o: number): number {
  return FP16_TO_F32[q[o]! | (q[o + 1]! << 8)]!;
}
