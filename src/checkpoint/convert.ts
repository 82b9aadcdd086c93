import { closeSync } from 'node:fs';
import { join } from 'node:path';
import { weightFormat, type IntLayout } from '../formats/weights.js';
import type { CodecId, CodecParams } from '../quant/weight-codecs.js';
import { companionNames, quantizationConfig, writeCompanions, type QuantizationConfig } from './config.js';
import { isContainer } from './container-format.js';
import { CheckpointError, quoted } from './errors.js';
import { AtomicOutput, checkOutputPlacement, openRegular, pathKind, readExact, singleFileOutput } from './files.js';
import { EXPERT, fusionKey } from './fusion.js';
import { Pool, defaultWorkers } from './pool.js';
import { Checkpoint, INDEX_FILE, type TensorInfo } from './safetensors.js';
import { outputTensors, prepass, registryOptions, writeWeights, type Decision, type OutFile, type Quantized } from './writer.js';

/**
 * `sinan quantize`: converts a checkpoint's linear-layer weights to a quantized format and
 * writes a checkpoint its loaders read (tensor names and config as each format's loader
 * expects; see src/formats/weights.ts and config.ts).
 *
 * Every tensor streams: it is read and encoded a bounded range at a time (`UNIT_ELEMENTS`
 * values, rounded to the codec's alignment) by a pool of workers that write straight into
 * preallocated output files, so memory per worker is a constant whatever the tensor or
 * checkpoint size, and a single-file output uses every core too. Codecs that need a statistic
 * of the whole tensor (the double-quantization offset, the per-tensor FP8 scale) get it from a
 * first, read-only pass. Outputs are sharded by size (`shardBytes`, 5 GB by default),
 * independent of the worker count, and appear atomically.
 */

export const QUANT_FORMATS = ['nf4', 'fp4', 'int4', 'int8', 'fp8', 'fp8-channel', 'fp8-block', 'fp8-e5m2'] as const;
export type QuantFormat = (typeof QUANT_FORMATS)[number];

export const DEFAULT_SHARD_BYTES = 5e9;

export interface QuantizeOptions {
  format: QuantFormat;
  doubleQuant?: boolean;
  blocksize?: number;
  groupSize?: number;
  /** The group size was given by the user (then a size that does not divide a weight is an error, not a kept tensor). */
  groupSizeExplicit?: boolean;
  sym?: boolean;
  layout?: IntLayout;
  /** Also quantize the output head (input embeddings always stay: no loader of these formats reads them quantized). */
  includeEmbeddings?: boolean;
  shardBytes?: number;
  workers?: number;
  force?: boolean;
}

export interface TensorReport {
  name: string;
  shape: number[];
  dtype: string;
  quantized: boolean;
  format?: string;
  bytesIn: number;
  bytesOut: number;
  rmse?: number;
  sqnrDb?: number;
  /** Why a 2-D weight was kept in its source precision. */
  note?: string;
}

export interface QuantizeReport {
  format: string;
  input: string;
  output: string;
  files: string[];
  tensors: TensorReport[];
  bytesIn: number;
  bytesOut: number;
  quantizedParameters: number;
  keptParameters: number;
  notes: string[];
}

const FLOATS = new Set(['F32', 'F16', 'BF16']);
const HEAD = /(^|\.)(lm_head|output|embed_out)\.weight$/;
const EMBEDDING = /(embed_tokens|embeddings?|wte|wpe|tok_embeddings|word_embeddings)\b/i;

/**
 * A mixture-of-experts router's name: Mixtral's block_sparse_moe.gate, Qwen-MoE's mlp.gate and
 * shared_expert_gate, DeepSeek's mlp.gate, HunYuan's mlp.gate.wg, Switch's mlp.router.classifier,
 * DBRX's router.layer. The name alone is not enough (RWKV has attention.gate): it is a router only
 * beside experts of the same layer.
 */
const ROUTER = /\.(gate|router|shared_expert_gate)(\.(layer|wg|classifier))?\.weight$/;
/** The mixture-of-experts layers of a checkpoint: the blocks its experts sit under (`<block>.experts.<e>.…`). */
export function moeLayers(tensors: readonly { name: string }[]): Set<string> {
  const out = new Set<string>();
  for (const t of tensors) {
    const m = EXPERT.exec(t.name);
    if (m) out.add(m[1]!.slice(0, -'.experts'.length));
  }
  return out;
}

/** For questions about the head or embeddings alone, where the experts do not matter. */
const NO_MOE: ReadonlySet<string> = new Set();

