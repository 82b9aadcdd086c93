import {
  blockAbsmax,
  doubleQuantizeInto,
  dynamicMap,
  FP4_CODE,
  NESTED_BLOCKSIZE,
  NF4_CODE,
  quantize4bitBf16Into,
  quantize4bitInto,
  quantStateJson,
  TORCH_DTYPE,
  type FourBit,
} from './bnb.js';
import { f32ToBf16, f32ToF16 } from './dtypes.js';
import { amaxOf, encodeFp8, fp8Scale, fp8Table, rowAmax, tileAmax, type Fp8Granularity } from './fp8q.js';
import { packCompressedTensors, packGptq, quantizeInt, roundToBf16, roundToF16, roundToF32, type ScaleRounding } from './intq.js';

/**
 * The weight codecs as the checkpoint engine drives them: each encodes one range of a linear
 * weight [out, in] (flat element range [e0, e1), whole rows for the row-based codecs) into
 * pieces of its stored tensors (suffixes and layouts as src/formats/weights.ts lists them), so a
 * tensor of any size is encoded a bounded range at a time, by any worker, in any order. A codec
 * that needs a statistic of the whole tensor first (the double-quantization offset, the
 * per-tensor FP8 scale) declares a prepass, computed from `scan` results of every range.
 */

export type CodecId = 'nf4' | 'nf4-dq' | 'fp4' | 'fp4-dq' | 'int4' | 'int8' | 'fp8' | 'fp8-channel' | 'fp8-block';
export const CODEC_IDS: CodecId[] = ['nf4', 'nf4-dq', 'fp4', 'fp4-dq', 'int4', 'int8', 'fp8', 'fp8-channel', 'fp8-block'];

export interface CodecParams {
  out: number;
  in: number;
  source: 'BF16' | 'F16' | 'F32';
  blocksize: number;
  groupSize: number;
  sym: boolean;
  layout: 'gptq' | 'compressed-tensors';
}

/** Whole-tensor statistics from the prepass. */
export interface CodecStats {
  /** Double quantization: the float32 mean of every block's absmax, as torch computes it. */
  nestedOffset?: number;
  /** Per-tensor FP8: max |x| over the tensor. */
  amax?: number;
}

/** Bytes for one stored tensor: `data` at `offset`, or rows of `rowBytes` at offset + k * stride. */
export interface Piece {
  suffix: string;
  offset: number;
  data: Uint8Array;
  rowBytes?: number;
  stride?: number;
}

export interface EncodeResult {
  pieces: Piece[];
  /** Sum of squared errors after dequantization and sum of squared values, over the range. */
  sqErr: number;
  sqRef: number;
}

export interface WeightCodec {
  /** Ranges start (and, except at the tensor's end, end) at multiples of this many elements. */
  align(p: CodecParams): number;
  /** Ranges are whole rows (the alignment is a multiple of `in`). */
  rowBased: boolean;
  prepass: 'absmax-mean' | 'amax' | null;
  /** Prepass over a range: its block absmax values (absmax-mean) or its max |x| (amax). */
  scan?(x: Float32Array, p: CodecParams): Float32Array | number;
  encode(x: Float32Array, raw: Uint8Array | null, e0: number, p: CodecParams, stats: CodecStats): EncodeResult;
  /** Tensors written once per weight (maps, JSON, g_idx, shapes, a per-tensor scale). */
  fixed(p: CodecParams, stats: CodecStats): Piece[];
}

const bytes = (x: ArrayBufferView): Uint8Array => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

/** Scales stored in the weight's own dtype (compressed-tensors): the rounding and the encoding. */
function sourceScale(source: CodecParams['source']): { round: ScaleRounding; encode: (v: Float32Array) => Uint8Array } {
  if (source === 'F32') return { round: roundToF32, encode: (v) => bytes(Float32Array.from(v)) };
  const to = source === 'BF16' ? f32ToBf16 : f32ToF16;
  return { round: source === 'BF16' ? roundToBf16 : roundToF16, encode: (v) => bytes(Uint16Array.from(v, (x) => to(x))) };
}

/** Squared error of 4-bit codes (even elements in the high nibble) times their block scales, and squared values. */
function nibbleErrors(x: Float32Array, packed: Uint8Array, scales: Float32Array, table: Float32Array, bs: number): { sqErr: number; sqRef: number } {
  let e = 0;
  let s = 0;
  const n = x.length;
  for (let b = 0; b < scales.length; b++) {
    const a = scales[b]!;
    const lo = b * bs;
    const hi = Math.min(n, lo + bs);
    let i = lo;
    for (; i + 1 < hi; i += 2) {
      const byte = packed[i >> 1]!;
      const v0 = x[i]!;
      const v1 = x[i + 1]!;
      const d0 = v0 - Math.fround(table[byte >> 4]! * a);
      const d1 = v1 - Math.fround(table[byte & 15]! * a);
      e += d0 * d0 + d1 * d1;
      s += v0 * v0 + v1 * v1;
    }
    if (i < hi) {
      const v = x[i]!;
      const d = v - Math.fround(table[packed[i >> 1]! >> 4]! * a);
      e += d * d;
      s += v * v;
    }
  }
  return { sqErr: e, sqRef: s };
}

