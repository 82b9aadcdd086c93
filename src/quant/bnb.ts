import { toFloat32 } from './dtypes.js';
import { createDynamicMap } from './dynamic-map.js';
import { nf4Module, TINY_SCALE } from './simd.js';
import { torchMeanF32 } from './torch-sum.js';
import { ensureMemory, instantiate, type WasmMemory } from './wasm.js';

/**
 * bitsandbytes 4-bit blockwise quantization (NF4 and its FP4) with optional double
 * quantization of the block scales, byte for byte as `bitsandbytes.functional.quantize_4bit`
 * computes it on the CPU (backends/default/ops.py; research/quant-specs.md section 1):
 *
 * - per block of `blocksize` values (flat, row-major): absmax = max |x| in float32;
 *   y = clamp(x * float32(1 / max(absmax, 1e-38)), -1, 1); a partial last block divides by
 *   max(absmax, 1e-38) instead and stores that clamped value;
 * - code = bucketize(y, midpoints of the sorted code values): the number of midpoints strictly
 *   below y (nearest code, ties to the lower one), mapped back through the sort order for FP4;
 * - even elements in the high nibble.
 *
 * The CUDA kernel computes the same codes on finite data except in two corners: an all-zero
 * block (CUDA: code 0, byte 0x00; CPU: code 7, byte 0x77; both decode to zero) and the partial
 * last block (CUDA multiplies by the reciprocal). Work can be split into ranges of whole blocks
 * (`quantize4bitInto`), so a tensor of any size streams.
 */

/** NF4 code values (QLoRA), index = 4-bit code (bitsandbytes `get_4bit_type("nf4")`). */
export const NF4_CODE = Float32Array.from([
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
  0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]);

/** bitsandbytes FP4 values in bit order (sign bit 3), as stored in quant_map. */
export const FP4_CODE = Float32Array.from([0, 0.0625, 8, 12, 4, 6, 2, 3, -0, -0.0625, -8, -12, -4, -6, -2, -3].map((v) => v / 12));

/**
 * torch.argsort of FP4_CODE on the CPU (torch 2.13): the code at each sorted position. The two
 * zeros tie; torch puts +0 (code 0) before -0 (code 8), so a tiny positive value gets code 8.
 */
const FP4_ORDER = [11, 10, 13, 12, 15, 14, 9, 0, 8, 1, 6, 7, 4, 5, 2, 3];

/** float32 midpoints of adjacent sorted values, as `(code[:-1] + code[1:]) / 2` computes them. */
function midpoints(sorted: ArrayLike<number>): Float32Array {
  const m = new Float32Array(sorted.length - 1);
  for (let k = 0; k < m.length; k++) m[k] = Math.fround(Math.fround(sorted[k]! + sorted[k + 1]!) / 2);
  return m;
}

/** NF4 decision thresholds, ascending (equal to the float literals of the CUDA kernel). */
export const NF4_THRESHOLDS = midpoints(NF4_CODE);
const FP4_THRESHOLDS = midpoints(FP4_ORDER.map((c) => FP4_CODE[c]!));

export type FourBit = 'nf4' | 'fp4';

function nf4Code(y: number): number {
  // the number of thresholds strictly below y, branch-free binary search (NaN compares false: code 0)
  const T = NF4_THRESHOLDS;
  let c = +(y > T[7]!) << 3;
  c += +(y > T[c + 3]!) << 2;
  c += +(y > T[c + 1]!) << 1;
  return c + +(y > T[c]!);
}

function fp4Code(y: number): number {
  // the number of (sorted) thresholds strictly below y, as for NF4, then the code at that sorted position
  const T = FP4_THRESHOLDS;
  let c = +(y > T[7]!) << 3;
  c += +(y > T[c + 3]!) << 2;
  c += +(y > T[c + 1]!) << 1;
  return FP4_ORDER[c + +(y > T[c]!)]!;
}

const clamp1 = (y: number) => (y > 1 ? 1 : y < -1 ? -1 : y);

export interface FourBitResult {
  /** Packed codes, ceil(n/2) bytes. */
  packed: Uint8Array;
  /** Per-block absmax (float32), one per block. */
  absmax: Float32Array;
}

