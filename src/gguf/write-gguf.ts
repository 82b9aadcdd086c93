import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tensorBytes, type GgmlType } from './ggml-types.js';
import { kv, type GgufKv } from './gguf-metadata.js';
import { ggufFileBytes, writeGgufFile, type GgufTensorSpec, type WriteGgufOptions } from './gguf-writer.js';
import { planGgufModel, type GgufArch, type GgufModelPlan, type RowRecipe } from './hf-model.js';
import { ggufTokenizerMetadata, type GgufTokenizer } from './hf-tokenizer.js';
import { recipeRows } from './plan-rows.js';
import { openSafetensorsSource } from './safetensors-source.js';
import { decideTypes, guessFileType, type GgufTypeChoice } from './type-choice.js';
import type { TensorSource } from './tensor-source.js';

/**
 * The GGUF output of a checkpoint: the model plan (names, layouts, metadata) plus the chosen
 * types, laid out exactly (every tensor's stored bytes and the file size are known before any
 * data is read), then streamed to disk.
 */

export interface GgufModelOptions {
  /** From planGgufModel(config.json, tensors). */
  plan: GgufModelPlan;
  /** One type for every quantizable tensor, a map by GGUF name, or a rule. */
  types: GgufTypeChoice;
  /** Type for tensors a map does not name (otherwise such tensors are an error). */
  defaultType?: GgmlType;
  /** general.name. */
  name: string;
  /** tokenizer.* metadata (ggufTokenizerMetadata), or null to write none. */
  tokenizer: GgufTokenizer | null;
  /** Extra pairs; one with a key already present replaces it. */
  metadata?: readonly GgufKv[];
  /** general.file_type; default llama.cpp's guess from the tensor types. */
  fileType?: number;
}

export interface GgufTensorReport {
  name: string;
  ne: number[];
  type: GgmlType;
  requested: GgmlType | null;
  /** Why the type differs from the request (F32 rule, block-size fallback), or null. */
  note: string | null;
  /** Stored bytes (before alignment padding). */
  bytes: number;
  recipe: RowRecipe['kind'];
}

export interface GgufLayout {
  arch: GgufArch;
  metadata: GgufKv[];
  tensors: GgufTensorReport[];
  /** Exact size of the file. */
  fileBytes: number;
  warnings: string[];
}

function metadataFor(o: GgufModelOptions, types: GgmlType[]): GgufKv[] {
  const { plan } = o;
  const md: GgufKv[] = [kv.str('general.architecture', plan.arch), kv.str('general.type', 'model'), kv.str('general.name', o.name), ...plan.metadata];
  md.push(kv.u32('general.file_type', o.fileType ?? guessFileType(types)));
  md.push(kv.u32('general.quantization_version', 2));
  if (o.tokenizer) md.push(...o.tokenizer.metadata);
  for (const extra of o.metadata ?? []) {
    const i = md.findIndex((p) => p.key === extra.key);
    if (i >= 0) md[i] = extra;
    else md.push(extra);
  }
  return md;
}

function specs(o: GgufModelOptions, source: TensorSource | null): { specs: GgufTensorSpec[]; reports: GgufTensorReport[]; warnings: string[] } {
  const decisions = decideTypes(o.plan.tensors, o.types, o.defaultType);
  const warnings = [...o.plan.warnings];
  if (o.tokenizer) {
    warnings.push(...o.tokenizer.warnings);
    const emb = o.plan.tensors.find((t) => t.name === 'token_embd.weight')!;
    if (emb.ne[1] !== o.tokenizer.vocabSize)
      throw new RangeError(`the tokenizer has ${o.tokenizer.vocabSize} tokens but token_embd.weight has ${emb.ne[1]} rows; llama.cpp would reject the file`);
  }
  const reports: GgufTensorReport[] = [];
  const out: GgufTensorSpec[] = [];
  o.plan.tensors.forEach((t, i) => {
    const d = decisions[i]!;
    if (d.note) warnings.push(`${t.name}: ${d.note}`);
    reports.push({ name: t.name, ne: t.ne, type: d.type, requested: d.requested, note: d.note, bytes: tensorBytes(d.type, t.ne), recipe: t.recipe.kind });
    const read = source ? recipeRows(t.recipe, source) : () => new Float32Array(0);
    out.push({ name: t.name, ne: t.ne, type: d.type, readRows: read });
  });
  return { specs: out, reports, warnings };
}

