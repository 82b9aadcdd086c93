import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CheckpointError } from '../checkpoint/errors.js';
import { AtomicOutput, checkOutputPlacement, pathKind, singleFileOutput } from '../checkpoint/files.js';
import { companionNames } from '../checkpoint/config.js';
import { writeMixedCheckpoint, type MixedFormat } from '../checkpoint/mixed.js';
import { Checkpoint } from '../checkpoint/safetensors.js';
import { weightFormat } from '../formats/weights.js';
import type { GgmlType } from '../gguf/ggml-types.js';
import { planGgufModel, type PlannedTensor } from '../gguf/hf-model.js';
import { openSafetensorsSource } from '../gguf/safetensors-source.js';
import { readHfTokenizer, writeGguf } from '../gguf/write-gguf.js';
import { writeFileAtomic } from '../util/files.js';
import type { OutputFormat } from './targets.js';
import type { Decisions } from './types.js';

/**
 * Writing the chosen plan as a checkpoint an engine loads, into a new folder, atomically (the
 * folder is built as a temporary sibling and renamed into place; an input is never a target):
 * - gguf: one `model.gguf` with each tensor's ggml type (src/gguf: ggml's reference quantizers,
 *   llama.cpp's names, Q/K rotary permutation and metadata, the tokenizer when the folder has
 *   one), for llama-server, Ollama, LM Studio;
 * - compressed-tensors: safetensors with one config group per scheme and an `ignore` list
 *   (src/checkpoint mixed writer), for vLLM and transformers;
 * - bitsandbytes: NF4 with the kept modules in llm_int8_skip_modules (the same writer).
 * The folder also holds `optimization.json`: the decisions and the predicted metrics.
 */

export interface WriteResult {
  folder: string;
  files: string[];
  notes: string[];
}

const GGML_16: Record<string, GgmlType> = { BF16: 'BF16', F16: 'F16', F32: 'F16' };

function readConfig(folder: string): Record<string, unknown> {
  const p = join(folder, 'config.json');
  if (!existsSync(p)) throw new CheckpointError('invalid_file', 'the checkpoint folder has no config.json, which GGUF metadata is made from', folder);
  if (statSync(p).size > 16 << 20) throw new CheckpointError('invalid_file', 'config.json is larger than 16 MiB', p);
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError('invalid_file', `not valid JSON (${(e as Error).message})`, p);
  }
}

/** The GGUF type of each planned tensor from the decisions (by checkpoint name); tensors the plan does not decide on stay in their 16 bits. */
function ggufTypes(tensors: readonly PlannedTensor[], byHf: ReadonlyMap<string, string>, dtypeOf: (hf: string) => string): Map<string, GgmlType> {
  const out = new Map<string, GgmlType>();
  for (const t of tensors) {
    if (t.keepF32) continue;
    const r = t.recipe;
    const hf = r.kind === 'tensor' || r.kind === 'rope-permute' ? r.hf : r.kind === 'stack' ? r.hf[0]! : null;
    const f = hf ? byHf.get(hf) : undefined;
    const ggml = f ? weightFormat(f)?.ggml : undefined;
    out.set(t.name, (ggml as GgmlType | undefined) ?? GGML_16[hf ? dtypeOf(hf) : 'BF16'] ?? 'F16');
  }
  return out;
}

/** Writes the decisions' checkpoint into the new folder `out`; `report` is stored beside it as optimization.json. */
export async function writePlan(
  input: string,
  out: string,
  format: OutputFormat,
  decisions: Decisions,
  report: unknown,
  o: { force?: boolean; workers?: number; name?: string } = {},
): Promise<WriteResult> {
  if (pathKind(input) !== 'folder') throw new CheckpointError('invalid_option', 'the checkpoint must be a folder (safetensors with config.json)', input);
  // the output is a folder (weights or model.gguf, config, optimization.json): not a name like one file
  if (singleFileOutput(out))
    throw new CheckpointError(
      'invalid_option',
      'the optimized checkpoint is a folder (weights, config.json, optimization.json): name a folder, not a .safetensors file',
      out,
    );
  const byHf = new Map(decisions.weights.map((w) => [w.tensor, w.format]));
  const notes: string[] = [];
  if (format === 'gguf') {
    const config = readConfig(input);
    const ck = new Checkpoint(input);
    const inputs = [input, ...ck.realFiles()];
    ck.close();
    checkOutputPlacement(out, inputs, [input]);
    const folder = new AtomicOutput(out, 'folder', !!o.force, companionNames(input));
    const source = openSafetensorsSource(input);
    try {
      const dtypes = new Map(source.tensors.map((t) => [t.name, t.dtype]));
      const plan = planGgufModel(config, source.tensors);
      const types = ggufTypes(plan.tensors, byHf, (hf) => dtypes.get(hf) ?? 'BF16');
      const tokenizer = readHfTokenizer(input, config);
      if (!tokenizer) notes.push('the checkpoint has no tokenizer.json: the GGUF file carries no tokenizer, so llama-server needs one from elsewhere');
      const r = writeGguf(source, folder.file('model.gguf'), { plan, types, name: o.name ?? basename(resolve(input)), tokenizer });
      notes.push(...r.warnings);
      writeFileAtomic(folder.file('optimization.json'), JSON.stringify(report, null, 2) + '\n');
      folder.commit();
    } catch (e) {
      folder.abort();
      throw e;
    } finally {
      source.close();
    }
    return { folder: out, files: [join(out, 'model.gguf'), join(out, 'optimization.json')], notes };
  }
  // compressed-tensors / bitsandbytes: the checkpoint engine's writer, with the formats per tensor
  const formats = new Map<string, MixedFormat>();
  for (const w of decisions.weights) if (w.format !== 'bf16' && w.format !== 'fp16' && w.format !== 'f32') formats.set(w.tensor, w.format as MixedFormat);
  const r = await writeMixedCheckpoint(input, out, formats, {
    force: !!o.force,
    ...(o.workers ? { workers: o.workers } : {}),
    extraFiles: { 'optimization.json': JSON.stringify(report, null, 2) + '\n' },
  });
  notes.push(...r.notes);
  const ck = new Checkpoint(out);
  const files = ck.files.map((f) => f.path);
  ck.close();
  if (existsSync(join(out, 'model.safetensors.index.json'))) files.push(join(out, 'model.safetensors.index.json'));
  files.push(join(out, 'config.json'), join(out, 'optimization.json'));
  return { folder: out, files, notes: [`${r.loader}: ${notes.length ? notes.join('; ') : 'written'}`] };
}
