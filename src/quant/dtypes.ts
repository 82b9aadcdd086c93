/**
 * Element types of the safetensors format and exact conversions between them and float32
 * (round-to-nearest-even everywhere; the FP8 encoders follow PyTorch c10's semantics, with an
 * optional saturating mode).
 */

/** Every element type of the safetensors format (huggingface/safetensors `Dtype`), with its width in bits. */
export const DTYPE_BITS = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
} as const;
export type DType = keyof typeof DTYPE_BITS;
export const DTYPES = Object.keys(DTYPE_BITS) as DType[];

/** Bytes of `elements` values of `dtype`, or null when they do not end on a byte boundary (sub-byte types). */
export function tensorBytes(dtype: DType, elements: number): number | null {
  const bits = elements * DTYPE_BITS[dtype];
  return bits % 8 === 0 ? bits / 8 : null;
}

/** Bytes per element of the byte-sized types (the ones Sinan converts to and from float32). */
export function elementBytes(dtype: DType): number {
  return DTYPE_BITS[dtype] / 8;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function f32Bits(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

export function bitsToF32(b: number): number {
  u32[0] = b >>> 0;
  return f32[0]!;
}

/** bfloat16 bits of a float32 value (round to nearest even; NaN stays a quiet NaN). */
export function f32ToBf16(x: number): number {
  const b = f32Bits(x);
  if ((b & 0x7fffffff) > 0x7f800000) return ((b >>> 16) | 0x40) & 0xffff;
  const rounded = b + 0x7fff + ((b >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

export function bf16ToF32(h: number): number {
  return bitsToF32((h & 0xffff) << 16);
}

/** float16 bits of a float32 value (IEEE round to nearest even, overflow to infinity). */
export function f32ToF16(x: number): number {
  const b = f32Bits(x);
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** Whether typed-array views read little-endian bytes as numbers (true on every platform Node runs on). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** memo: idempotent (a constant table, built on first use) */
let F16_TABLE: Float32Array | null = null;
/** float32 value of every float16 bit pattern (256 KB, built on first use). */
function f16Table(): Float32Array {
  if (!F16_TABLE) {
    F16_TABLE = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) F16_TABLE[h] = f16ToF32(h);
  }
  return F16_TABLE;
}

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

interface Fp8Spec {
  mant: number;
  bias: number;
  max: number;
  /** Code of the largest finite magnitude. */
  maxCode: number;
  nan: number;
  inf: number | null;
}

const E4M3: Fp8Spec = { mant: 3, bias: 7, max: 448, maxCode: 0x7e, nan: 0x7f, inf: null };
const E5M2: Fp8Spec = { mant: 2, bias: 15, max: 57344, maxCode: 0x7b, nan: 0x7f, inf: 0x7c };

function toFp8(x: number, s: Fp8Spec, saturate: boolean): number {
  const v = Math.fround(x);
  if (Number.isNaN(v)) return s.nan;
  const sign = v < 0 || Object.is(v, -0) ? 0x80 : 0;
  const a = Math.abs(v);
  if (a === 0) return sign;
  const minExp = 1 - s.bias;
  // exponent of a, clamped to the subnormal range
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  if (e < minExp) e = minExp;
  const step = 2 ** (e - s.mant);
  // round to nearest even on the grid of this binade (exact in float64 for float32 inputs)
  const q = a / step;
  let n = Math.floor(q);
  const frac = q - n;
  if (frac > 0.5 || (frac === 0.5 && n % 2 === 1)) n++;
  const value = n * step;
  if (value === 0) return sign;
  if (value > s.max || !Number.isFinite(a)) {
    if (saturate) return sign | s.maxCode;
    return sign | (s.inf ?? s.nan);
  }
  // rounding carried into the next binade: value = 2^(e+1)
  if (n === 1 << (s.mant + 1)) {
    e++;
    n = 1 << s.mant;
  }
  let code: number;
  if (n < 1 << s.mant)
    code = n; // subnormal (e == minExp)
  else code = ((e + s.bias) << s.mant) | (n - (1 << s.mant));
  if (s.inf === null && code > s.maxCode) return saturate ? sign | s.maxCode : sign | s.nan; // E4M3FN: 0x7F is NaN
  return sign | code;
}

function fromFp8(c: number, s: Fp8Spec): number {
  const sign = c & 0x80 ? -1 : 1;
  const e = (c >>> s.mant) & ((1 << (7 - s.mant)) - 1);
  const m = c & ((1 << s.mant) - 1);
  if (s.inf === null && (c & 0x7f) === 0x7f) return NaN;
  if (s.inf !== null && e === (1 << (7 - s.mant)) - 1) return m ? NaN : sign * Infinity;
  if (e === 0) return sign * m * 2 ** (1 - s.bias - s.mant);
  return sign * (1 + m / (1 << s.mant)) * 2 ** (e - s.bias);
}

/** FP8 E4M3FN code of a float32 value: RNE; out of range to NaN (c10), or to +-448 when saturating. */
export const f32ToE4m3 = (x: number, saturate = false) => toFp8(x, E4M3, saturate);

/**
 * The same E4M3FN encoding on float32 bits (no logarithms): for the quantizers' hot loops.
 * Equal to f32ToE4m3 for every float32 input (property-tested).
 */
export function f32ToE4m3Fast(x: number, saturate = false): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 24) & 0x80;
  const abs = b & 0x7fffffff;
  if (abs > 0x7f800000) return 0x7f; // NaN
  if (abs >= 0x3c800000) {
    // normal range in E4M3 (|x| >= 2^-6): round the 23-bit mantissa to 3 bits, ties to even
    const r = (abs + 0x7ffff + ((abs >>> 20) & 1)) >>> 20; // (exp << 3 | mant) with the float32 bias
    const code = r - ((127 - 7) << 3);
    if (code > 0x7e) return sign | (saturate ? 0x7e : 0x7f);
    return sign | code;
  }
  // subnormal range: multiples of 2^-9, ties to even (exact: float32 * 512 is exact)
  const q = f32[0]! < 0 ? -f32[0]! * 512 : f32[0]! * 512;
  let n = Math.floor(q);
  const frac = q - n;
  if (frac > 0.5 || (frac === 0.5 && (n & 1) === 1)) n++;
  return sign | n; // n <= 8 = the smallest normal code, which is correct when rounding carries
}
/**
 * Saturating E4M3FN codes of float32 values, a whole array at once (the bits are read through a
 * Uint32Array view, no per-element call): equal to f32ToE4m3Fast(v, true) for every value
 * (property-tested).
 */
export function encodeE4m3Saturating(values: Float32Array, out: Uint8Array): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) {
    const b = bits[i]!;
    const sign = (b >>> 24) & 0x80;
    const abs = b & 0x7fffffff;
    let code: number;
    if (abs > 0x7f800000) code = 0x7f;
    else if (abs >= 0x3c800000) {
      const r = ((abs + 0x7ffff + ((abs >>> 20) & 1)) >>> 20) - ((127 - 7) << 3);
      code = sign | (r > 0x7e ? 0x7e : r);
    } else {
      // subnormal: multiples of 2^-9, ties to even (|v| * 512 is exact)
      const v = values[i]!;
      const q = (v < 0 ? -v : v) * 512;
      let n = Math.floor(q);
      const frac = q - n;
      if (frac > 0.5 || (frac === 0.5 && (n & 1) === 1)) n++;
      code = sign | n;
    }
    out[i] = code;
  }
}
export const e4m3ToF32 = (c: number) => fromFp8(c, E4M3);
/** FP8 E5M2 code: RNE; out of range to infinity (c10), or to +-57344 when saturating. */
export const f32ToE5m2 = (x: number, saturate = false) => toFp8(x, E5M2, saturate);
export const e5m2ToF32 = (c: number) => fromFp8(c, E5M2);

/**
 * BF16/F16/F32 bytes to float32 into `out`, returning the index of the first NaN or infinity
 * (-1 if none), found from the bits in the same pass.
 */
export function toFloat32Checked(bytes: Uint8Array, dtype: 'BF16' | 'F16' | 'F32', out: Float32Array): number {
  const n = bytes.byteLength / elementBytes(dtype);
  if (!LITTLE_ENDIAN || bytes.byteOffset % (dtype === 'F32' ? 4 : 2) !== 0) {
    toFloat32Into(bytes, dtype, out);
    for (let i = 0; i < n; i++) if (out[i]! - out[i]! !== 0) return i;
    return -1;
  }
  if (dtype === 'BF16') return widenBf16Checked(new Uint16Array(bytes.buffer, bytes.byteOffset, n), new Uint32Array(out.buffer, out.byteOffset, n));
  if (dtype === 'F16') {
    const u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    lookupF16(u16, out.subarray(0, n), f16Table());
    for (let i = 0; i < n; i++) if ((u16[i]! & 0x7c00) === 0x7c00) return i;
    return -1;
  }
  const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
  for (let i = 0; i < n; i++) if ((u32[i]! & 0x7f800000) === 0x7f800000) return i;
  return -1;
}

function widenBf16Checked(src: Uint16Array, dst: Uint32Array): number {
  let bad = -1;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    dst[i] = v << 16;
    if ((v & 0x7f80) === 0x7f80 && bad < 0) bad = i;
  }
  return bad;
}