/** Squared error of FP8 codes times their scale (one per row and 128-column span), and squared values. */
function codeErrors(
  x: Float32Array,
  codes: Uint8Array,
  table: Float32Array,
  rows: number,
  cols: number,
  scaleAt: (r: number, c0: number) => number,
): { sqErr: number; sqRef: number } {
  let e = 0;
  let s = 0;
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    for (let c0 = 0; c0 < cols; c0 += 128) {
      const sc = scaleAt(r, c0);
      const hi = off + Math.min(cols, c0 + 128);
      for (let i = off + c0; i < hi; i++) {
        const v = x[i]!;
        const d = v - Math.fround(table[codes[i]!]! * sc);
        e += d * d;
        s += v * v;
      }
    }
  }
  return { sqErr: e, sqRef: s };
}

/** Squared error of integer codes dequantized as scale * (q - zero) per row and group, and squared values. */
function groupErrors(
  x: Float32Array,
  q: Uint8Array,
  scales: Float32Array,
  zeros: Uint8Array,
  rows: number,
  cols: number,
  g: number,
): { sqErr: number; sqRef: number } {
  let e = 0;
  let s = 0;
  const groups = cols / g;
  for (let r = 0; r < rows; r++)
    for (let gi = 0; gi < groups; gi++) {
      const sc = scales[gi * rows + r]!;
      const z = zeros[gi * rows + r]!;
      const base = r * cols + gi * g;
      for (let i = base; i < base + g; i++) {
        const v = x[i]!;
        const d = v - Math.fround(sc * (q[i]! - z));
        e += d * d;
        s += v * v;
      }
    }
  return { sqErr: e, sqRef: s };
}

function fourBit(type: FourBit, dq: boolean): WeightCodec {
  const table = type === 'nf4' ? NF4_CODE : FP4_CODE;
  return {
    align: (p) => (dq ? NESTED_BLOCKSIZE * p.blocksize : p.blocksize),
    rowBased: false,
    prepass: dq ? 'absmax-mean' : null,
    scan(x, p) {
      const out = new Float32Array(Math.ceil(x.length / p.blocksize));
      blockAbsmax(x, p.blocksize, out);
      return out;
    },
    encode(x, raw, e0, p, stats) {
      const n = x.length;
      const last = e0 + n === p.out * p.in;
      const bs = p.blocksize;
      const packed = new Uint8Array((n + 1) >> 1);
      const absmax = new Float32Array(Math.ceil(n / bs));
      if (raw && p.source === 'BF16') quantize4bitBf16Into(raw, bs, type, packed, absmax, last);
      else quantize4bitInto(x, bs, type, packed, absmax, last);
      const b0 = e0 / bs;
      const pieces: Piece[] = [{ suffix: 'weight', offset: e0 / 2, data: packed }];
      let scales = absmax;
      if (dq) {
        const codes = new Uint8Array(absmax.length);
        const nested = new Float32Array(Math.ceil(absmax.length / NESTED_BLOCKSIZE));
        const map = dynamicMap();
        doubleQuantizeInto(absmax, stats.nestedOffset!, codes, nested, last, map);
        pieces.push(
          { suffix: 'weight.absmax', offset: b0, data: codes },
          { suffix: 'weight.nested_absmax', offset: (b0 / NESTED_BLOCKSIZE) * 4, data: bytes(nested) },
        );
        scales = new Float32Array(codes.length);
        for (let i = 0; i < codes.length; i++) scales[i] = Math.fround(Math.fround(map[codes[i]!]! * nested[i >> 8]!) + stats.nestedOffset!);
      } else pieces.push({ suffix: 'weight.absmax', offset: b0 * 4, data: bytes(absmax) });
      return { pieces, ...nibbleErrors(x, packed, scales, table, bs) };
    },
    fixed(p, stats) {
      const json = quantStateJson(type, p.blocksize, TORCH_DTYPE[p.source], [p.out, p.in], dq ? stats.nestedOffset! : null);
      const list: Piece[] = [
        { suffix: 'weight.quant_map', offset: 0, data: bytes(Float32Array.from(table)) },
        { suffix: `weight.quant_state.bitsandbytes__${type}`, offset: 0, data: new TextEncoder().encode(json) },
      ];
      if (dq) list.push({ suffix: 'weight.nested_quant_map', offset: 0, data: bytes(dynamicMap()) });
      return list;
    },
  };
}