export type TensorRole = 'linear' | 'expert' | 'router' | 'head' | 'embedding' | 'other';

/**
 * What a tensor is to the quantizers: a linear weight (an expert's own projection is one too, told
 * apart because some loaders fuse a layer's experts), a mixture-of-experts router, the output
 * head, an input embedding, or anything else (norms, biases, ...).
 */
export function tensorRole(t: TensorInfo, moe: ReadonlySet<string>): TensorRole {
  const matrix = t.shape.length === 2 && t.name.endsWith('.weight') && FLOATS.has(t.dtype) && !/norm/i.test(t.name);
  if (!matrix) return 'other';
  if (HEAD.test(t.name)) return 'head';
  if (EMBEDDING.test(t.name)) return 'embedding';
  if (moe.size && ROUTER.test(t.name) && moe.has(t.name.replace(ROUTER, ''))) return 'router';
  if (EXPERT.test(t.name)) return 'expert';
  return 'linear';
}

/** Routers stay in their source precision for every format: loaders build them unquantized (vLLM with quant_config=None; transformers' routers are not nn.Linear). */
export const ROUTER_NOTE = 'mixture-of-experts router (loaders keep routers unquantized)';
/** transformers 5 loads a layer's experts as one fused 3-D parameter, which bitsandbytes does not quantize (its own load_in_4bit leaves experts in 16 bits). */
export const EXPERT_BNB_NOTE =
  "mixture-of-experts expert: transformers loads the experts of a layer as one fused parameter, which bitsandbytes does not quantize (vLLM's bitsandbytes MoE path expects them quantized: this checkpoint is for transformers)";
const isBitsandbytes = (codec: CodecId) => codec.startsWith('nf4') || codec.startsWith('fp4');

/** The codec for a --format and its options. */
export function codecFor(o: Pick<QuantizeOptions, 'format' | 'doubleQuant'>): CodecId {
  if (o.format === 'fp8-e5m2')
    throw new CheckpointError(
      'invalid_option',
      "FP8 E5M2 weights are not written: no loader reads them correctly (compressed-tensors' 8-bit float type is E4M3, vLLM's fp8 method and transformers' FP8 integration assume E4M3). Use --format fp8 or fp8-channel",
    );
  if (o.format === 'nf4' || o.format === 'fp4') return o.doubleQuant ? `${o.format}-dq` : o.format;
  return o.format;
}

/** Signs that a checkpoint is already quantized or compressed (the reason nothing can be done). */
function alreadyQuantized(tensors: TensorInfo[], metadata: Record<string, string>): string | null {
  if (metadata.sinan_format) return `it was written by sinan quantize (format ${quoted(metadata.sinan_format)})`;
  const has = (re: RegExp) => tensors.find((t) => re.test(t.name));
  const q =
    has(/\.qweight$/) ??
    has(/\.weight_packed$/) ??
    has(/\.quant_state\./) ??
    has(/\.weight\.absmax$/) ??
    has(/\.weight_scale(_inv)?$/) ??
    tensors.find((t) => t.dtype.startsWith('F8_') && t.shape.length === 2);
  return q ? `it is already quantized (tensor ${quoted(q.name)}, ${q.dtype})` : null;
}

export function codecParams(t: TensorInfo, o: Pick<QuantizeOptions, 'blocksize' | 'groupSize' | 'sym' | 'layout'>): CodecParams {
  return {
    out: t.shape[0]!,
    in: t.shape[1]!,
    source: t.dtype as CodecParams['source'],
    blocksize: o.blocksize ?? 64,
    groupSize: o.groupSize ?? 128,
    sym: o.sym ?? true,
    layout: o.layout ?? 'gptq',
  };
}

