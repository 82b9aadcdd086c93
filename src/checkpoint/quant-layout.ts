import { quoted } from './errors.js';
import type { TensorInfo } from './safetensors.js';

/**
 * Quantized checkpoints as inspect sees them: which quantization layouts a checkpoint's tensors
 * follow, and the parameter count of the model they store. A quantized layer stores packed codes
 * and scales, so counting stored elements gives neither the model's size nor anything meaningful;
 * each layout below gives the real [out, in] exactly, or the count is reported as unknown with
 * the reason (never a wrong number). Layouts (research/quant-specs.md):
 *
 * - GPTQ (AutoGPTQ v1 packing, §2.1): `<m>.qweight` I32 [in*bits/32, out], `<m>.qzeros`
 *   I32 [groups, out*bits/32], `<m>.scales` [groups, out], `<m>.g_idx` [in];
 * - AWQ (AutoAWQ GEMM, §2.2): `<m>.qweight` I32 [in, out*bits/32], same qzeros and scales;
 * - bitsandbytes 4-bit (§1.6): `<m>.weight` U8 [(n+1)/2, 1] with `<m>.weight.absmax`,
 *   `.quant_map`, `.nested_*` and `<m>.weight.quant_state.bitsandbytes__nf4|fp4`, a JSON object
 *   whose `shape` is the weight's;
 * - bitsandbytes LLM.int8: `<m>.weight` I8 [out, in] with `<m>.SCB` (and `<m>.weight_format`);
 * - compressed-tensors pack-quantized: `<m>.weight_packed` I32 [out, in*bits/32] with
 *   `<m>.weight_shape` (the [out, in] as integers), `<m>.weight_scale`, `<m>.weight_zero_point`;
 * - scaled 8-bit weights (compressed-tensors float- or int-quantized FP8/INT8, DeepSeek FP8
 *   blocks): `<m>.weight` F8/I8 in its own shape with `<m>.weight_scale` or `<m>.weight_scale_inv`;
 * - MXFP4 (OCP microscaling as GPT-OSS stores it, read by transformers' Mxfp4 integration):
 *   `<p>_blocks` U8 [..., blocks, 16] (32 FP4 values in 16 bytes per block) with `<p>_scales`
 *   U8 [..., blocks] (one E8M0 exponent per block).
 *
 * Scales, zero points, maps and activation/KV scales are quantization state, not parameters.
 * Pure: the few small tensors whose values hold a shape are read through `read`.
 */

export type QuantLayout =
  | 'gptq'
  | 'awq'
  | 'bitsandbytes-nf4'
  | 'bitsandbytes-fp4'
  | 'bitsandbytes-4bit'
  | 'bitsandbytes-int8'
  | 'compressed-tensors-packed'
  | 'fp8-scaled'
  | 'fp8-block-scaled'
  | 'int8-scaled'
  | 'mxfp4';

export interface DetectedQuantization {
  /** `sinan_format` of the metadata when sinan quantize wrote the file (nf4, nf4-dq, int4, fp8-block, ...), else null. */
  sinanFormat: string | null;
  /** Each layout found, with its bits per weight when the shapes give them, and how many layers it stores. */
  layouts: { layout: QuantLayout; bits: number | null; layers: number }[];
}

export interface ParameterCount {
  /** Parameters of the model the checkpoint stores (a quantized layer counts its [out, in]); null when a layout does not give it. */
  parameters: number | null;
  /** Why `parameters` is null. */
  unknownBecause: string | null;
  /** Null for a checkpoint with no quantized tensor (and no sinan_format). */
  quantization: DetectedQuantization | null;
}

/** Reads a small tensor's bytes, or returns null where values cannot be read (inside a lossless container). */
export type SmallTensorReader = (t: TensorInfo) => Uint8Array | null;

/** The most bytes read from one state tensor (a bitsandbytes quant_state is ~200 bytes, a weight_shape 16). */
const MAX_STATE_BYTES = 65536;

const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** A shape held in a tensor's values: a bitsandbytes quant_state's JSON `shape`, or a weight_shape's integers. */
function shapeFromJson(bytes: Uint8Array): number[] | null {
  try {
    const o = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as { shape?: unknown };
    return Array.isArray(o.shape) && o.shape.every(isCount) && isCount(product(o.shape)) ? (o.shape as number[]) : null;
  } catch {
    return null;
  }
}

