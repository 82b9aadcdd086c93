import { join } from 'node:path';
import { storedBytes, weightFormat } from '../formats/weights.js';
import { writeFileAtomic } from '../util/files.js';
import { weightCodec, type CodecId } from '../quant/weight-codecs.js';
import { allocate, type Option } from './allocate.js';
import { companionNames, quantizationConfig, writeCompanions, type CtGroup, type QuantizationConfig } from './config.js';
import { codecParams, DEFAULT_SHARD_BYTES, EXPERT_BNB_NOTE, keptLinearModules, moeLayers, ROUTER_NOTE, tensorRole } from './convert.js';
import { fusionKey } from './fusion.js';
import { CheckpointError } from './errors.js';
import { AtomicOutput, checkOutputPlacement, pathKind, singleFileOutput } from './files.js';
import { defaultWorkers, Pool } from './pool.js';
import { Checkpoint, type TensorInfo } from './safetensors.js';
import type { AnalyzeResult, AnalyzeTask } from './tasks.js';
import { prepass, registryOptions, sourceOf, UNIT_ELEMENTS, unitStep, plannedWeightBytes, writeWeights, type Decision, type Quantized } from './writer.js';

export { allocate, parseBytes, type Allocation, type Option } from './allocate.js';

/**
 * Mixed precision under a byte budget (seed 000's "optimization manager", weight side): every
 * quantizable weight's squared error in every candidate format is measured on its real values
 * (streamed, a bounded range at a time), then one format per weight minimises the total error
 * within the budget (allocate.ts), and the result is written as a checkpoint one loader reads:
 *
 * - compressed-tensors (vLLM, transformers): any mix of keep, fp8, fp8-channel, int8, int4
 *   (pack-quantized INT, float-quantized FP8), one config group per format with the modules
 *   it covers, the modules kept in 16 bits in `ignore`;
 * - bitsandbytes (transformers): keep + one of nf4, nf4-dq, fp4, kept modules in llm_int8_skip_modules;
 * - DeepSeek-style FP8 blocks (transformers): keep + fp8-block, kept modules in modules_to_not_convert.
 *
 * Other combinations no loader reads (NF4 and GPTQ tensors in one file) are refused with the
 * loadable alternatives. vLLM fuses q/k/v and gate/up projections into one layer, so those
 * always get the same format.
 */

export type MixedFormat = 'keep' | 'fp8' | 'fp8-channel' | 'fp8-block' | 'int8' | 'int4' | 'nf4' | 'nf4-dq' | 'fp4';
export const MIXED_FORMATS: MixedFormat[] = ['keep', 'fp8', 'fp8-channel', 'fp8-block', 'int8', 'int4', 'nf4', 'nf4-dq', 'fp4'];
export const DEFAULT_CANDIDATES: MixedFormat[] = ['keep', 'fp8-channel', 'int8', 'int4'];

type Family = 'compressed-tensors' | 'bitsandbytes' | 'fp8-block';
const FAMILIES: { family: Family; formats: MixedFormat[]; max: number; loader: string }[] = [
  { family: 'compressed-tensors', formats: ['fp8', 'fp8-channel', 'int8', 'int4'], max: 4, loader: 'compressed-tensors (vLLM, transformers)' },
  { family: 'bitsandbytes', formats: ['nf4', 'nf4-dq', 'fp4'], max: 1, loader: 'bitsandbytes (transformers)' },
  { family: 'fp8-block', formats: ['fp8-block'], max: 1, loader: 'FP8 128x128 blocks (transformers)' },
];

/** The loader family that reads every candidate, or an error naming combinations that would load. */
export function familyOf(candidates: MixedFormat[]): Family {
  const used = candidates.filter((c) => c !== 'keep');
  if (!used.length) throw new CheckpointError('invalid_option', '--formats needs at least one format besides keep');
  for (const f of FAMILIES) if (used.every((c) => f.formats.includes(c)) && used.length <= f.max) return f.family;
  throw new CheckpointError(
    'unsupported',
    `no loader reads ${used.join(' + ')} tensors in one checkpoint. Loadable choices: keep,fp8,fp8-channel,int8,int4 (any of them; compressed-tensors, vLLM and transformers), keep,nf4 or keep,nf4-dq or keep,fp4 (bitsandbytes, transformers), keep,fp8-block (transformers)`,
  );
}