/** Decodes `count` elements of `dtype` from little-endian bytes into float32. */
// small monomorphic loops, so the JIT optimizes them on their own
function widenBf16(src: Uint16Array, dst: Uint32Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = src[i]! << 16;
}
function lookupF16(src: Uint16Array, dst: Float32Array, t: Float32Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = t[src[i]!]!;
}

export function toFloat32(bytes: Uint8Array, dtype: DType): Float32Array {
  return toFloat32Into(bytes, dtype, new Float32Array(bytes.byteLength / elementBytes(dtype)));
}

/** toFloat32 into `out` (at least as long as the values; the view of the values is returned). */
export function toFloat32Into(bytes: Uint8Array, dtype: DType, into: Float32Array): Float32Array {
  const n = bytes.byteLength / elementBytes(dtype);
  const out = into.length === n ? into : into.subarray(0, n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // fast paths: typed-array views are little-endian on every platform Node runs on (checked)
  if (LITTLE_ENDIAN && (dtype === 'BF16' || dtype === 'F16') && bytes.byteOffset % 2 === 0) {
    const u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    if (dtype === 'BF16') widenBf16(u16, new Uint32Array(out.buffer));
    else lookupF16(u16, out, f16Table());
    return out;
  }
  if (LITTLE_ENDIAN && dtype === 'F32' && bytes.byteOffset % 4 === 0) {
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
    return out;
  }
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      break;
    case 'BF16':
      for (let i = 0; i < n; i++) out[i] = bitsToF32(dv.getUint16(2 * i, true) << 16);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = f16ToF32(dv.getUint16(2 * i, true));
      break;
    case 'F8_E4M3':
      for (let i = 0; i < n; i++) out[i] = e4m3ToF32(bytes[i]!);
      break;
    case 'F8_E5M2':
      for (let i = 0; i < n; i++) out[i] = e5m2ToF32(bytes[i]!);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = bytes[i]!;
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, true);
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      break;
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(8 * i, true));
      break;
    case 'U16':
      for (let i = 0; i < n; i++) out[i] = dv.getUint16(2 * i, true);
      break;
    case 'U32':
      for (let i = 0; i < n; i++) out[i] = dv.getUint32(4 * i, true);
      break;
    case 'U64':
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigUint64(8 * i, true));
      break;
    default:
      throw new Error(`no float32 conversion for ${dtype} values`);
  }
  return out;
}

/** Encodes float32 values as little-endian bytes of `dtype` (floats round to nearest even). */
export function fromFloat32(x: Float32Array, dtype: 'F32' | 'BF16' | 'F16'): Uint8Array {
  const out = new Uint8Array(x.length * elementBytes(dtype));
  const dv = new DataView(out.buffer);
  if (dtype === 'F32') for (let i = 0; i < x.length; i++) dv.setFloat32(4 * i, x[i]!, true);
  else if (dtype === 'BF16') for (let i = 0; i < x.length; i++) dv.setUint16(2 * i, f32ToBf16(x[i]!), true);
  else for (let i = 0; i < x.length; i++) dv.setUint16(2 * i, f32ToF16(x[i]!), true);
  return out;
}