/**
 * Quantizes values [e0, e0 + x.length) of a flattened tensor, e0 a multiple of the block size:
 * packed codes go to packed[(e0/2) - packedAt ...] i.e. `packed` holds this range's bytes from 0,
 * absmax this range's blocks from 0. `last`: the range ends the tensor (so a partial final block is
 * allowed and takes the partial-block rule); otherwise x.length must be a multiple of the block size.
 */
export function quantize4bitInto(x: Float32Array, blocksize: number, type: FourBit, packed: Uint8Array, absmax: Float32Array, last = true): void {
  const n = x.length;
  if (!last && n % blocksize !== 0) throw new RangeError('a range that does not end the tensor must hold whole blocks');
  const nb = Math.ceil(n / blocksize);
  const nf4 = type === 'nf4';
  for (let b = 0; b < nb; b++) {
    const lo = b * blocksize;
    const hi = Math.min(lo + blocksize, n);
    let m = 0;
    for (let i = lo; i < hi; i++) {
      const a = Math.abs(x[i]!);
      if (a > m) m = a;
    }
    const partial = hi - lo < blocksize;
    const scale = m > TINY_SCALE ? m : TINY_SCALE;
    absmax[b] = partial ? scale : m;
    const inv = Math.fround(1 / scale);
    for (let i = lo; i < hi; i++) {
      const y = clamp1(partial ? Math.fround(x[i]! / scale) : Math.fround(x[i]! * inv));
      const c = nf4 ? nf4Code(y) : fp4Code(y);
      if (i & 1) packed[i >> 1] = packed[i >> 1]! | c;
      else packed[i >> 1] = c << 4;
    }
  }
  // an odd count: bitsandbytes pads the scaled values with a 0, whose code fills the last low nibble
  if (n & 1) packed[n >> 1] = packed[n >> 1]! | (nf4 ? nf4Code(0) : fp4Code(0));
}

/** Blockwise 4-bit quantization of a whole tensor's float32 values in flat (row-major) order. */
export function quantize4bit(x: Float32Array, blocksize = 64, type: FourBit = 'nf4'): FourBitResult {
  const packed = new Uint8Array((x.length + 1) >> 1);
  const absmax = new Float32Array(Math.ceil(x.length / blocksize));
  quantize4bitInto(x, blocksize, type, packed, absmax, true);
  return { packed, absmax };
}

interface Nf4Kernel {
  mem: WasmMemory;
  run: (src: number, blocks: number, vecs: number, dst: number, absmax: number) => void;
}
/** The kernel is built once, on first use (a constant of the runtime; no other state). memo: idempotent */
let KERNEL: Nf4Kernel | null | undefined;
/** The WebAssembly SIMD NF4 kernel, or null where the runtime has no WebAssembly SIMD. */
function nf4Kernel(): Nf4Kernel | null {
  if (KERNEL === undefined) {
    const e = instantiate(nf4Module(NF4_THRESHOLDS));
    KERNEL = e ? { mem: e['mem'] as WasmMemory, run: e['nf4'] as Nf4Kernel['run'] } : null;
  }
  return KERNEL;
}

/** Whether quantize4bitBf16 runs the SIMD kernel here (else the scalar coder). */
export function nf4SimdAvailable(): boolean {
  return nf4Kernel() !== null;
}

/**
 * quantize4bitInto straight from little-endian BF16 bytes (same bytes out). NF4 with a block
 * size that is a multiple of 8 runs the WebAssembly SIMD kernel over whole blocks, a chunk at a
 * time; a partial last block and every other case use the scalar coder.
 */