/** Which tensors are quantized (with which codec) and which are kept, with the reason for kept 2-D weights. */
export function planQuantization(tensors: TensorInfo[], o: QuantizeOptions, metadata: Record<string, string> = {}): Decision[] {
  const codec = codecFor(o);
  const fmt = weightFormat(codec)!;
  const out: Decision[] = [];
  const bad: string[] = [];
  const moe = moeLayers(tensors);
  for (const t of tensors) {
    const role = tensorRole(t, moe);
    if (role === 'other') {
      out.push({ kind: 'keep', t });
      continue;
    }
    if (role === 'embedding') {
      out.push({ kind: 'keep', t, note: 'input embedding (loaders of these formats read embeddings unquantized)' });
      continue;
    }
    if (role === 'head' && !o.includeEmbeddings) {
      out.push({ kind: 'keep', t, note: 'output head (kept by default; --include-embeddings quantizes it)' });
      continue;
    }
    if (role === 'router') {
      out.push({ kind: 'keep', t, note: ROUTER_NOTE });
      continue;
    }
    if (role === 'expert' && isBitsandbytes(codec)) {
      out.push({ kind: 'keep', t, note: EXPERT_BNB_NOTE });
      continue;
    }
    const p = codecParams(t, o);
    const problem = fmt.shapeProblem(p.out, p.in, registryOptions(p, {}));
    if (problem) {
      if (o.groupSizeExplicit && /group size/.test(problem)) bad.push(`${quoted(t.name)} [${t.shape.join(', ')}]: ${problem}`);
      out.push({ kind: 'keep', t, note: `kept in ${t.dtype}: ${problem}` });
      continue;
    }
    out.push({ kind: 'quantize', t, module: t.name.slice(0, -'.weight'.length), codec, params: p, stats: {} });
  }
  if (bad.length)
    throw new CheckpointError(
      'invalid_option',
      `--group-size ${o.groupSize} does not divide the input dimension of ${bad.length} weight(s): ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? '; ...' : ''}`,
    );
  keepFusedSiblings(out);
  checkSomethingToDo(out, tensors, o, metadata);
  return out;
}

/**
 * A fused layer loads in one format (vLLM refuses q/k/v or gate/up parts of different
 * precisions), so when one part had to be kept, its siblings are kept with it.
 */
function keepFusedSiblings(out: Decision[]): void {
  const keptBy = new Map<string, string>();
  for (const d of out) if (d.kind === 'keep' && d.note?.startsWith('kept in') && fusionKey(d.t.name) !== d.t.name) keptBy.set(fusionKey(d.t.name), d.t.name);
  if (!keptBy.size) return;
  out.forEach((d, i) => {
    const by = d.kind === 'quantize' ? keptBy.get(fusionKey(d.t.name)) : undefined;
    if (by)
      out[i] = {
        kind: 'keep',
        t: d.t,
        note: `kept in ${d.t.dtype}: it is part of the fused layer ${fusionKey(d.t.name).split('.').pop()} with ${by}, which is kept, and a fused layer loads in one format`,
      };
  });
}

/**
 * Integer formats whose scales are stored in FP16 (GPTQ always; compressed-tensors for an FP16
 * source) cannot hold every weight's scales: beyond 65504 they overflow to infinity, and deep in
 * FP16's subnormal range (spacing 2^-24) their rounding costs more than the quantization itself.
 * With the largest scale s = 2 max|x| / (2^bits - 1) from the prepass, a weight stays in its
 * source precision when s > 65504 or when s < 4 c 2^-25 (c the largest code a scale multiplies:
 * 2^(bits-1) symmetric, 2^bits - 1 asymmetric), where the scale's rounding error times that code
 * exceeds a quarter of the quantization step. Fused siblings follow.
 */
function keepWhereScalesDoNotFit(decisions: Decision[]): void {
  let changed = false;
  decisions.forEach((d, i) => {
    if (d.kind !== 'quantize' || (d.codec !== 'int4' && d.codec !== 'int8')) return;
    const fp16Scales = d.params.layout === 'gptq' || d.params.source === 'F16';
    const amax = d.stats.amax ?? 0;
    if (!fp16Scales || amax === 0) return;
    const maxq = d.codec === 'int4' ? 15 : 255;
    const s = (2 * amax) / maxq;
    // the largest code a scale multiplies: (maxq + 1) / 2 either side of a symmetric zero, maxq asymmetric
    const top = d.params.sym ? (maxq + 1) / 2 : maxq;
    const where = d.params.layout === 'gptq' ? 'GPTQ stores scales in FP16' : 'compressed-tensors stores the scales of an FP16 weight in FP16';
    const why =
      s > 65504
        ? `its scales would reach ${s.toExponential(2)}, beyond FP16's largest value 65504 (${where})`
        : s < 4 * top * 2 ** -25
          ? `its values are so small (max |x| ${amax.toExponential(2)}) that FP16 scales would round away more than the quantization keeps (${where}${d.params.layout === 'gptq' && d.params.source !== 'F16' ? "; --layout compressed-tensors stores them in the weight's dtype" : ''})`
          : null;
    if (!why) return;
    decisions[i] = { kind: 'keep', t: d.t, note: `kept in ${d.t.dtype}: ${why}` };
    changed = true;
  });
  if (changed) keepFusedSiblings(decisions);
}

