import { isGgmlKv, type KvFormatId } from '../formats/kv.js';
import { createCodec } from '../gguf/codecs.js';
import { rowBytes } from '../gguf/ggml-types.js';
import type { ModelSpec } from '../model/types.js';
import { dequantizeKv, quantizeKv } from '../quant/kv.js';
import { encodeFp8, fp8Scale, fp8Table, amaxOf } from '../quant/fp8q.js';
import { createMeasurer } from './codecs.js';
import { resolveFormat } from './resolve.js';
import { modelTensors } from './tensors.js';
import type { OutputFormat } from './targets.js';
import type { Sensitivity } from './types.js';

/**
 * Format-typical errors, for planning without a checkpoint: each format's relative squared error
 * measured by Sinan's own codecs on Gaussian values (a seeded generator), which real weights,
 * with heavier tails, exceed somewhat. KV caches: keys with per-channel scales spread
 * log-normally (sigma 1: a few channels carry outliers, KIVI's observation), values Gaussian.
 * Computed once per process on first use (memoized; the values do not change).
 */

/** The lossless ratio without a checkpoint: DFloat11's measured sizes, 67.6-69.5% of BF16 over Llama 3.x, Qwen 3, FLUX (arXiv 2504.11651, Table 1). */
export const TYPICAL_LOSSLESS = 0.68;

function gaussian(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u() + 1e-12));
    const a = 2 * Math.PI * u();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

const WEIGHT_ROWS = 8;
const WEIGHT_COLS = 4096;

/** memo: idempotent (a value computed once per format, never changed) */
const weightMemo = new Map<string, number>();

/** Relative squared error of a stored weight format on Gaussian weights (0 for 16 bits). */
export function typicalWeightError(stored: string): number {
  const hit = weightMemo.get(stored);
  if (hit !== undefined) return hit;
  const x = gaussian(WEIGHT_ROWS * WEIGHT_COLS, 7).map((v) => v * 0.02);
  let ref = 0;
  for (const v of x) ref += v * v;
  const e = createMeasurer().sqErr(stored, x, null, WEIGHT_ROWS, WEIGHT_COLS, 'F32') / ref;
  weightMemo.set(stored, e);
  return e;
}

const KV_TOKENS = 1024;
const KV_DIM = 128;

/** memo: idempotent */
const kvMemo = new Map<string, number>();

/** Relative squared error of a KV format on synthetic keys (side 'k') or values ('v'), [tokens, headDim] of one head. */
export function typicalKvError(f: KvFormatId, side: 'k' | 'v', group = 32): number {
  const key = `${f}/${side}/${group}`;
  const hit = kvMemo.get(key);
  if (hit !== undefined) return hit;
  const x = gaussian(KV_TOKENS * KV_DIM, side === 'k' ? 11 : 13);
  if (side === 'k') {
    const scale = gaussian(KV_DIM, 17).map((z) => Math.exp(z));
    for (let t = 0; t < KV_TOKENS; t++) for (let c = 0; c < KV_DIM; c++) x[t * KV_DIM + c] = x[t * KV_DIM + c]! * scale[c]!;
  }
  let ref = 0;
  for (const v of x) ref += v * v;
  let err = 0;
  if (f === 'bf16' || f === 'fp16') err = 0;
  else if (f === 'fp8') {
    const codes = new Uint8Array(x.length);
    const sc = fp8Scale(amaxOf(x));
    encodeFp8(x, KV_TOKENS, KV_DIM, 'tensor', Float32Array.of(sc), 'e4m3', codes);
    const table = fp8Table('e4m3');
    for (let i = 0; i < x.length; i++) {
      const d = x[i]! - Math.fround(table[codes[i]!]! * sc);
      err += d * d;
    }
  } else if (isGgmlKv(f)) {
    // llama.cpp quantizes each token's head vector in blocks of 32 (per token, for K as for V)
    const c = createCodec(f === 'q8_0' ? 'Q8_0' : f === 'q5_0' ? 'Q5_0' : 'Q4_0');
    const q = new Uint8Array(rowBytes(c.type, KV_DIM));
    const y = new Float32Array(KV_DIM);
    for (let t = 0; t < KV_TOKENS; t++) {
      c.quantize(x, t * KV_DIM, KV_DIM, q, 0);
      c.dequantize(q, 0, KV_DIM, y, 0);
      for (let i = 0; i < KV_DIM; i++) err += (x[t * KV_DIM + i]! - y[i]!) ** 2;
    }
  } else {
    // KIVI: keys per channel, values per token
    const q = quantizeKv(x, KV_TOKENS, KV_DIM, side === 'k' ? 'per-channel' : 'per-token', f === 'int8' ? 8 : 4, group, 0);
    const y = dequantizeKv(q);
    for (let i = 0; i < x.length; i++) err += (x[i]! - y[i]!) ** 2;
  }
  const e = err / ref;
  kvMemo.set(key, e);
  return e;
}

/** The sensitivity of a model described by its config alone: every tensor at the format-typical errors. */
export function typicalSensitivity(m: ModelSpec, target: OutputFormat, formats: readonly string[]): Sensitivity {
  const tensors = modelTensors(m).map((t) => {
    const errors: Record<string, { rel2: number; ci95: number }> = {};
    for (const f of formats) {
      const stored = resolveFormat(target, f, t.shape[0], t.shape[1]);
      errors[f] = { rel2: stored === 'keep' ? 0 : typicalWeightError(stored), ci95: 0 };
    }
    return {
      ...t,
      dtype: 'BF16' as const,
      reference: 1,
      errors,
      sampled: 0,
      lossless: TYPICAL_LOSSLESS,
      nonFinite: false,
      activations: false,
    };
  });
  return {
    source: 'typical',
    tensors,
    notes: [
      'no checkpoint: planned from the config with format-typical errors (Sinan’s codecs on Gaussian weights; real weights have heavier tails and usually larger errors in the 4-bit formats) and the lossless ratio DFloat11 measured (0.68 of BF16)',
    ],
  };
}