export function quantize4bitBf16Into(
  bytes: Uint8Array,
  blocksize: number,
  type: FourBit,
  packed: Uint8Array,
  absmax: Float32Array,
  last = true,
  simd = true,
): void {
  const n = bytes.length >> 1;
  const k = simd && type === 'nf4' && blocksize % 8 === 0 ? nf4Kernel() : null;
  const per = Math.max(1, Math.floor(65536 / blocksize));
  const inBytes = per * blocksize * 2;
  const outAt = inBytes;
  const amaxAt = outAt + per * (blocksize >> 1);
  if (!k || !ensureMemory(k.mem, amaxAt + per * 4)) {
    quantize4bitInto(toFloat32(bytes, 'BF16'), blocksize, type, packed, absmax, last);
    return;
  }
  if (!last && n % blocksize !== 0) throw new RangeError('a range that does not end the tensor must hold whole blocks');
  const full = Math.floor(n / blocksize);
  for (let b0 = 0; b0 < full; b0 += per) {
    const blocks = Math.min(per, full - b0);
    const heap = new Uint8Array(k.mem.buffer);
    heap.set(bytes.subarray(b0 * blocksize * 2, (b0 + blocks) * blocksize * 2), 0);
    k.run(0, blocks, blocksize >> 3, outAt, amaxAt);
    packed.set(heap.subarray(outAt, outAt + blocks * (blocksize >> 1)), (b0 * blocksize) >> 1);
    absmax.set(new Float32Array(k.mem.buffer, amaxAt, blocks), b0);
  }
  if (full * blocksize < n) {
    // the partial last block: scalar coder on its values, spliced in
    const tailPacked = new Uint8Array((n - full * blocksize + 1) >> 1);
    const tailAbsmax = new Float32Array(1);
    quantize4bitInto(toFloat32(bytes.subarray(full * blocksize * 2), 'BF16'), blocksize, type, tailPacked, tailAbsmax, true);
    absmax[full] = tailAbsmax[0]!;
    packed.set(tailPacked, (full * blocksize) >> 1);
  }
}

/** quantize4bit from BF16 bytes (whole tensor). */
export function quantize4bitBf16(bytes: Uint8Array, blocksize = 64, type: FourBit = 'nf4', simd = true): FourBitResult {
  const n = bytes.length >> 1;
  const packed = new Uint8Array((n + 1) >> 1);
  const absmax = new Float32Array(Math.ceil(n / blocksize));
  quantize4bitBf16Into(bytes, blocksize, type, packed, absmax, true, simd);
  return { packed, absmax };
}

/**
 * The per-block absmax alone (the first pass of double quantization, which needs the mean of
 * all of them before any code is written): the values quantize4bitInto stores.
 */
export function blockAbsmax(x: Float32Array, blocksize: number, out: Float32Array): void {
  const nb = Math.ceil(x.length / blocksize);
  for (let b = 0; b < nb; b++) {
    const lo = b * blocksize;
    const hi = Math.min(lo + blocksize, x.length);
    let m = 0;
    for (let i = lo; i < hi; i++) {
      const a = Math.abs(x[i]!);
      if (a > m) m = a;
    }
    out[b] = hi - lo < blocksize && m < TINY_SCALE ? TINY_SCALE : m;
  }
}

/** Inverse of quantize4bit: float32 values of elements [0, n) of `packed` (block b of absmax covers elements b*blocksize ...). */
export function dequantize4bit(packed: Uint8Array, absmax: Float32Array, n: number, blocksize = 64, type: FourBit = 'nf4'): Float32Array {
  const table = type === 'nf4' ? NF4_CODE : FP4_CODE;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const byte = packed[i >> 1]!;
    const c = i & 1 ? byte & 0xf : byte >> 4;
    out[i] = Math.fround(table[c]! * absmax[Math.floor(i / blocksize)]!);
  }
  return out;
}

/** The 256-entry signed dynamic map bitsandbytes uses for nested (double-quantized) scales. */
export function dynamicMap(): Float32Array {
  return createDynamicMap();
}

export interface DoubleQuant {
  /** 8-bit codes of (absmax - offset), one per 4-bit block. */
  codes: Uint8Array;
  /** float32 absmax of each group of `nestedBlocksize` shifted scales. */
  nestedAbsmax: Float32Array;
  offset: number;
  nestedBlocksize: number;
}

/** The nested blocksize bitsandbytes uses for double quantization. */
export const NESTED_BLOCKSIZE = 256;

