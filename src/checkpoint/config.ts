import { copyFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/files.js';
import { escapeRegex } from '../util/regex.js';
import { CheckpointError } from './errors.js';
import { parseJsonText, pathKind, readSmallText } from './files.js';
import { INDEX_FILE } from './safetensors.js';
import { fusionKey } from './fusion.js';
import { setTopLevelMember } from './json-splice.js';

/**
 * The files beside the weights that make an output folder a checkpoint loaders open: config.json
 * with the quantization_config that describes exactly what was written (the format's loader
 * keys, the modules left unquantized), and the input's tokenizer / generation files.
 */

/** One compressed-tensors config group: a scheme and the modules it covers. */
export interface CtGroup {
  kind: 'int' | 'fp8';
  bits: 4 | 8;
  /** int: group size along the input dimension; fp8: per tensor or per channel. */
  strategy: 'group' | 'tensor' | 'channel';
  groupSize?: number;
  sym: boolean;
  targets: string[];
}

export type QuantizationConfig =
  | { kind: 'bitsandbytes'; type: 'nf4' | 'fp4'; doubleQuant: boolean; computeDtype: string; skip: string[] }
  | { kind: 'gptq'; bits: 4 | 8; groupSize: number; sym: boolean; skip: string[]; lmHead: boolean }
  | { kind: 'fp8-block'; skip: string[] }
  | { kind: 'compressed-tensors'; groups: CtGroup[]; ignore: string[] };

function ctArgs(g: CtGroup): Record<string, unknown> {
  // QuantizationArgs as llm-compressor serialises them (compressed_tensors/quantization/quant_args.py)
  return {
    num_bits: g.bits,
    type: g.kind === 'fp8' ? 'float' : 'int',
    symmetric: g.sym,
    group_size: g.strategy === 'group' ? g.groupSize : null,
    strategy: g.strategy,
    block_structure: null,
    dynamic: false,
    actorder: null,
    observer: 'minmax',
    observer_kwargs: {},
  };
}

/** The compressed-tensors format name of a group's tensors. */
export function ctFormat(g: CtGroup): string {
  return g.kind === 'fp8' ? 'float-quantized' : 'pack-quantized';
}

/**
 * GPTQ's per-module overrides for modules kept unquantized: a "-:" key is a negative rule, and a
 * module whose name the regex matches (Python's re.match, so anchored at the start) loads
 * unquantized (vLLM, quantization/utils/gptq_utils.py, get_dynamic_override; the same `dynamic`
 * key GPTQModel writes). vLLM matches fused layers by their fused name, so a kept q/k/v or
 * gate/up part also names its qkv_proj / gate_up_proj, and a kept expert its layer's `experts`
 * prefix (the writer keeps all parts of such a layer).
 */
export function gptqSkipRules(skip: string[]): Record<string, Record<string, never>> {
  const names = new Set<string>();
  // a kept expert's layer is asked about by its prefix (vLLM's get_moe_quant_method)
  for (const m of skip) names.add(m).add(fusionKey(m));
  return Object.fromEntries([...names].sort().map((n) => [`-:${escapeRegex(n)}$`, {}]));
}

/** `quantization_config` for config.json, as each format's loader reads it. */
export function quantizationConfig(c: QuantizationConfig): Record<string, unknown> {
  switch (c.kind) {
    case 'bitsandbytes':
      // transformers BitsAndBytesConfig; llm_int8_skip_modules replaces the loader's default list, so it names every module kept
      return {
        quant_method: 'bitsandbytes',
        load_in_4bit: true,
        load_in_8bit: false,
        bnb_4bit_quant_type: c.type,
        bnb_4bit_use_double_quant: c.doubleQuant,
        bnb_4bit_compute_dtype: c.computeDtype,
        bnb_4bit_quant_storage: 'uint8',
        llm_int8_skip_modules: c.skip,
      };
    case 'gptq':
      return {
        quant_method: 'gptq',
        bits: c.bits,
        group_size: c.groupSize,
        sym: c.sym,
        desc_act: false,
        checkpoint_format: 'gptq',
        // a quantized output head: vLLM's GPTQConfig.from_config reads `lm_head` (default false, the head then unquantized)
        ...(c.lmHead ? { lm_head: true } : {}),
        ...(c.skip.length ? { dynamic: gptqSkipRules(c.skip) } : {}),
      };
    case 'fp8-block':
      // DeepSeek-V3's config; transformers' FineGrainedFP8Config
      return { quant_method: 'fp8', fmt: 'e4m3', activation_scheme: 'dynamic', weight_block_size: [128, 128], modules_to_not_convert: c.skip };
    case 'compressed-tensors': {
      const formats = [...new Set(c.groups.map(ctFormat))];
      const groups: Record<string, unknown> = {};
      c.groups.forEach((g, k) => {
        groups[`group_${k}`] = {
          targets: g.targets,
          weights: ctArgs(g),
          // FP8 weights with dynamic per-token FP8 activations (llm-compressor's FP8_DYNAMIC scheme); INT weights are weight-only
          input_activations:
            g.kind === 'fp8'
              ? {
                  num_bits: 8,
                  type: 'float',
                  symmetric: true,
                  group_size: null,
                  strategy: 'token',
                  block_structure: null,
                  dynamic: true,
                  actorder: null,
                  observer: null,
                  observer_kwargs: {},
                }
              : null,
          output_activations: null,
          format: ctFormat(g),
        };
      });
      return {
        quant_method: 'compressed-tensors',
        format: formats.length === 1 ? formats[0] : 'mixed-precision',
        quantization_status: 'compressed',
        config_groups: groups,
        ignore: c.ignore,
        kv_cache_scheme: null,
        global_compression_ratio: null,
      };
    }
  }
}

/** Input files copied beside the weights (configs, tokenizers, chat templates, remote code). */
const COMPANION = /\.(json|txt|model|jinja|tiktoken|py)$/i;

/** The names writeCompanions copies from the input's folder (besides config.json). */
export function companionNames(input: string): Set<string> {
  const dir = pathKind(input) === 'folder' ? input : dirname(input);
  const names = new Set<string>();
  try {
    for (const name of readdirSync(dir)) if (name !== INDEX_FILE && !name.startsWith('.') && COMPANION.test(name)) names.add(name);
  } catch {
    // an unreadable folder copies nothing
  }
  return names;
}

/**
 * Writes config.json (with `quantization_config`, when given) and copies the companion files of
 * the input's folder into `outDir`. Returns notes for the report.
 */
export function writeCompanions(input: string, outDir: string, qc: Record<string, unknown> | null): string[] {
  const dir = pathKind(input) === 'folder' ? input : dirname(input);
  const notes: string[] = [];
  const cfgPath = join(dir, 'config.json');
  if (pathKind(cfgPath) === 'file') {
    const text = readSmallText(cfgPath, 'config.json', 16 * 1024 * 1024);
    const cfg = parseJsonText(text, cfgPath, 'config.json');
    if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new CheckpointError('invalid_file', 'config.json is not a JSON object', cfgPath);
    // only quantization_config changes; the rest keeps its text (a re-serialised 0.0 would be an int to transformers)
    writeFileAtomic(join(outDir, 'config.json'), setTopLevelMember(text, 'quantization_config', qc ?? undefined));
  } else notes.push(`the input has no config.json, so the output has none: loaders need one`);
  for (const name of readdirSync(dir)) {
    if (name === 'config.json' || name === INDEX_FILE || name.startsWith('.') || !COMPANION.test(name)) continue;
    const p = join(dir, name);
    if (pathKind(p) !== 'file' || statSync(p).size > 256 * 1024 * 1024) continue;
    copyFileSync(p, join(outDir, name));
  }
  return notes;
}
