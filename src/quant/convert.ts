import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readTextFile, writeFileAtomic } from '../util/files.js';
import {
  dequantize4bit,
  doubleDequantize,
  doubleQuantize,
  dynamicMap,
  FP4_CODE,
  NF4_CODE,
  pythonFloat,
  quantize4bit,
  quantize4bitBf16,
  type FourBit,
} from './bnb.js';
import { DTYPE_BYTES, toFloat32, type DType } from './dtypes.js';
import { dequantizeFp8, quantizeFp8, type Fp8Granularity } from './fp8q.js';
import { dequantizeInt, packGptq, quantizeInt } from './intq.js';
import { Checkpoint, writeSafetensors, type TensorInfo, type TensorToWrite } from './safetensors.js';

/** Converts a checkpoint's linear-layer weights to a quantized format, writing files other tools load. */

export const QUANT_FORMATS = ['nf4', 'fp4', 'int4', 'int8', 'fp8', 'fp8-channel', 'fp8-block', 'fp8-e5m2'] as const;
export type QuantFormat = (typeof QUANT_FORMATS)[number];

export interface QuantizeOptions {
  format: QuantFormat;
  doubleQuant?: boolean;
  blocksize?: number;
  groupSize?: number;
  sym?: boolean;
  /** Quantize embeddings and the output head too (kept in 16 bits by default). */
  includeEmbeddings?: boolean;
  /** Only these tensors (a shard of a parallel run). */
  only?: string[];
  /** Write config.json beside the output (off for shards; the coordinator writes it once). */
  writeConfig?: boolean;
}

export interface TensorReport {
  name: string;
  shape: number[];
  dtype: DType;
  quantized: boolean;
  bytesIn: number;
  bytesOut: number;
  rmse?: number;
  sqnrDb?: number;
}

export interface QuantizeReport {
  format: QuantFormat;
  input: string;
  output: string;
  tensors: TensorReport[];
  bytesIn: number;
  bytesOut: number;
  quantizedParameters: number;
  keptParameters: number;
}

/** Linear-layer weights are quantized; embeddings, the output head, norms and biases stay. */
export function isQuantizable(t: TensorInfo, includeEmbeddings = false): boolean {
  if (t.shape.length !== 2 || !t.name.endsWith('.weight')) return false;
  if (!['F32', 'F16', 'BF16'].includes(t.dtype)) return false;
  if (/norm/i.test(t.name)) return false;
  if (!includeEmbeddings && /(embed|lm_head|wte|wpe|output\.weight$)/i.test(t.name)) return false;
  return true;
}

const torchDtype: Partial<Record<DType, string>> = { BF16: 'bfloat16', F16: 'float16', F32: 'float32' };

function bytesOf(x: Float32Array | Uint8Array | Int32Array | Uint16Array): Uint8Array {
  return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

function errors(x: Float32Array, y: Float32Array): { rmse: number; sqnrDb: number } {
  let e = 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    e += (x[i]! - y[i]!) ** 2;
    s += x[i]! ** 2;
  }
  return { rmse: s > 0 ? Math.sqrt(e / s) : 0, sqnrDb: e > 0 ? 10 * Math.log10(s / e) : Infinity };
}

/** The quant_state JSON exactly as bitsandbytes writes it (Python json.dumps separators and floats). */
export function quantStateJson(type: FourBit, blocksize: number, dtype: string, shape: number[], nestedOffset: number | null): string {
  let s = `{"quant_type": "${type}", "blocksize": ${blocksize}, "dtype": "${dtype}", "shape": [${shape.join(', ')}]`;
  if (nestedOffset !== null) s += `, "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": ${pythonFloat(nestedOffset)}`;
  return s + '}';
}