/**
 * Double quantization of a range of block scales (a multiple of 256 of them unless `last`):
 * `quantize_blockwise(absmax - offset, code=dynamic map, blocksize=256)` as the CPU backend
 * computes it (the same per-block rule as the 4-bit coder, with the 256 map values and their
 * float32 midpoints). `offset` is the float32 mean of all the tensor's block scales
 * (torchMeanF32), the same for every range.
 */
export function doubleQuantizeInto(
  absmax: Float32Array,
  offset: number,
  codes: Uint8Array,
  nested: Float32Array,
  last = true,
  map: Float32Array = createDynamicMap(),
): void {
  const n = absmax.length;
  if (!last && n % NESTED_BLOCKSIZE !== 0) throw new RangeError('a range that does not end the tensor must hold whole nested blocks');
  const mid = midpoints(map);
  const nb = Math.ceil(n / NESTED_BLOCKSIZE);
  const shifted = new Float32Array(NESTED_BLOCKSIZE);
  for (let b = 0; b < nb; b++) {
    const lo = b * NESTED_BLOCKSIZE;
    const hi = Math.min(lo + NESTED_BLOCKSIZE, n);
    let m = 0;
    for (let i = lo; i < hi; i++) {
      const a = Math.fround(absmax[i]! - offset);
      shifted[i - lo] = a;
      if (Math.abs(a) > m) m = Math.abs(a);
    }
    const partial = hi - lo < NESTED_BLOCKSIZE;
    const scale = m > TINY_SCALE ? m : TINY_SCALE;
    nested[b] = partial ? scale : m;
    const inv = Math.fround(1 / scale);
    for (let i = lo; i < hi; i++) {
      const y = clamp1(partial ? Math.fround(shifted[i - lo]! / scale) : Math.fround(shifted[i - lo]! * inv));
      // bucketize: the number of midpoints strictly below y (binary search)
      let l = 0;
      let r = 255;
      while (l < r) {
        const c = (l + r) >> 1;
        if (mid[c]! < y) l = c + 1;
        else r = c;
      }
      codes[i] = l;
    }
  }
}

/** Double quantization of all of a tensor's block scales (offset: their float32 mean, as torch computes it). */
export function doubleQuantize(absmax: Float32Array): DoubleQuant {
  const offset = torchMeanF32(absmax);
  const codes = new Uint8Array(absmax.length);
  const nestedAbsmax = new Float32Array(Math.ceil(absmax.length / NESTED_BLOCKSIZE));
  doubleQuantizeInto(absmax, offset, codes, nestedAbsmax, true);
  return { codes, nestedAbsmax, offset, nestedBlocksize: NESTED_BLOCKSIZE };
}

/** Rebuilds float32 block scales from their double quantization. */
export function doubleDequantize(dq: DoubleQuant, map: Float32Array = createDynamicMap()): Float32Array {
  const out = new Float32Array(dq.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(Math.fround(map[dq.codes[i]!]! * dq.nestedAbsmax[Math.floor(i / dq.nestedBlocksize)]!) + dq.offset);
  return out;
}

/** Python's repr() of a float (what json.dumps writes), for the quant_state JSON. */
export function pythonFloat(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : x < 0 ? '-Infinity' : 'NaN';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expS] = x.toExponential().split('e') as [string, string];
  const exp = Number(expS);
  const digits = mant.replace('-', '').replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${int}.${frac || '0'}`;
}

/** torch dtype names as bitsandbytes writes them into quant_state ("bfloat16", ...). */
export const TORCH_DTYPE = { BF16: 'bfloat16', F16: 'float16', F32: 'float32' } as const;

/**
 * The quant_state JSON exactly as bitsandbytes writes it (`json.dumps` of
 * `QuantState.as_dict(packed=True)`'s non-tensor items: Python separators, key order,
 * floats as repr).
 */
export function quantStateJson(type: FourBit, blocksize: number, dtype: string, shape: number[], nestedOffset: number | null): string {
  let s = `{"quant_type": "${type}", "blocksize": ${blocksize}, "dtype": "${dtype}", "shape": [${shape.join(', ')}]`;
  if (nestedOffset !== null) s += `, "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": ${pythonFloat(nestedOffset)}`;
  return s + '}';
}