function shapeFromInts(t: TensorInfo, bytes: Uint8Array): number[] | null {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  const width = t.dtype === 'I64' ? 8 : t.dtype === 'I32' ? 4 : 0;
  if (!width || bytes.length % width) return null;
  for (let i = 0; i < bytes.length; i += width) out.push(width === 8 ? Number(dv.getBigInt64(i, true)) : dv.getInt32(i, true));
  return out.length && out.every(isCount) && isCount(product(out)) ? out : null;
}

/** Detects the quantization layouts of a checkpoint's tensors and counts the parameters of the model they store. */
export function countParameters(tensors: readonly TensorInfo[], metadata: Readonly<Record<string, string>>, read: SmallTensorReader): ParameterCount {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const state = new Set<string>(); // quantization state: not parameters
  const logical = new Map<string, number>(); // a packed weight -> its real element count
  const problems: string[] = [];
  const found = new Map<string, { layout: QuantLayout; bits: number | null; layers: number }>();
  const sinanFormat = metadata.sinan_format ?? null;
  const layer = (layout: QuantLayout, bits: number | null) => {
    const k = `${layout}/${bits}`;
    const e = found.get(k) ?? { layout, bits, layers: 0 };
    e.layers++;
    found.set(k, e);
  };
  const markState = (...names: string[]) => names.forEach((n) => byName.has(n) && state.add(n));
  const readSmall = (t: TensorInfo, what: string): Uint8Array | null => {
    if (t.end - t.begin > MAX_STATE_BYTES) {
      problems.push(`${what} ${quoted(t.name)} is ${t.end - t.begin} bytes, more than a shape needs`);
      return null;
    }
    const b = read(t);
    if (!b)
      problems.push(
        `a layer's shape is in the values of ${what} ${quoted(t.name)}, which inspect reads only from a safetensors file (restore a Sinan container first)`,
      );
    return b;
  };

  for (const t of tensors) {
    const name = t.name;
    let m: RegExpExecArray | null;
    if ((m = /^(.*)\.qweight$/.exec(name))) {
      const p = m[1]!;
      markState(`${p}.qzeros`, `${p}.scales`, `${p}.g_idx`);
      const qz = byName.get(`${p}.qzeros`);
      const sc = byName.get(`${p}.scales`);
      const [r, c] = t.shape;
      const out = sc?.shape.length === 2 ? sc.shape[1]! : undefined;
      const bitsFromZeros = qz?.shape.length === 2 && out ? (32 * qz.shape[1]!) / out : undefined;
      const bits = bitsFromZeros ?? (sinanFormat === 'int4' ? 4 : sinanFormat === 'int8' ? 8 : undefined);
      if (t.shape.length !== 2 || out === undefined || bits === undefined || ![2, 3, 4, 8].includes(bits)) {
        problems.push(
          `${quoted(name)} [${t.shape.join(', ')}]: its bits and output size need ${quoted(`${p}.scales`)} [groups, out] and ${quoted(`${p}.qzeros`)}`,
        );
        layer('gptq', null);
        continue;
      }
      if (c === out && (r! * 32) % bits === 0) {
        logical.set(name, ((r! * 32) / bits) * out);
        layer('gptq', bits);
      } else if ((c! * 32) / bits === out) {
        logical.set(name, r! * out);
        layer('awq', bits);
      } else {
        problems.push(`${quoted(name)} [${t.shape.join(', ')}] is neither GPTQ [in*${bits}/32, ${out}] nor AWQ [in, ${out}*${bits}/32]`);
        layer('gptq', bits);
      }
    } else if ((m = /^(.*\.weight)\.quant_state\.bitsandbytes__(nf4|fp4)$/.exec(name))) {
      const w = m[1]!;
      markState(name, `${w}.absmax`, `${w}.quant_map`, `${w}.nested_absmax`, `${w}.nested_quant_map`);
      layer(m[2] === 'nf4' ? 'bitsandbytes-nf4' : 'bitsandbytes-fp4', 4);
      const packed = byName.get(w);
      const bytes = readSmall(t, 'quant_state');
      if (!bytes) continue;
      const shape = shapeFromJson(bytes);
      const n = shape ? product(shape) : null;
      if (n === null) problems.push(`${quoted(name)} holds no valid JSON with a shape`);
      else if (packed && packed.end - packed.begin !== Math.ceil(n / 2))
        problems.push(
          `${quoted(w)} holds ${packed.end - packed.begin} bytes, not the ${Math.ceil(n / 2)} its quant_state shape [${shape!.join(', ')}] packs into`,
        );
      else if (packed) logical.set(w, n);
    } else if (
      (m = /^(.*\.weight)\.absmax$/.exec(name)) &&
      !byName.has(`${m[1]}.quant_state.bitsandbytes__nf4`) &&
      !byName.has(`${m[1]}.quant_state.bitsandbytes__fp4`)
    ) {
      markState(name, `${m[1]}.quant_map`, `${m[1]}.nested_absmax`, `${m[1]}.nested_quant_map`);
      layer('bitsandbytes-4bit', 4);
      problems.push(`${quoted(m[1]!)} is a bitsandbytes 4-bit weight without a quant_state tensor, the only place its shape is stored`);
    } else if ((m = /^(.*)\.SCB$/.exec(name))) {
      markState(name, `${m[1]}.weight_format`);
      layer('bitsandbytes-int8', 8);
    } else if ((m = /^(.*)\.weight_packed$/.exec(name))) {
      const p = m[1]!;
      markState(`${p}.weight_shape`, `${p}.weight_scale`, `${p}.weight_zero_point`, `${p}.weight_g_idx`, `${p}.weight_global_scale`);
      const ws = byName.get(`${p}.weight_shape`);
      if (!ws) {
        problems.push(`${quoted(name)} has no ${quoted(`${p}.weight_shape`)}, which holds its [out, in]`);
        layer('compressed-tensors-packed', null);
        continue;
      }
      const bytes = readSmall(ws, 'weight_shape');
      if (!bytes) {
        layer('compressed-tensors-packed', null);
        continue;
      }
      const shape = shapeFromInts(ws, bytes);
      if (!shape || shape.length !== 2 || t.shape.length !== 2 || t.shape[0] !== shape[0]) {
        problems.push(`${quoted(ws.name)} does not hold the [out, in] of ${quoted(name)} [${t.shape.join(', ')}]`);
        layer('compressed-tensors-packed', null);
        continue;
      }
      const bits = t.dtype === 'I32' && shape[1]! > 0 ? (32 * t.shape[1]!) / shape[1]! : null;
      logical.set(name, product(shape));
      layer('compressed-tensors-packed', bits !== null && [2, 4, 8].includes(bits) ? bits : null);
    } else if ((m = /^(.*)_blocks$/.exec(name)) && t.dtype === 'U8' && byName.get(`${m[1]}_scales`)?.dtype === 'U8') {
      const sc = byName.get(`${m[1]}_scales`)!;
      markState(sc.name);
      layer('mxfp4', 4);
      const blocks = t.shape.slice(0, -1);
      if (t.shape.at(-1) !== 16 || sc.shape.length !== blocks.length || sc.shape.some((d, i) => d !== blocks[i]))
        problems.push(`${quoted(name)} [${t.shape.join(', ')}] and its scales [${sc.shape.join(', ')}] are not MXFP4 blocks of 16 bytes with one scale each`);
      else logical.set(name, product(t.shape) * 2);
    } else if ((m = /^(.*)\.weight_scale(_inv)?$/.exec(name)) && byName.has(`${m[1]}.weight`) && !byName.has(`${m[1]}.weight_packed`)) {
      const w = byName.get(`${m[1]}.weight`)!;
      markState(name, `${m[1]}.weight_zero_point`);
      if (w.dtype.startsWith('F8_')) layer(m[2] ? 'fp8-block-scaled' : 'fp8-scaled', 8);
      else if (w.dtype === 'I8') layer('int8-scaled', 8);
      else problems.push(`${quoted(w.name)} is ${w.dtype} but has a scale ${quoted(name)}: a layout inspect does not know`);
    }
  }
  const quantized = found.size > 0 || sinanFormat !== null;
  // activation and KV-cache scales (static FP8 schemes) are state too, once the checkpoint is quantized
  if (quantized) for (const t of tensors) if (/\.(input_scale|output_scale|k_scale|v_scale)$/.test(t.name)) state.add(t.name);
  let parameters = 0;
  for (const t of tensors) if (!state.has(t.name)) parameters += logical.get(t.name) ?? product(t.shape);
  return {
    parameters: problems.length ? null : parameters,
    unknownBecause: problems.length ? `${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}` : null,
    quantization: quantized ? { sinanFormat, layouts: [...found.values()] } : null,
  };
}