export function quantizeCheckpoint(input: string, output: string, o: QuantizeOptions, onProgress?: (done: number, total: number) => void): QuantizeReport {
  const ck = new Checkpoint(input);
  try {
    const only = o.only ? new Set(o.only) : null;
    const tensors = only ? ck.tensors.filter((t) => only.has(t.name)) : ck.tensors;
    const reports: TensorReport[] = [];
    const out: TensorToWrite[] = [];
    const bs = o.blocksize ?? 64;
    const toQuantize = tensors.filter((t) => isQuantizable(t, o.includeEmbeddings));
    let done = 0;
    const load = (t: TensorInfo) => toFloat32(ck.read(t.name), t.dtype);
    // nested offsets are needed in the header (quant_state JSON) before any data is written
    const offsets = new Map<string, number>();
    if ((o.format === 'nf4' || o.format === 'fp4') && o.doubleQuant) {
      for (const t of toQuantize) {
        const q = t.dtype === 'BF16' ? quantize4bitBf16(ck.read(t.name), bs, o.format) : quantize4bit(load(t), bs, o.format);
        offsets.set(t.name, doubleQuantize(q.absmax).offset);
      }
    }
    for (const t of tensors) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      const bytesIn = n * DTYPE_BYTES[t.dtype];
      const rep: TensorReport = { name: t.name, shape: t.shape, dtype: t.dtype, quantized: false, bytesIn, bytesOut: bytesIn };
      reports.push(rep);
      if (!toQuantize.includes(t)) {
        out.push({ name: t.name, dtype: t.dtype, shape: t.shape, data: () => ck.read(t.name) });
        continue;
      }
      rep.quantized = true;
      const q = quantizedTensors(
        t,
        o.format,
        o,
        () => load(t),
        (x, y) => {
          Object.assign(rep, errors(x, y));
          onProgress?.(++done, toQuantize.length);
        },
        offsets.get(t.name),
        () => ck.read(t.name),
      );
      out.push(...q.tensors);
      rep.bytesOut = q.bytes;
    }
    const outFile = output.endsWith('.safetensors') ? output : join(output, 'model.safetensors');
    mkdirSync(dirname(outFile), { recursive: true });
    writeSafetensors(outFile, out, { ...ck.metadata(), format: 'pt', quantized_by: 'sinan', sinan_format: o.format });
    if (o.writeConfig ?? true) writeConfig(input, dirname(outFile), o);
    const bytesIn = reports.reduce((s, r) => s + r.bytesIn, 0);
    const bytesOut = reports.reduce((s, r) => s + r.bytesOut, 0);
    const count = (q: boolean) => reports.filter((r) => r.quantized === q).reduce((s, r) => s + r.shape.reduce((a, b) => a * b, 1), 0);
    return { format: o.format, input, output: outFile, tensors: reports, bytesIn, bytesOut, quantizedParameters: count(true), keptParameters: count(false) };
  } finally {
    ck.close();
  }
}

/**
 * The tensors that store one quantized weight in `format` (names as the format's loaders
 * expect), produced lazily; `onDone` receives the original and dequantized values.
 */