export interface MixedOptions {
  candidates?: MixedFormat[];
  blocksize?: number;
  groupSize?: number;
  includeEmbeddings?: boolean;
  shardBytes?: number;
  workers?: number;
  force?: boolean;
  /** Folder output: more files written inside it before it is moved into place (name -> content). */
  extraFiles?: Readonly<Record<string, string>>;
}

export interface MixedReport {
  input: string;
  output: string;
  loader: string;
  budgetBytes: number;
  bytesIn: number;
  bytesOut: number;
  exact: boolean;
  tensors: {
    name: string;
    shape: number[];
    format: MixedFormat;
    bytes: number;
    relativeRmse: number;
    options: { format: MixedFormat; bytes: number; relativeRmse: number }[];
  }[];
  notes: string[];
}

export class BudgetError extends CheckpointError {
  constructor(message: string) {
    super('invalid_option', message);
    this.name = 'BudgetError';
  }
}

const codecOf = (f: Exclude<MixedFormat, 'keep'>): CodecId => f;

export async function mixedPrecision(
  input: string,
  output: string,
  budgetBytes: number,
  o: MixedOptions = {},
  onProgress?: (done: number, total: number) => void,
): Promise<MixedReport> {
  const candidates = o.candidates ?? DEFAULT_CANDIDATES;
  const family = familyOf(candidates);
  const ck = new Checkpoint(input);
  const pool = new Pool(o.workers ?? defaultWorkers());
  try {
    const all = [...ck.tensors];
    const opts = { blocksize: o.blocksize ?? 64, groupSize: o.groupSize ?? 128, sym: true, layout: 'compressed-tensors' as const };
    const notes: string[] = [];
    // every (weight, format) pair that can be stored: a Quantized decision to measure
    const pairs = new Map<TensorInfo, Map<MixedFormat, Quantized>>();
    const moe = moeLayers(all);
    for (const t of all) {
      const role = tensorRole(t, moe);
      // experts are candidates too, except for bitsandbytes (transformers does not quantize fused experts)
      const candidate = role === 'linear' || (role === 'expert' && family !== 'bitsandbytes') || (role === 'head' && o.includeEmbeddings);
      if (!candidate) continue;
      const m = new Map<MixedFormat, Quantized>();
      for (const f of candidates) {
        if (f === 'keep') continue;
        const p = codecParams(t, opts);
        const problem = weightFormat(f)!.shapeProblem(p.out, p.in, registryOptions(p, {}));
        if (problem) continue;
        m.set(f, { kind: 'quantize', t, module: t.name.slice(0, -'.weight'.length), codec: codecOf(f), params: p, stats: {} });
      }
      pairs.set(t, m);
    }
    if (!pairs.size) throw new CheckpointError('nothing_to_do', 'nothing to choose: the checkpoint has no 2-D F32/F16/BF16 linear weights');
    const nonFiniteTensors = new Set<TensorInfo>();
    await prepass(
      ck,
      [...pairs.values()].flatMap((m) => [...m.values()]),
      pool,
      (d) => nonFiniteTensors.add(d.t),
    );
    // measure: one read per range, every candidate codec on it (their alignments permitting)
    const sqErr = new Map<Quantized, number>();
    const sqRef = new Map<TensorInfo, number>();
    const list: (AnalyzeTask & { t: TensorInfo; qs: Quantized[]; ref: boolean })[] = [];
    {
      for (const [t, m] of pairs) {
        const qs = nonFiniteTensors.has(t) ? [] : [...m.values()];
        if (!qs.length) continue;
        const bytesPer = t.dtype === 'F32' ? 4 : 2;
        const total = t.shape[0]! * t.shape[1]!;
        const align = qs.map((q) => weightCodec(q.codec).align(q.params)).reduce(lcm, 1);
        const groups = align <= 4 * UNIT_ELEMENTS ? [qs] : qs.map((q) => [q]);
        groups.forEach((g, gi) => {
          const a = g.map((q) => weightCodec(q.codec).align(q.params)).reduce(lcm, 1);
          const step = unitStep(a);
          for (let e0 = 0; e0 < total; e0 += step) {
            const e1 = Math.min(total, e0 + step);
            list.push({
              kind: 'analyze',
              src: sourceOf(ck, t, e0 * bytesPer, (e1 - e0) * bytesPer),
              e0,
              codecs: g.map((q) => ({ codec: q.codec, params: q.params, stats: q.stats })),
              t,
              qs: g,
              ref: gi === 0,
            });
          }
        });
      }
    }
    let done = 0;
    await pool.runAll(list, (task, r: AnalyzeResult) => {
      if (r.nonFinite >= 0) nonFiniteTensors.add(task.t);
      else {
        task.qs.forEach((q, k) => sqErr.set(q, (sqErr.get(q) ?? 0) + r.sqErr[k]!));
        if (task.ref) sqRef.set(task.t, (sqRef.get(task.t) ?? 0) + r.sqRef);
      }
      onProgress?.(++done, list.length);
    });
    for (const t of nonFiniteTensors) {
      notes.push(`${t.name}: kept in ${t.dtype}: it holds a NaN or infinity, which no format here stores`);
      pairs.get(t)!.clear();
    }
    // items: fused groups share one format
    const groups = new Map<string, TensorInfo[]>();
    for (const t of pairs.keys()) {
      const k = fusionKey(t.name);
      groups.set(k, [...(groups.get(k) ?? []), t]);
    }
    const items = [...groups.values()];
    const options: Option[][] = items.map((ts) => {
      const opts: Option[] = [{ format: 'keep', bytes: ts.reduce((s, t) => s + (t.end - t.begin), 0), distortion: 0 }];
      for (const f of candidates) {
        if (f === 'keep' || !ts.every((t) => pairs.get(t)!.has(f))) continue;
        let bytes = 0;
        let d = 0;
        for (const t of ts) {
          const q = pairs.get(t)!.get(f)!;
          bytes += storedBytes(f, q.params.out, q.params.in, registryOptions(q.params, q.stats));
          d += sqErr.get(q) ?? 0;
        }
        opts.push({ format: f, bytes, distortion: d });
      }
      return opts;
    });
    const fixed = all.filter((t) => !pairs.has(t));
    const fixedBytes = fixed.reduce((s, t) => s + (t.end - t.begin), 0);
    const single = singleFileOutput(output);
    const shardBytes = o.shardBytes ?? DEFAULT_SHARD_BYTES;
    /** One format per item within `weightBudget` bytes of tensor data, as the decisions the writer takes. */
    const decide = (weightBudget: number) => {
      const alloc = allocate(options, weightBudget);
      if (!alloc) return null;
      const chosen = new Map<TensorInfo, MixedFormat>();
      items.forEach((ts, i) => ts.forEach((t) => chosen.set(t, options[i]![alloc.choice[i]!]!.format as MixedFormat)));
      const decisions: Decision[] = all.map((t) => {
        const f = chosen.get(t) ?? 'keep';
        if (f === 'keep') {
          const role = tensorRole(t, moe);
          const note =
            role === 'head'
              ? o.includeEmbeddings
                ? 'kept in 16 bits'
                : 'output head'
              : role === 'linear' || (role === 'expert' && family !== 'bitsandbytes')
                ? 'kept in 16 bits'
                : role === 'router'
                  ? ROUTER_NOTE
                  : role === 'expert'
                    ? EXPERT_BNB_NOTE
                    : null;
          return { kind: 'keep', t, ...(note ? { note } : {}) };
        }
        return pairs.get(t)!.get(f)!;
      });
      return { alloc, chosen, decisions, fileBytes: plannedWeightBytes(ck, decisions, single, shardBytes, mixedMetadata(decisions)) };
    };
    // the budget holds the weight files whole: their headers (names, shapes, the plan) come out of it
    // too, so the data gets what the headers of the chosen layout leave (they barely depend on it)
    let headers = 0;
    let pick = decide(budgetBytes - fixedBytes);
    for (let k = 0; k < 4 && pick && pick.fileBytes > budgetBytes; k++) {
      headers = pick.fileBytes - fixedBytes - pick.alloc.bytes;
      pick = decide(budgetBytes - fixedBytes - headers);
    }
    if (!pick || pick.fileBytes > budgetBytes) {
      const min = fixedBytes + options.reduce((s, op) => s + Math.min(...op.map((x) => x.bytes)), 0);
      // the headers of that smallest layout, computed as for any plan (not the estimate of the last try)
      const least = decide(min - fixedBytes);
      const hdr = least ? least.fileBytes - fixedBytes - least.alloc.bytes : headers;
      throw new BudgetError(
        `the budget of ${budgetBytes} bytes is below the smallest this checkpoint can be with these formats: ${min + hdr} bytes, ${min} of tensors (${fixedBytes} of it in embeddings, head and norms kept at full precision) and ${hdr} of file headers`,
      );
    }
    const { alloc, chosen, decisions, fileBytes } = pick;
    // write
    notes.push(...(await writeDecisions(ck, input, output, family, candidates, decisions, pool, o)).notes);
    const rel = (t: TensorInfo, d: number) => {
      const s = sqRef.get(t) ?? 0;
      return s > 0 ? Math.sqrt(d / s) : 0;
    };
    const bytesIn = all.reduce((s, t) => s + (t.end - t.begin), 0);
    return {
      input,
      output,
      loader: FAMILIES.find((f) => f.family === family)!.loader,
      budgetBytes,
      bytesIn,
      bytesOut: fileBytes,
      exact: alloc.exact,
      tensors: [...pairs.keys()].map((t) => {
        const f = chosen.get(t) ?? 'keep';
        const q = f === 'keep' ? null : pairs.get(t)!.get(f)!;
        const optsFor = (ff: MixedFormat) => {
          if (ff === 'keep') return { format: ff, bytes: t.end - t.begin, relativeRmse: 0 };
          const qq = pairs.get(t)!.get(ff)!;
          return {
            format: ff,
            bytes: storedBytes(ff, qq.params.out, qq.params.in, registryOptions(qq.params, qq.stats)),
            relativeRmse: rel(t, sqErr.get(qq) ?? 0),
          };
        };
        return {
          name: t.name,
          shape: t.shape,
          format: f,
          bytes: q ? storedBytes(f, q.params.out, q.params.in, registryOptions(q.params, q.stats)) : t.end - t.begin,
          relativeRmse: q ? rel(t, sqErr.get(q) ?? 0) : 0,
          options: ['keep' as MixedFormat, ...pairs.get(t)!.keys()].map(optsFor),
        };
      }),
      notes,
    };
  } finally {
    ck.close();
    await pool.close();
  }
}