/** Refuses a plan that quantizes nothing, saying why. */
function checkSomethingToDo(out: Decision[], tensors: TensorInfo[], o: QuantizeOptions, metadata: Record<string, string>): void {
  if (!out.some((d) => d.kind === 'quantize')) {
    const why = alreadyQuantized(tensors, metadata);
    const kept = out.filter((d) => d.kind === 'keep' && d.note);
    throw new CheckpointError(
      'nothing_to_do',
      why
        ? `nothing to quantize: ${why}`
        : `nothing to quantize: none of the ${tensors.length} tensors is a linear weight that ${o.format} can store (a 2-D F32/F16/BF16 tensor whose name ends in ".weight" and is not a norm, an embedding or a router; the output head only with --include-embeddings)${kept.length ? `; ${kept.length} kept: ${kept[0]!.t.name}: ${kept[0]!.kind === 'keep' ? kept[0]!.note : ''}` : ''}`,
    );
  }
}

/** Detects a lossless container by its magic (so quantize can say what to do instead). */
function refuseContainer(path: string): void {
  if (pathKind(path) !== 'file') return;
  const { fd, size } = openRegular(path);
  try {
    if (size < 8) return;
    const b = new Uint8Array(8);
    readExact(fd, b, 0, path, () => 'its first bytes');
    if (isContainer(b))
      throw new CheckpointError(
        'nothing_to_do',
        'nothing to quantize: this is a Sinan lossless container (sinan compress output); run sinan decompress first',
        path,
      );
  } finally {
    closeSync(fd);
  }
}