function quantizableTypes(o: GgufModelOptions, reports: GgufTensorReport[]): GgmlType[] {
  return reports.filter((_, i) => !o.plan.tensors[i]!.keepF32).map((r) => r.type);
}

/** Exact layout (types after llama.cpp's rules, stored bytes, file size) without reading any tensor data. */
export function ggufLayout(o: GgufModelOptions, alignment?: number): GgufLayout {
  const s = specs(o, null);
  const metadata = metadataFor(o, quantizableTypes(o, s.reports));
  return { arch: o.plan.arch, metadata, tensors: s.reports, fileBytes: ggufFileBytes(metadata, s.specs, alignment), warnings: s.warnings };
}

export interface GgufWriteReport extends GgufLayout {
  path: string;
  dataOffset: number;
}

/**
 * Writes `source` as a GGUF file llama.cpp loads: names, layouts, Q/K permutation and metadata
 * from `plan`, types from `types` after llama.cpp's F32 and block-size rules, ggml's reference
 * quantizers. Streamed and atomic (see writeGgufFile); never overwrites one of `source.files`.
 */
export function writeGguf(source: TensorSource, outPath: string, o: GgufModelOptions, io: Omit<WriteGgufOptions, 'inputs'> = {}): GgufWriteReport {
  const s = specs(o, source);
  const metadata = metadataFor(o, quantizableTypes(o, s.reports));
  const res = writeGgufFile(outPath, metadata, s.specs, { ...io, inputs: source.files });
  return { arch: o.plan.arch, metadata, tensors: s.reports, fileBytes: res.fileBytes, warnings: s.warnings, path: res.path, dataOffset: res.dataOffset };
}

function readJson(path: string, limit = 256 << 20): Record<string, unknown> {
  if (statSync(path).size > limit) throw new RangeError(`${path} is larger than ${limit} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SyntaxError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new SyntaxError(`${path}: expected a JSON object`);
  return v as Record<string, unknown>;
}

/** The tokenizer of a Hugging Face folder (tokenizer.json and friends), or null when it has none. */
export function readHfTokenizer(folder: string, config: Record<string, unknown>, pre?: string): GgufTokenizer | null {
  const tj = join(folder, 'tokenizer.json');
  if (!existsSync(tj)) return null;
  const tcPath = join(folder, 'tokenizer_config.json');
  const ctPath = join(folder, 'chat_template.jinja');
  return ggufTokenizerMetadata({
    tokenizer: readJson(tj),
    tokenizerConfig: existsSync(tcPath) ? readJson(tcPath) : null,
    config,
    chatTemplate: existsSync(ctPath) ? readFileSync(ctPath, 'utf8') : null,
    ...(pre ? { pre } : {}),
  });
}

export interface ConvertOptions {
  types: GgufTypeChoice;
  defaultType?: GgmlType;
  name?: string;
  /** Overrides the detected tokenizer.ggml.pre. */
  tokenizerPre?: string;
  /** false: write no tokenizer even if the folder has one. */
  tokenizer?: boolean;
  metadata?: readonly GgufKv[];
}

/** A Hugging Face folder (config.json, safetensors, optional tokenizer.json) -> one GGUF file. */
export function convertHfFolderToGguf(folder: string, outPath: string, o: ConvertOptions, io: Omit<WriteGgufOptions, 'inputs'> = {}): GgufWriteReport {
  const config = readJson(join(folder, 'config.json'), 16 << 20);
  const source = openSafetensorsSource(folder);
  try {
    const plan = planGgufModel(config, source.tensors);
    const tokenizer = o.tokenizer === false ? null : readHfTokenizer(folder, config, o.tokenizerPre);
    const name = o.name ?? basename(folder);
    return writeGguf(
      source,
      outPath,
      { plan, types: o.types, ...(o.defaultType ? { defaultType: o.defaultType } : {}), name, tokenizer, ...(o.metadata ? { metadata: o.metadata } : {}) },
      io,
    );
  } finally {
    source.close();
  }
}