/** The metadata a mixed checkpoint's files carry: the format per tensor. */
function mixedMetadata(decisions: Decision[]): Record<string, string> {
  const plan = Object.fromEntries(decisions.map((d) => [d.t.name, d.kind === 'keep' ? 'keep' : d.codec]));
  return { sinan_format: 'mixed', sinan_mixed_plan: JSON.stringify(plan) };
}

/** Writes per-tensor decisions as one loadable checkpoint (the config the family's loader reads), atomically. */
async function writeDecisions(
  ck: Checkpoint,
  input: string,
  output: string,
  family: Family,
  candidates: MixedFormat[],
  decisions: Decision[],
  pool: Pool,
  o: MixedOptions,
): Promise<{ notes: string[] }> {
  const notes: string[] = [];
  const single = singleFileOutput(output);
  checkOutputPlacement(output, [input, ...ck.realFiles()], pathKind(input) === 'folder' ? [input] : []);
  const out = new AtomicOutput(output, single ? 'file' : 'folder', !!o.force, single ? undefined : companionNames(input));
  try {
    await writeWeights(ck, decisions, out, single, o.shardBytes ?? DEFAULT_SHARD_BYTES, pool, mixedMetadata(decisions));
    const qc = mixedConfig(family, candidates, decisions);
    if (!single) notes.push(...writeCompanions(input, out.temp, qc ? quantizationConfig(qc) : null));
    if (!single) for (const [name, text] of Object.entries(o.extraFiles ?? {})) writeFileAtomic(join(out.temp, name), text);
    if (!qc) notes.push('every weight stays in its source precision: nothing was quantized');
    else if (single) notes.push('a single .safetensors output carries no config.json: write to a folder for a checkpoint loaders open');
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
  return { notes };
}

/**
 * Writes a checkpoint with the given format per tensor (the optimization manager's choice; tensors
 * not named stay as stored), with the loader config of the family that reads them all. The same
 * writer as mixedPrecision: streamed by the worker pool, atomic, never over an input.
 */
export async function writeMixedCheckpoint(
  input: string,
  output: string,
  formats: ReadonlyMap<string, MixedFormat>,
  o: MixedOptions = {},
): Promise<{ loader: string; bytesOut: number; notes: string[] }> {
  const used = [...new Set(formats.values())].filter((f) => f !== 'keep');
  const candidates: MixedFormat[] = ['keep', ...used];
  const family = used.length ? familyOf(candidates) : 'compressed-tensors';
  const ck = new Checkpoint(input);
  const pool = new Pool(o.workers ?? defaultWorkers());
  try {
    const opts = { blocksize: o.blocksize ?? 64, groupSize: o.groupSize ?? 128, sym: true, layout: 'compressed-tensors' as const };
    const moe = moeLayers(ck.tensors);
    const decisions: Decision[] = ck.tensors.map((t) => {
      const f = formats.get(t.name) ?? 'keep';
      if (f === 'keep') {
        // a kept linear layer (and the output head) goes in the loader's ignore list, as llm-compressor writes it
        const role = tensorRole(t, moe);
        return role === 'other' || role === 'embedding' ? { kind: 'keep', t } : { kind: 'keep', t, note: `kept in ${t.dtype} by the plan` };
      }
      const p = codecParams(t, opts);
      const problem = weightFormat(f)!.shapeProblem(p.out, p.in, registryOptions(p, {}));
      if (problem) throw new CheckpointError('invalid_option', `tensor ${t.name} cannot be stored in ${f}: ${problem}`);
      return { kind: 'quantize', t, module: t.name.slice(0, -'.weight'.length), codec: codecOf(f), params: p, stats: {} };
    });
    const quantized = decisions.filter((d): d is Quantized => d.kind === 'quantize');
    const bad: string[] = [];
    await prepass(ck, quantized, pool, (d) => bad.push(d.t.name));
    if (bad.length) throw new CheckpointError('non_finite', `tensor(s) ${bad.slice(0, 3).join(', ')} hold a NaN or infinity; nothing was written`);
    const { notes } = await writeDecisions(ck, input, output, family, candidates, decisions, pool, o);
    let bytesOut = 0;
    for (const d of decisions)
      bytesOut += d.kind === 'keep' ? d.t.end - d.t.begin : storedBytes(d.codec, d.params.out, d.params.in, registryOptions(d.params, d.stats));
    return { loader: FAMILIES.find((f) => f.family === family)!.loader, bytesOut, notes };
  } finally {
    ck.close();
    await pool.close();
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
const lcm = (a: number, b: number) => (a / gcd(a, b)) * b;

/** The quantization_config that describes a mixed checkpoint for its loader. */
function mixedConfig(family: Family, candidates: MixedFormat[], decisions: Decision[]): QuantizationConfig | null {
  const skip = keptLinearModules(decisions);
  const q = decisions.filter((d): d is Quantized => d.kind === 'quantize');
  if (!q.length) return null;
  if (family === 'bitsandbytes') {
    const c = candidates.find((x) => x !== 'keep')!;
    return { kind: 'bitsandbytes', type: c.startsWith('nf4') ? 'nf4' : 'fp4', doubleQuant: c.endsWith('-dq'), computeDtype: 'bfloat16', skip };
  }
  if (family === 'fp8-block') return { kind: 'fp8-block', skip };
  const groups = new Map<CodecId, CtGroup>();
  for (const d of q) {
    let g = groups.get(d.codec);
    if (!g) {
      g =
        d.codec === 'int4' || d.codec === 'int8'
          ? { kind: 'int', bits: d.codec === 'int4' ? 4 : 8, strategy: 'group', groupSize: d.params.groupSize, sym: true, targets: [] }
          : { kind: 'fp8', bits: 8, strategy: d.codec === 'fp8' ? 'tensor' : 'channel', sym: true, targets: [] };
      groups.set(d.codec, g);
    }
    g.targets.push(d.module);
  }
  return { kind: 'compressed-tensors', groups: [...groups.values()], ignore: skip };
}