function integer(bits: 4 | 8): WeightCodec {
  const per = 32 / bits;
  return {
    align: (p) => p.in * (p.layout === 'gptq' || !p.sym ? per : 1),
    rowBased: true,
    // the tensor's max |x| bounds its scales: the writer keeps a weight whose FP16 scales would overflow or underflow
    prepass: 'amax',
    scan: (x) => amaxOf(x),
    encode(x, _raw, e0, p) {
      const rows = x.length / p.in;
      const r0 = e0 / p.in;
      const groups = p.in / p.groupSize;
      const gptq = p.layout === 'gptq';
      const src = sourceScale(p.source);
      const q = quantizeInt(x, rows, p.in, bits, p.groupSize, p.sym, gptq ? roundToF16 : src.round);
      const pieces: Piece[] = [];
      if (gptq) {
        const g = packGptq(q);
        pieces.push(
          { suffix: 'qweight', offset: r0 * 4, data: bytes(g.qweight), rowBytes: rows * 4, stride: p.out * 4 },
          { suffix: 'qzeros', offset: (r0 / per) * 4, data: bytes(g.qzeros), rowBytes: (rows / per) * 4, stride: (p.out / per) * 4 },
          { suffix: 'scales', offset: r0 * 2, data: bytes(g.scales), rowBytes: rows * 2, stride: p.out * 2 },
        );
      } else {
        const c = packCompressedTensors(q);
        // scales come out [groups, rows]; compressed-tensors stores [out, groups]
        const sc = new Float32Array(rows * groups);
        for (let r = 0; r < rows; r++) for (let gi = 0; gi < groups; gi++) sc[r * groups + gi] = q.scales[gi * rows + r]!;
        const scaleBytes = p.source === 'F32' ? 4 : 2;
        pieces.push(
          { suffix: 'weight_packed', offset: r0 * (p.in / per) * 4, data: bytes(c.packed) },
          { suffix: 'weight_scale', offset: r0 * groups * scaleBytes, data: src.encode(sc) },
        );
        if (c.zeroPoints) pieces.push({ suffix: 'weight_zero_point', offset: (r0 / per) * groups * 4, data: bytes(c.zeroPoints) });
      }
      return { pieces, ...groupErrors(x, q.q, q.scales, q.zeros, rows, p.in, p.groupSize) };
    },
    fixed(p) {
      if (p.layout === 'gptq') {
        const gIdx = new Int32Array(p.in);
        for (let i = 0; i < p.in; i++) gIdx[i] = Math.floor(i / p.groupSize);
        return [{ suffix: 'g_idx', offset: 0, data: bytes(gIdx) }];
      }
      return [{ suffix: 'weight_shape', offset: 0, data: bytes(BigInt64Array.of(BigInt(p.out), BigInt(p.in))) }];
    },
  };
}

function fp8(granularity: Fp8Granularity): WeightCodec {
  const table = fp8Table('e4m3');
  return {
    align: (p) => p.in * (granularity === 'block' ? 128 : 1),
    rowBased: true,
    prepass: granularity === 'tensor' ? 'amax' : null,
    scan: (x) => amaxOf(x),
    encode(x, _raw, e0, p, stats) {
      const rows = x.length / p.in;
      const r0 = e0 / p.in;
      // compressed-tensors stores per-tensor and per-channel scales in the weight's dtype; DeepSeek's block scales are fp32
      const src = sourceScale(p.source);
      let scales: Float32Array;
      if (granularity === 'tensor') scales = Float32Array.of(src.round(fp8Scale(stats.amax!)));
      else if (granularity === 'channel') scales = rowAmax(x, rows, p.in).map((a) => src.round(fp8Scale(a)));
      else scales = tileAmax(x, rows, p.in).map((a) => fp8Scale(a));
      const codes = new Uint8Array(x.length);
      encodeFp8(x, rows, p.in, granularity, scales, 'e4m3', codes);
      const pieces: Piece[] = [{ suffix: 'weight', offset: e0, data: codes }];
      if (granularity === 'channel') pieces.push({ suffix: 'weight_scale', offset: r0 * (p.source === 'F32' ? 4 : 2), data: src.encode(scales) });
      if (granularity === 'block') pieces.push({ suffix: 'weight_scale_inv', offset: (r0 / 128) * Math.ceil(p.in / 128) * 4, data: bytes(scales) });
      return {
        pieces,
        ...codeErrors(x, codes, table, rows, p.in, (r, c0) =>
          granularity === 'block' ? scales[Math.floor(r / 128) * Math.ceil(p.in / 128) + c0 / 128]! : granularity === 'channel' ? scales[r]! : scales[0]!,
        ),
      };
    },
    fixed(p, stats) {
      if (granularity !== 'tensor') return [];
      return [{ suffix: 'weight_scale', offset: 0, data: sourceScale(p.source).encode(Float32Array.of(sourceScale(p.source).round(fp8Scale(stats.amax!)))) }];
    },
  };
}

const CODECS: Record<CodecId, WeightCodec> = {
  nf4: fourBit('nf4', false),
  'nf4-dq': fourBit('nf4', true),
  fp4: fourBit('fp4', false),
  'fp4-dq': fourBit('fp4', true),
  int4: integer(4),
  int8: integer(8),
  fp8: fp8('tensor'),
  'fp8-channel': fp8('channel'),
  'fp8-block': fp8('block'),
};

export function weightCodec(id: CodecId): WeightCodec {
  return CODECS[id];
}

/** The first index of a NaN or infinity in x, or -1. */
export function firstNonFinite(x: Float32Array): number {
  for (let i = 0; i < x.length; i++) if (x[i]! - x[i]! !== 0) return i;
  return -1;
}
