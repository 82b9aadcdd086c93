import { readDataJson } from '../util/data.js';
import { toFloat32 } from './dtypes.js';
import { nf4Module } from './simd.js';
import { ensureMemory, instantiate, type WasmMemory } from './wasm.js';

/**
 * bitsandbytes 4-bit blockwise quantization (NF4 and its FP4), with optional double
 * quantization of the block scales, matching the CUDA kernels byte for byte
 * (research/quant-specs.md section 1): float32 reciprocal-multiply, nearest code with ties
 * to the lower code, even elements in the high nibble.
 */

/** NF4 code values (QLoRA), index = 4-bit code. */
export const NF4_CODE = Float32Array.from([
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
  0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]);

/** bitsandbytes FP4 values in bit order (sign bit 3), as stored in quant_map. */
export const FP4_CODE = Float32Array.from([0, 0.0625, 8, 12, 4, 6, 2, 3, -0, -0.0625, -8, -12, -4, -6, -2, -3].map((v) => v / 12));

// Decision thresholds of the CUDA kernels (float literals), ascending.
const NF4_T = Float32Array.from([
  -0.8480964004993439, -0.6106329262256622, -0.4599952697753906, -0.33967943489551544, -0.23460740596055984, -0.13791173323988914, -0.045525018125772476,
  0.03979014977812767, 0.1202552504837513, 0.2035212516784668, 0.2920137718319893, 0.3893125355243683, 0.5016634166240692, 0.6427869200706482,
  0.8614784181118011,
]);
// FP4 magnitude thresholds and the code each one selects (strict >), ascending.
const FP4_T = Float32Array.from([0.00260417, 0.0859375, 0.20833333, 0.29166667, 0.4166667, 0.583333, 0.8333333]);
const FP4_C = [0b001, 0b110, 0b111, 0b100, 0b101, 0b010, 0b011];

export type FourBit = 'nf4' | 'fp4';

function nf4Code(y: number): number {
  // number of thresholds strictly below y, by binary search (NaN compares false: code 0, as in CUDA)
  // branch-free (random weights defeat branch prediction): booleans become 0/1
  let c = +(y > NF4_T[7]!) << 3;
  c += +(y > NF4_T[c + 3]!) << 2;
  c += +(y > NF4_T[c + 1]!) << 1;
  return c + +(y > NF4_T[c]!);
}

function fp4Code(y: number): number {
  const sign = y < 0 ? 8 : 0;
  const a = Math.abs(y);
  let c = 0;
  for (let k = 0; k < 7; k++) if (a > FP4_T[k]!) c = FP4_C[k]!;
  return sign | c;
}

export interface FourBitResult {
  /** Packed codes, ceil(n/2) bytes. */
  packed: Uint8Array;
  /** Per-block absmax (float32), one per block. */
  absmax: Float32Array;
}

/** Blockwise 4-bit quantization of float32 values in flat (row-major) order. */
export function quantize4bit(x: Float32Array, blocksize = 64, type: FourBit = 'nf4'): FourBitResult {
  const n = x.length;
  const nb = Math.ceil(n / blocksize);
  const absmax = new Float32Array(nb);
  const packed = new Uint8Array((n + 1) >> 1);
  const nf4 = type === 'nf4';
  for (let b = 0; b < nb; b++) {
    const lo = b * blocksize;
    const hi = Math.min(lo + blocksize, n);
    let m = 0;
    for (let i = lo; i < hi; i++) {
      const a = Math.abs(x[i]!);
      if (a > m) m = a;
    }
    absmax[b] = m;
    const inv = Math.fround(1 / m);
    for (let i = lo; i < hi; i++) {
      const y = Math.fround(x[i]! * inv);
      const c = nf4 ? nf4Code(y) : fp4Code(y);
      if (i & 1) packed[i >> 1] = packed[i >> 1]! | c;
      else packed[i >> 1] = c << 4;
    }
  }
  return { packed, absmax };
}

interface Nf4Kernel {
  mem: WasmMemory;
  run: (src: number, blocks: number, vecs: number, dst: number, absmax: number) => void;
}
let KERNEL: Nf4Kernel | null | undefined;
/** The WebAssembly SIMD NF4 kernel, or null where the runtime has no WebAssembly SIMD. */
function nf4Kernel(): Nf4Kernel | null {
  if (KERNEL === undefined) {
    const e = instantiate(nf4Module(NF4_T));
    KERNEL = e ? { mem: e['mem'] as WasmMemory, run: e['nf4'] as Nf4Kernel['run'] } : null;
  }
  return KERNEL;
}

/** Whether quantize4bitBf16 runs the SIMD kernel here (else the scalar coder). */
export function nf4SimdAvailable(): boolean {
  return nf4Kernel() !== null;
}