export function quantizedTensors(
  t: TensorInfo,
  format: QuantFormat,
  o: Omit<QuantizeOptions, 'format'>,
  load: () => Float32Array,
  onDone: (x: Float32Array, y: Float32Array) => void,
  nestedOffset?: number,
  /** The tensor's stored bytes: BF16 tensors then go through the SIMD NF4 kernel. */
  raw?: () => Uint8Array,
): { tensors: TensorToWrite[]; bytes: number } {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const [rows, cols] = t.shape as [number, number];
  const base = t.name.slice(0, -'.weight'.length);
  const bs = o.blocksize ?? 64;
  const g = o.groupSize ?? 128;
  const sym = o.sym ?? true;
  const out: TensorToWrite[] = [];
  if (format === 'nf4' || format === 'fp4') {
    const type = format;
    const nb = Math.ceil(n / bs);
    const dq = o.doubleQuant ?? false;
    let cache: { packed: Uint8Array; absmax: Float32Array; dq?: ReturnType<typeof doubleQuantize> } | null = null;
    const get = () => {
      if (!cache) {
        let x: Float32Array;
        let q: ReturnType<typeof quantize4bit>;
        if (raw && t.dtype === 'BF16') {
          const bytes = raw();
          q = quantize4bitBf16(bytes, bs, type);
          x = toFloat32(bytes, 'BF16');
        } else {
          x = load();
          q = quantize4bit(x, bs, type);
        }
        cache = { ...q, ...(dq ? { dq: doubleQuantize(q.absmax) } : {}) };
        onDone(x, dequantize4bit(q.packed, cache.dq ? doubleDequantize(cache.dq) : q.absmax, n, bs, type));
      }
      return cache;
    };
    const offset = dq ? (nestedOffset ?? get().dq!.offset) : null;
    const json = Buffer.from(quantStateJson(type, bs, torchDtype[t.dtype] ?? 'float32', t.shape, offset), 'utf8');
    out.push({ name: `${base}.weight`, dtype: 'U8', shape: [(n + 1) >> 1, 1], data: () => get().packed });
    if (dq) {
      out.push({ name: `${base}.weight.absmax`, dtype: 'U8', shape: [nb], data: () => get().dq!.codes });
      out.push({ name: `${base}.weight.nested_absmax`, dtype: 'F32', shape: [Math.ceil(nb / 256)], data: () => bytesOf(get().dq!.nestedAbsmax) });
      out.push({ name: `${base}.weight.nested_quant_map`, dtype: 'F32', shape: [256], data: () => bytesOf(dynamicMap()) });
    } else {
      out.push({ name: `${base}.weight.absmax`, dtype: 'F32', shape: [nb], data: () => bytesOf(get().absmax) });
    }
    out.push({ name: `${base}.weight.quant_map`, dtype: 'F32', shape: [16], data: () => bytesOf(type === 'nf4' ? NF4_CODE : FP4_CODE) });
    out.push({ name: `${base}.weight.quant_state.bitsandbytes__${type}`, dtype: 'U8', shape: [json.length], data: json });
    return { tensors: out, bytes: Math.ceil(n / 2) + (dq ? nb + 4 * Math.ceil(nb / 256) + 1024 : 4 * nb) + 64 + json.length };
  }
  if (format === 'int4' || format === 'int8') {
    const bits = format === 'int4' ? 4 : 8;
    const per = 32 / bits;
    const groups = Math.ceil(cols / g);
    let cache: ReturnType<typeof packGptq> | null = null;
    const get = () => {
      if (!cache) {
        const x = load();
        const q = quantizeInt(x, rows, cols, bits, g, sym);
        cache = packGptq(q);
        onDone(x, dequantizeInt(q));
      }
      return cache;
    };
    out.push({ name: `${base}.qweight`, dtype: 'I32', shape: [cols / per, rows], data: () => bytesOf(get().qweight) });
    out.push({ name: `${base}.qzeros`, dtype: 'I32', shape: [groups, rows / per], data: () => bytesOf(get().qzeros) });
    out.push({ name: `${base}.scales`, dtype: 'F16', shape: [groups, rows], data: () => bytesOf(get().scales) });
    out.push({ name: `${base}.g_idx`, dtype: 'I32', shape: [cols], data: () => bytesOf(get().gIdx) });
    return { tensors: out, bytes: (cols / per) * rows * 4 + groups * (rows / per) * 4 + groups * rows * 2 + cols * 4 };
  }
  const gran: Fp8Granularity = format === 'fp8-channel' ? 'channel' : format === 'fp8-block' ? 'block' : 'tensor';
  const fmt = format === 'fp8-e5m2' ? 'e5m2' : 'e4m3';
  let cache: ReturnType<typeof quantizeFp8> | null = null;
  const get = () => {
    if (!cache) {
      const x = load();
      cache = quantizeFp8(x, rows, cols, gran, fmt);
      onDone(x, dequantizeFp8(cache, rows, cols));
    }
    return cache;
  };
  const scaleShape = gran === 'block' ? [Math.ceil(rows / 128), Math.ceil(cols / 128)] : gran === 'channel' ? [rows, 1] : [];
  out.push({ name: t.name, dtype: fmt === 'e4m3' ? 'F8_E4M3' : 'F8_E5M2', shape: t.shape, data: () => get().codes });
  // DeepSeek-V3 names block scales weight_scale_inv (a dequant multiplier); compressed-tensors uses weight_scale
  out.push({
    name: gran === 'block' ? `${base}.weight_scale_inv` : `${base}.weight_scale`,
    dtype: 'F32',
    shape: scaleShape,
    data: () => bytesOf(get().scales),
  });
  return { tensors: out, bytes: n + 4 * scaleShape.reduce((a, b) => a * b, 1) };
}

/** Copies config.json (when the input has one) with the quantization_config loaders expect. */
export function writeConfig(input: string, outDir: string, o: QuantizeOptions): void {
  const dir = statSync(input).isDirectory() ? input : dirname(input);
  const src = join(dir, 'config.json');
  if (!existsSync(src) || join(outDir, 'config.json') === src) return;
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(readTextFile(src)) as Record<string, unknown>;
  } catch {
    return;
  }
  if (o.format === 'nf4' || o.format === 'fp4') {
    cfg.quantization_config = {
      quant_method: 'bitsandbytes',
      load_in_4bit: true,
      load_in_8bit: false,
      bnb_4bit_quant_type: o.format,
      bnb_4bit_use_double_quant: !!o.doubleQuant,
      bnb_4bit_compute_dtype: 'bfloat16',
      bnb_4bit_quant_storage: 'uint8',
      llm_int8_skip_modules: ['lm_head'],
    };
  } else if (o.format === 'int4' || o.format === 'int8') {
    cfg.quantization_config = {
      quant_method: 'gptq',
      bits: o.format === 'int4' ? 4 : 8,
      group_size: o.groupSize ?? 128,
      sym: o.sym ?? true,
      desc_act: false,
      checkpoint_format: 'gptq',
    };
  } else {
    cfg.quantization_config =
      o.format === 'fp8-block'
        ? { quant_method: 'fp8', fmt: 'e4m3', activation_scheme: 'dynamic', weight_block_size: [128, 128] }
        : {
            quant_method: 'fp8',
            fmt: o.format === 'fp8-e5m2' ? 'e5m2' : 'e4m3',
            activation_scheme: 'dynamic',
            weight_granularity: o.format === 'fp8-channel' ? 'channel' : 'tensor',
          };
  }
  writeFileAtomic(join(outDir, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json'])
    if (existsSync(join(dir, f))) copyFileSync(join(dir, f), join(outDir, f));
}
