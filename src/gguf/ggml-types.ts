/**
 * The ggml tensor types Sinan writes, with ggml's ids, block sizes and bytes per block
 * (ggml/src/ggml.c `type_traits`, ggml-common.h block structs; the same table
 * `gguf-check types` prints from the library), and exact stored sizes.
 */

export const GGML_TYPES = ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'IQ4_NL', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'] as const;
export type GgmlType = (typeof GGML_TYPES)[number];

export interface GgmlTypeInfo {
  /** ggml's enum value, stored in GGUF tensor infos. */
  id: number;
  /** ggml's lower-case name (`ggml_type_name`). */
  ggmlName: string;
  /** Values per block. */
  blockSize: number;
  /** Bytes per block. */
  blockBytes: number;
  quantized: boolean;
  /** Byte offsets, inside one block, of the fp16 scale fields (checked for overflow by the writer). */
  halfFields: readonly number[];
}

export const GGML_TYPE_INFO: Readonly<Record<GgmlType, GgmlTypeInfo>> = {
  F32: { id: 0, ggmlName: 'f32', blockSize: 1, blockBytes: 4, quantized: false, halfFields: [] },
  F16: { id: 1, ggmlName: 'f16', blockSize: 1, blockBytes: 2, quantized: false, halfFields: [] },
  Q4_0: { id: 2, ggmlName: 'q4_0', blockSize: 32, blockBytes: 18, quantized: true, halfFields: [0] },
  Q4_1: { id: 3, ggmlName: 'q4_1', blockSize: 32, blockBytes: 20, quantized: true, halfFields: [0, 2] },
  Q5_0: { id: 6, ggmlName: 'q5_0', blockSize: 32, blockBytes: 22, quantized: true, halfFields: [0] },
  Q5_1: { id: 7, ggmlName: 'q5_1', blockSize: 32, blockBytes: 24, quantized: true, halfFields: [0, 2] },
  Q8_0: { id: 8, ggmlName: 'q8_0', blockSize: 32, blockBytes: 34, quantized: true, halfFields: [0] },
  Q2_K: { id: 10, ggmlName: 'q2_K', blockSize: 256, blockBytes: 84, quantized: true, halfFields: [80, 82] },
  Q3_K: { id: 11, ggmlName: 'q3_K', blockSize: 256, blockBytes: 110, quantized: true, halfFields: [108] },
  Q4_K: { id: 12, ggmlName: 'q4_K', blockSize: 256, blockBytes: 144, quantized: true, halfFields: [0, 2] },
  Q5_K: { id: 13, ggmlName: 'q5_K', blockSize: 256, blockBytes: 176, quantized: true, halfFields: [0, 2] },
  Q6_K: { id: 14, ggmlName: 'q6_K', blockSize: 256, blockBytes: 210, quantized: true, halfFields: [208] },
  IQ4_NL: { id: 20, ggmlName: 'iq4_nl', blockSize: 32, blockBytes: 18, quantized: true, halfFields: [0] },
  BF16: { id: 30, ggmlName: 'bf16', blockSize: 1, blockBytes: 2, quantized: false, halfFields: [] },
};

export function isGgmlType(s: string): s is GgmlType {
  return (GGML_TYPES as readonly string[]).includes(s);
}

/** Parses a type name in either spelling (`Q4_K`, `q4_k`, `q4_K`); undefined when unknown. */
export function parseGgmlType(s: string): GgmlType | undefined {
  const u = s.toUpperCase();
  return isGgmlType(u) ? u : undefined;
}

/** Bytes of one row of `n` values (`ggml_row_size`); throws when n is not a multiple of the block size. */
export function rowBytes(type: GgmlType, n: number): number {
  const t = GGML_TYPE_INFO[type];
  if (!Number.isSafeInteger(n) || n < 0 || n % t.blockSize !== 0)
    throw new RangeError(`${type} needs rows that are a multiple of ${t.blockSize} values; this row has ${n}`);
  return (n / t.blockSize) * t.blockBytes;
}

/**
 * Exact stored bytes of a tensor of `type` with GGUF dimensions `ne` (ne[0] fastest), before the
 * writer's alignment padding: rows of ne[0] values, each ggml_row_size bytes.
 */
export function tensorBytes(type: GgmlType, ne: readonly number[]): number {
  if (!ne.length) return rowBytes(type, 1);
  let rows = 1;
  for (let i = 1; i < ne.length; i++) rows *= ne[i]!;
  const bytes = rowBytes(type, ne[0]!) * rows;
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`tensor of ${ne.join('x')} ${type} is too large`);
  return bytes;
}

/** Whether `type` can store rows of `n` values. */
export function fitsRow(type: GgmlType, n: number): boolean {
  return n % GGML_TYPE_INFO[type].blockSize === 0;
}