/**
 * NF4/FP4 quantization straight from little-endian BF16 bytes; the same bytes as
 * quantize4bit(toFloat32(bytes, 'BF16')). NF4 with a block size that is a multiple of 8 runs the
 * WebAssembly SIMD kernel over whole blocks, a chunk at a time (the tail block and every
 * other case use the scalar coder).
 */
export function quantize4bitBf16(bytes: Uint8Array, blocksize = 64, type: FourBit = 'nf4', simd = true): FourBitResult {
  const n = bytes.length >> 1;
  const k = simd && type === 'nf4' && blocksize % 8 === 0 ? nf4Kernel() : null;
  if (!k) return quantize4bit(toFloat32(bytes, 'BF16'), blocksize, type);
  const nb = Math.ceil(n / blocksize);
  const full = Math.floor(n / blocksize);
  const absmax = new Float32Array(nb);
  const packed = new Uint8Array((n + 1) >> 1);
  // one chunk: ~128 KB of input, its codes and its scales, all inside the module's memory
  const per = Math.max(1, Math.floor(65536 / blocksize));
  const inBytes = per * blocksize * 2;
  const outAt = inBytes;
  const amaxAt = outAt + per * (blocksize >> 1);
  const need = amaxAt + per * 4;
  if (!ensureMemory(k.mem, need)) return quantize4bit(toFloat32(bytes, 'BF16'), blocksize, type);
  for (let b0 = 0; b0 < full; b0 += per) {
    const blocks = Math.min(per, full - b0);
    const heap = new Uint8Array(k.mem.buffer);
    heap.set(bytes.subarray(b0 * blocksize * 2, (b0 + blocks) * blocksize * 2), 0);
    k.run(0, blocks, blocksize >> 3, outAt, amaxAt);
    packed.set(heap.subarray(outAt, outAt + blocks * (blocksize >> 1)), (b0 * blocksize) >> 1);
    absmax.set(new Float32Array(k.mem.buffer, amaxAt, blocks), b0);
  }
  if (full < nb) {
    // the partial last block: scalar coder on its values, spliced in
    const tail = quantize4bit(toFloat32(bytes.subarray(full * blocksize * 2), 'BF16'), blocksize, type);
    absmax[full] = tail.absmax[0]!;
    packed.set(tail.packed, (full * blocksize) >> 1);
  }
  return { packed, absmax };
}

/** Inverse of quantize4bit: float32 values. */
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
  return Float32Array.from(readDataJson<{ values: number[] }>('bnb-dynamic-map.json').values);
}

export interface DoubleQuant {
  /** 8-bit codes of (absmax - offset), one per 4-bit block. */
  codes: Uint8Array;
  /** float32 absmax of each group of `nestedBlocksize` shifted scales. */
  nestedAbsmax: Float32Array;
  offset: number;
  nestedBlocksize: number;
}

/** Double quantization of block scales: subtract their mean, then 8-bit blockwise with the dynamic map. */
export function doubleQuantize(absmax: Float32Array, nestedBlocksize = 256): DoubleQuant {
  const map = dynamicMap();
  let sum = 0;
  for (let i = 0; i < absmax.length; i++) sum += absmax[i]!;
  const offset = Math.fround(sum / absmax.length);
  const n = absmax.length;
  const nb = Math.ceil(n / nestedBlocksize);
  const nested = new Float32Array(nb);
  const codes = new Uint8Array(n);
  // midpoints between adjacent map entries: nearest entry, ties to the lower index
  const mid = new Float32Array(255);
  for (let k = 0; k < 255; k++) mid[k] = Math.fround((map[k]! + map[k + 1]!) / 2);
  for (let b = 0; b < nb; b++) {
    const lo = b * nestedBlocksize;
    const hi = Math.min(lo + nestedBlocksize, n);
    let m = 0;
    for (let i = lo; i < hi; i++) {
      const a = Math.abs(Math.fround(absmax[i]! - offset));
      if (a > m) m = a;
    }
    nested[b] = m;
    const inv = Math.fround(1 / m);
    for (let i = lo; i < hi; i++) {
      const y = Math.fround(Math.fround(absmax[i]! - offset) * inv);
      // binary search: first midpoint >= y
      let l = 0;
      let r = 255;
      while (l < r) {
        const c = (l + r) >> 1;
        if (mid[c]! < y) l = c + 1;
        else r = c;
      }
      codes[i] = Number.isNaN(y) ? 127 : l;
    }
  }
  return { codes, nestedAbsmax: nested, offset, nestedBlocksize };
}

/** Rebuilds float32 block scales from their double quantization. */
export function doubleDequantize(dq: DoubleQuant): Float32Array {
  const map = dynamicMap();
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
