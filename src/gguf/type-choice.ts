import { GGML_TYPE_INFO, type GgmlType } from './ggml-types.js';
import type { PlannedTensor } from './hf-model.js';

/**
 * Which ggml type each GGUF tensor is stored in: the caller's choice, then llama.cpp's own rules.
 * - Kept in F32, whatever was asked (convert_hf_to_gguf.py prepare_tensors; llama-quantize also
 *   never quantizes them): one-dimensional tensors, `*_norm.weight`, the MoE router
 *   `ffn_gate_inp.weight`, anything not named `.weight` (biases), rope_freqs.
 * - A k-quant needs rows that are a multiple of 256 values. Otherwise llama.cpp's quantizer
 *   (src/llama-quant.cpp, llama_tensor_get_type) falls back: Q2_K and Q3_K to IQ4_NL, Q4_K to
 *   Q5_0, Q5_K to Q5_1, Q6_K to Q8_0, and to F16 if the row does not fit that type's 32-value
 *   blocks either. Other block types whose 32-value blocks do not fit fall back to F16, as the
 *   converter does when gguf-py raises QuantError.
 */

export type GgufTypeChoice = GgmlType | ReadonlyMap<string, GgmlType> | ((t: PlannedTensor) => GgmlType);

export interface TensorTypeDecision {
  name: string;
  requested: GgmlType | null;
  type: GgmlType;
  /** Why `type` differs from `requested` (null when it does not). */
  note: string | null;
}

const K_FALLBACK: Partial<Record<GgmlType, GgmlType>> = { Q2_K: 'IQ4_NL', Q3_K: 'IQ4_NL', Q4_K: 'Q5_0', Q5_K: 'Q5_1', Q6_K: 'Q8_0' };

/** llama.cpp's type for a row of `ne0` values when `type` was asked for. */
export function fallbackType(type: GgmlType, ne0: number): GgmlType {
  const bs = GGML_TYPE_INFO[type].blockSize;
  if (ne0 % bs === 0) return type;
  const next = K_FALLBACK[type];
  if (next && ne0 % GGML_TYPE_INFO[next].blockSize === 0) return next;
  return 'F16';
}

/** Decides every tensor's type; `defaultType` covers tensors a Map does not name (else an error lists them). */
export function decideTypes(tensors: readonly PlannedTensor[], choice: GgufTypeChoice, defaultType?: GgmlType): TensorTypeDecision[] {
  const missing: string[] = [];
  const out = tensors.map((t): TensorTypeDecision => {
    if (t.keepF32) {
      const asked = typeof choice === 'string' ? null : typeof choice === 'function' ? choice(t) : (choice.get(t.name) ?? null);
      const note = asked && asked !== 'F32' ? `kept F32 (${t.keepF32}), as llama.cpp does; ${asked} was asked` : null;
      return { name: t.name, requested: asked, type: 'F32', note };
    }
    const asked = typeof choice === 'string' ? choice : typeof choice === 'function' ? choice(t) : (choice.get(t.name) ?? defaultType);
    if (!asked) {
      missing.push(t.name);
      return { name: t.name, requested: null, type: 'F16', note: null };
    }
    if (!(asked in GGML_TYPE_INFO)) throw new RangeError(`tensor '${t.name}': unknown ggml type ${String(asked)}`);
    const type = fallbackType(asked, t.ne[0]!);
    const note =
      type !== asked
        ? `rows of ${t.ne[0]} values are not a multiple of ${GGML_TYPE_INFO[asked].blockSize}; ${asked} falls back to ${type} as in llama.cpp`
        : null;
    return { name: t.name, requested: asked, type, note };
  });
  if (missing.length)
    throw new RangeError(`no ggml type given for ${missing.length} tensor(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  return out;
}

/** llama_ftype values (llama.h / gguf-py LlamaFileType) of the "mostly X" file types. */
const MOSTLY: Record<GgmlType, number> = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q8_0: 7,
  Q5_0: 8,
  Q5_1: 9,
  Q2_K: 10,
  Q3_K: 12,
  Q4_K: 15,
  Q5_K: 17,
  Q6_K: 18,
  IQ4_NL: 25,
  BF16: 32,
};

/**
 * `general.file_type` for a mix of types, after llama.cpp's loader rule for files without the key
 * (llama-model-loader.cpp: the type held by the most tensors, the first to reach that count in
 * file order; Q3_K/Q4_K/Q5_K count as the _M variants), applied to the quantizable tensors only
 * (the loader also counts the F32 norms, which outnumber each weight type in a mixed file). The
 * value is descriptive: llama.cpp prints it and reads each tensor's own type.
 */
export function guessFileType(types: readonly GgmlType[]): number {
  const count = new Map<GgmlType, number>();
  let best: GgmlType = 'F32';
  let bestN = 0;
  for (const t of types) {
    const n = (count.get(t) ?? 0) + 1;
    count.set(t, n);
    if (n > bestN) {
      bestN = n;
      best = t;
    }
  }
  return MOSTLY[best];
}
