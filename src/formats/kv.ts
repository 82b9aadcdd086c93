/**
 * KV-cache formats, exactly as Sinan's KIVI codec (src/quant/kv.ts) stores them, with K and V
 * described separately (KIVI quantizes keys per channel and values per token; KV-AdaQuant and
 * seed 000 give K more bits than V). bf16/fp16 store 2 bytes per element; fp8 1 byte (its
 * per-layer k/v scale, 4 bytes, is outside the cache); int8/int4 store packed codes plus an fp16
 * scale and an fp16 minimum per group of `group` elements along the grouped axis (tokens for
 * per-channel keys, channels for per-token values), and keep the most recent `residual` tokens
 * in fp16 (KIVI's residual window; per-channel keys quantize only whole groups of tokens).
 */

export const KV_FORMAT_IDS = ['bf16', 'fp16', 'fp8', 'int8', 'int4', 'q8_0', 'q5_0', 'q4_0'] as const;
export type KvFormatId = (typeof KV_FORMAT_IDS)[number];

export interface KvOptions {
  /** Elements per scale/minimum group (default 32, the KIVI example's setting). */
  group?: number;
  /** Recent tokens kept in fp16 (default 0: the asymptotic cost). */
  residual?: number;
  /** per-channel (keys, default) or per-token (values). */
  axis?: 'per-channel' | 'per-token';
}

/** One cache tensor's format: the codec's settings for K or for V. */
export interface KvSide extends KvOptions {
  format: KvFormatId;
}

/** K and V formats, separately. */
export interface KvCacheFormat {
  k: KvSide;
  v: KvSide;
}

const BITS: Record<KvFormatId, number | null> = { bf16: null, fp16: null, fp8: null, int8: 8, int4: 4, q8_0: null, q5_0: null, q4_0: null };

/**
 * llama.cpp's quantized cache types (--cache-type-k / --cache-type-v): ggml blocks of 32 values
 * along each token's head dimension with an fp16 scale, the weight types' block structs
 * (ggml-common.h: block_q8_0 34 bytes, block_q5_0 22, block_q4_0 18). K and V may differ.
 */
const GGML_BLOCKS: Partial<Record<KvFormatId, number>> = { q8_0: 34, q5_0: 22, q4_0: 18 };

/** Whether `id` is a llama.cpp (ggml block) cache type. */
export function isGgmlKv(id: KvFormatId): boolean {
  return GGML_BLOCKS[id] !== undefined;
}

export function isKvFormat(id: string): id is KvFormatId {
  return (KV_FORMAT_IDS as readonly string[]).includes(id);
}

/** Bytes per cached element of the quantized part (no residual window): 2, 1, or bits/8 + 4/group. */
export function kvBytesPerElement(id: KvFormatId, o: KvOptions = {}): number {
  const blk = GGML_BLOCKS[id];
  if (blk !== undefined) return blk / 32;
  const bits = BITS[id];
  if (bits === null) return id === 'fp8' ? 1 : 2;
  return bits / 8 + 4 / (o.group ?? 32);
}

/** Tokens the codec quantizes out of `tokens` (the rest stay in fp16). */
export function kvQuantizedTokens(tokens: number, o: KvOptions = {}): number {
  let qt = Math.max(0, tokens - (o.residual ?? 0));
  if ((o.axis ?? 'per-channel') === 'per-channel') qt -= qt % (o.group ?? 32);
  return qt;
}

/** Exact bytes of one head's K (or V) cache of `tokens` tokens, as the codec stores it. */
export function kvCacheBytes(id: KvFormatId, tokens: number, headDim: number, o: KvOptions = {}): number {
  const blk = GGML_BLOCKS[id];
  if (blk !== undefined) return tokens * Math.ceil(headDim / 32) * blk;
  const bits = BITS[id];
  if (bits === null) return tokens * headDim * (id === 'fp8' ? 1 : 2);
  const g = o.group ?? 32;
  const qt = kvQuantizedTokens(tokens, o);
  const groups = (o.axis ?? 'per-channel') === 'per-channel' ? Math.ceil(qt / g) * headDim : qt * Math.ceil(headDim / g);
  return (qt * headDim * bits) / 8 + 4 * groups + 2 * (tokens - qt) * headDim;
}

/** Bytes per token for K and V together, over `kvHeads` heads of `headDim` (asymptotic: no residual window). */
export function kvBytesPerToken(f: KvCacheFormat, headDim: number, kvHeads: number): number {
  return kvHeads * headDim * (kvBytesPerElement(f.k.format, f.k) + kvBytesPerElement(f.v.format, f.v));
}