export async function quantizeCheckpoint(
  input: string,
  output: string,
  o: QuantizeOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<QuantizeReport> {
  refuseContainer(input);
  const ck = new Checkpoint(input);
  try {
    const tensors = [...ck.tensors];
    const decisions = planQuantization(tensors, o, ck.metadata());
    const single = singleFileOutput(output);
    if (single && o.shardBytes !== undefined)
      throw new CheckpointError('invalid_option', '--shard-size needs a folder output; a .safetensors output is one file');
    checkOutputPlacement(output, [input, ...ck.realFiles()], pathKind(input) === 'folder' ? [input] : []);
    const out = new AtomicOutput(output, single ? 'file' : 'folder', !!o.force, single ? undefined : companionNames(input));
    const pool = new Pool(o.workers ?? defaultWorkers());
    try {
      await prepass(
        ck,
        decisions.filter((d): d is Quantized => d.kind === 'quantize'),
        pool,
      );
      keepWhereScalesDoNotFit(decisions);
      checkSomethingToDo(decisions, tensors, o, ck.metadata());
      const files = await writeWeights(ck, decisions, out, single, o.shardBytes ?? DEFAULT_SHARD_BYTES, pool, { sinan_format: codecFor(o) }, onProgress);
      const notes: string[] = [];
      if (o.includeEmbeddings && tiedHead(decisions))
        notes.push(
          '--include-embeddings quantized nothing: the checkpoint has no output head tensor (the head is tied to the input embedding, which these formats keep unquantized)',
        );
      if (!single) {
        notes.push(...writeCompanions(input, out.temp, quantizationConfig(configFor(decisions, o))));
        if (o.layout !== 'compressed-tensors' && (o.format === 'int4' || o.format === 'int8')) {
          const inBlocks = decisions.filter((d) => d.kind === 'keep' && d.note?.startsWith('kept in'));
          if (inBlocks.length)
            notes.push(
              `${inBlocks.length} linear layer(s) kept unquantized (e.g. ${inBlocks[0]!.t.name}) are named in quantization_config.dynamic as "-:" skip rules, which vLLM and GPTQModel read; loaders that ignore "dynamic" (AutoGPTQ) expect every linear layer of the blocks quantized: --layout compressed-tensors lists them in its ignore list instead`,
            );
        }
      } else notes.push('a single .safetensors output carries no config.json: write to a folder for a checkpoint loaders open');
      out.commit();
      return report(input, output, o, decisions, files, notes);
    } catch (e) {
      out.abort();
      throw e;
    } finally {
      await pool.close();
    }
  } finally {
    ck.close();
  }
}

/**
 * The modules a loader must build unquantized: kept linear layers, the head, routers (not the
 * embeddings, nor experts bitsandbytes leaves alone). A checkpoint without a head tensor ties its
 * head to the input embedding; loaders still build an `lm_head` module, quantized unless named here
 * (transformers then fails at the first forward pass), so it is named.
 */
export function keptLinearModules(decisions: Decision[]): string[] {
  const kept = decisions
    .filter((d) => d.kind === 'keep' && d.note && !d.note.startsWith('input embedding') && d.note !== EXPERT_BNB_NOTE)
    .map((d) => d.t.name.slice(0, -'.weight'.length));
  return tiedHead(decisions) && !kept.includes('lm_head') ? [...kept, 'lm_head'] : kept;
}

/** True when the checkpoint has no output head tensor (a tied head). */
function tiedHead(decisions: Decision[]): boolean {
  return !decisions.some((d) => tensorRole(d.t, NO_MOE) === 'head');
}

function configFor(decisions: Decision[], o: QuantizeOptions): QuantizationConfig {
  const skip = keptLinearModules(decisions);
  const q = decisions.find((d): d is Quantized => d.kind === 'quantize')!;
  if (o.format === 'nf4' || o.format === 'fp4')
    return {
      kind: 'bitsandbytes',
      type: o.format,
      doubleQuant: !!o.doubleQuant,
      computeDtype: q.params.source === 'F16' ? 'float16' : q.params.source === 'F32' ? 'float32' : 'bfloat16',
      skip,
    };
  if (o.format === 'fp8-block') return { kind: 'fp8-block', skip };
  if ((o.format === 'int4' || o.format === 'int8') && (o.layout ?? 'gptq') === 'gptq')
    return {
      kind: 'gptq',
      bits: o.format === 'int4' ? 4 : 8,
      groupSize: o.groupSize ?? 128,
      sym: o.sym ?? true,
      skip,
      lmHead: decisions.some((d) => d.kind === 'quantize' && tensorRole(d.t, NO_MOE) === 'head'),
    };
  if (o.format === 'int4' || o.format === 'int8')
    return {
      kind: 'compressed-tensors',
      groups: [{ kind: 'int', bits: o.format === 'int4' ? 4 : 8, strategy: 'group', groupSize: o.groupSize ?? 128, sym: o.sym ?? true, targets: ['Linear'] }],
      ignore: skip,
    };
  return {
    kind: 'compressed-tensors',
    groups: [{ kind: 'fp8', bits: 8, strategy: o.format === 'fp8' ? 'tensor' : 'channel', sym: true, targets: ['Linear'] }],
    ignore: skip,
  };
}

function report(input: string, output: string, o: QuantizeOptions, decisions: Decision[], files: OutFile[], notes: string[]): QuantizeReport {
  const tensors: TensorReport[] = decisions.map((d) => {
    const n = d.t.shape.reduce((a, b) => a * b, 1);
    const bytesIn = d.t.end - d.t.begin;
    if (d.kind === 'keep')
      return { name: d.t.name, shape: d.t.shape, dtype: d.t.dtype, quantized: false, bytesIn, bytesOut: bytesIn, ...(d.note ? { note: d.note } : {}) };
    const err = (d as Quantized & { error?: { e: number; s: number } }).error ?? { e: 0, s: 0 };
    return {
      name: d.t.name,
      shape: d.t.shape,
      dtype: d.t.dtype,
      quantized: true,
      format: d.codec,
      bytesIn,
      bytesOut: outputTensors(d).reduce((sum, t) => sum + t.bytes, 0),
      rmse: err.s > 0 ? Math.sqrt(err.e / err.s) : 0,
      sqnrDb: err.e > 0 ? 10 * Math.log10(err.s / err.e) : Infinity,
      ...(n === 0 ? { note: 'empty' } : {}),
    };
  });
  const count = (q: boolean) => tensors.filter((r) => r.quantized === q).reduce((s, r) => s + r.shape.reduce((a, b) => a * b, 1), 0);
  return {
    format: codecFor(o),
    input,
    output: files.length > 1 ? join(output, INDEX_FILE) : output.endsWith('.safetensors') ? output : join(output, 'model.safetensors'),
    files: files.map((f) => f.name || output),
    tensors,
    bytesIn: tensors.reduce((s, r) => s + r.bytesIn, 0),
    bytesOut: tensors.reduce((s, r) => s + r.bytesOut, 0),
    quantizedParameters: count(true),
    keptParameters: count(false),
    notes: [
      ...notes,
      ...decisions.filter((d) => d.kind === 'keep' && d.note?.startsWith('kept in')).map((d) => `${d.t.name}: ${d.kind === 'keep' ? d.note : ''}`),
    ],
  };
}
