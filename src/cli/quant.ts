import type { Command } from 'commander';
import { pc } from './style.js';
import { IssueError, mkIssue, type Issue } from '../core/issues.js';
import { CheckpointError, type CheckpointErrorCode } from '../checkpoint/errors.js';
import { QUANT_FORMATS, quantizeCheckpoint } from '../checkpoint/convert.js';
import { inspectCheckpoint } from '../checkpoint/inspect.js';
import type { DetectedQuantization } from '../checkpoint/quant-layout.js';
import { compressFile, decompressFile } from '../checkpoint/container.js';
import { DEFAULT_CANDIDATES, MIXED_FORMATS, mixedPrecision, parseBytes } from '../checkpoint/mixed.js';
import { escapeControls } from '../util/terminal-text.js';
import { guard, intFlag, workersFlag, type ExitCode, type Io } from './common.js';
import { bytes, heading, num, table } from './format.js';
import { checkMixedOptions, checkQuantizeOptions, mixedFormatsFlag, quantFormatFlag } from './quant-flags.js';

/** A checkpoint-engine error as an issue of the contract: the file (or the option) it concerns, and why. */
function checkpointIssue(e: CheckpointError, path: string): Issue {
  const file = e.file ?? path;
  const reason = e.file ? e.detail : e.message;
  const kinds: Record<CheckpointErrorCode, 'io_error' | 'unsupported' | 'invalid_value'> = {
    io_error: 'io_error',
    invalid_file: 'invalid_value',
    unsupported: 'unsupported',
    invalid_option: 'invalid_value',
    output_exists: 'invalid_value',
    unsafe_output: 'invalid_value',
    nothing_to_do: 'unsupported',
    non_finite: 'invalid_value',
    integrity: 'invalid_value',
  };
  const kind = kinds[e.code];
  // an option the command cannot honour is about the command line, not about the input file
  if (e.code === 'invalid_option' && !e.file) return mkIssue({ code: 'invalid_value', path: ['options'], value: undefined, reason: e.message });
  if (kind === 'io_error') return mkIssue({ code: 'io_error', path: [file], file, reason });
  if (kind === 'unsupported') return mkIssue({ code: 'unsupported', path: [file], feature: file, reason });
  return mkIssue({ code: 'invalid_value', path: [file], value: undefined, reason: `${file}: ${reason}` });
}

const badFlag = (name: string, value: string | undefined, reason: string, allowed?: readonly string[]) =>
  new IssueError([mkIssue({ code: 'invalid_value', path: [`--${name}`], value, reason, ...(allowed ? { allowed } : {}) })]);

/** Runs a checkpoint-engine call, turning its errors (bad files, unsafe outputs, bad options) into issues (exit 2). */
async function engine<T>(path: string, body: () => Promise<T> | T): Promise<T> {
  // an interrupted run must not leave temporary files: exit through the handlers that remove them
  const onSignal = () => process.exit(130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body();
  } catch (e) {
    if (e instanceof CheckpointError) {
      throw new IssueError([checkpointIssue(e, path)]);
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

const progressTo = (io: Io, json: boolean, what: string) =>
  !json && process.stderr.isTTY ? (d: number, t: number) => io.err(`\r${what} ${d}/${t}`) : undefined;
const clearProgress = (io: Io, json: boolean) => {
  if (!json && process.stderr.isTTY) io.err('\r\x1b[K');
};

function sizeFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const b = parseBytes(v);
  if (b === null || b <= 0) throw badFlag(name, v, `--${name} needs a size such as 5GB or 500MiB`);
  return b;
}

/** The quantization inspect found, in words: each layout with its bits and layers, and Sinan's format name. */
function quantizationText(q: DetectedQuantization): string {
  const layouts = q.layouts.map((l) => `${l.layout}${l.bits !== null ? ` ${l.bits}-bit` : ''} (${l.layers} layer${l.layers === 1 ? '' : 's'})`);
  if (q.sinanFormat !== null) layouts.push(`written by sinan quantize as ${escapeControls(q.sinanFormat)}`);
  return layouts.join(', ');
}

export async function inspectCommand(path: string, f: { json?: boolean; all?: boolean }, io: Io): Promise<ExitCode> {
  return guard(!!f.json, io, async (): Promise<ExitCode> => {
    const r = await engine(path, () => inspectCheckpoint(path));
    if (f.json) io.out(JSON.stringify(r, null, 2) + '\n');
    else {
      const what = r.kind === 'sinan-container' ? 'Sinan lossless container holding' : `${r.files} file(s),`;
      const params = r.parameters === null ? 'parameter count unknown' : `${num(r.parameters)} parameters`;
      const stored = r.quantization ? `, ${num(r.storedElements)} stored elements` : '';
      io.out(heading(`${path}: ${what} ${r.tensors.length} tensors, ${params}${stored}, ${bytes(r.bytes)}`) + '\n');
      if (r.quantization) io.out(`quantized: ${quantizationText(r.quantization)}\n`);
      if (r.parametersUnknownBecause) io.out(pc.yellow(`note: the parameter count cannot be derived: ${escapeControls(r.parametersUnknownBecause)}\n`));
      io.out(
        table(
          ['dtype', 'tensors', 'elements', 'bytes'],
          r.byDtype.map((d) => [d.dtype, d.tensors, num(d.elements), bytes(d.bytes)]),
        ) + '\n',
      );
      const shown = f.all ? r.tensors : r.tensors.slice(0, 20);
      io.out(
        table(
          ['tensor', 'dtype', 'shape', 'bytes'],
          shown.map((t) => [t.name, t.dtype, `[${t.shape.join(', ')}]`, bytes(t.bytes)]),
          { align: ['left', 'left', 'left', 'right'] },
        ) + '\n',
      );
      if (shown.length < r.tensors.length) io.out(pc.dim(`… ${r.tensors.length - shown.length} more (--all)\n`));
      if (Object.keys(r.metadata).length) io.out(pc.dim(`metadata: ${escapeControls(JSON.stringify(r.metadata).slice(0, 2000))}\n`));
    }
    return 0;
  });
}

/** The options of `sinan quantize`, as commander hands them over. */
export interface QuantizeFlags {
  json?: boolean;
  format?: string;
  doubleQuant?: boolean;
  blocksize?: string;
  groupSize?: string;
  asym?: boolean;
  layout?: string;
  includeEmbeddings?: boolean;
  shardSize?: string;
  workers?: string;
  force?: boolean;
}

export async function quantizeCommand(input: string, output: string, f: QuantizeFlags, io: Io): Promise<ExitCode> {
  const json = !!f.json;
  return guard(json, io, async (): Promise<ExitCode> => {
    const format = quantFormatFlag(f.format ?? 'nf4');
    checkQuantizeOptions(format, f);
    const workers = workersFlag(f.workers);
    const blocksize = intFlag('blocksize', f.blocksize);
    if (blocksize !== undefined && ![32, 64, 128, 256, 512, 1024, 2048, 4096].includes(blocksize))
      throw badFlag('blocksize', f.blocksize, 'blocksize must be a power of two from 32 to 4096 (bitsandbytes)');
    if (f.layout !== undefined && f.layout !== 'gptq' && f.layout !== 'compressed-tensors')
      throw badFlag('layout', f.layout, 'unknown layout', ['gptq', 'compressed-tensors']);
    const groupSize = intFlag('group-size', f.groupSize);
    const r = await engine(input, () =>
      quantizeCheckpoint(
        input,
        output,
        {
          format,
          doubleQuant: !!f.doubleQuant,
          ...(blocksize ? { blocksize } : {}),
          ...(groupSize ? { groupSize, groupSizeExplicit: true } : {}),
          sym: !f.asym,
          ...(f.layout ? { layout: f.layout as 'gptq' | 'compressed-tensors' } : {}),
          includeEmbeddings: !!f.includeEmbeddings,
          ...(f.shardSize !== undefined ? { shardBytes: sizeFlag('shard-size', f.shardSize)! } : {}),
          ...(workers !== undefined ? { workers } : {}),
          force: !!f.force,
        },
        progressTo(io, json, 'quantizing'),
      ),
    );
    clearProgress(io, json);
    if (json) io.out(JSON.stringify(r, null, 2) + '\n');
    else {
      const q = r.tensors.filter((t) => t.quantized);
      io.out(heading(`${r.input} → ${r.output} (${r.format}; ${r.files.length} file${r.files.length > 1 ? 's' : ''})`) + '\n');
      io.out(
        `${num(r.quantizedParameters)} parameters quantized, ${num(r.keptParameters)} kept; ${bytes(r.bytesIn)} → ${bytes(r.bytesOut)} (${(r.bytesIn / Math.max(r.bytesOut, 1)).toFixed(2)}x)\n`,
      );
      io.out(
        table(
          ['tensor', 'shape', 'relative RMSE', 'SQNR dB'],
          q.slice(0, 20).map((t) => [t.name, `[${t.shape.join(', ')}]`, (t.rmse ?? 0).toFixed(5), (t.sqnrDb ?? 0).toFixed(2)]),
          { align: ['left', 'left', 'right', 'right'] },
        ) + '\n',
      );
      for (const n of r.notes) io.out(pc.yellow(`note: ${escapeControls(n)}\n`));
    }
    return 0;
  });
}

export interface ContainerFlags {
  json?: boolean;
  workers?: string;
  force?: boolean;
}

export async function compressCommand(input: string, output: string, f: ContainerFlags, io: Io): Promise<ExitCode> {
  const json = !!f.json;
  return guard(json, io, async (): Promise<ExitCode> => {
    const r = await engine(input, () =>
      compressFile(
        input,
        output,
        { force: !!f.force, ...(f.workers !== undefined ? { workers: workersFlag(f.workers)! } : {}) },
        progressTo(io, json, 'compressing chunk'),
      ),
    );
    clearProgress(io, json);
    if (json) io.out(JSON.stringify(r, null, 2) + '\n');
    else {
      io.out(
        heading(
          `${r.input} → ${r.output}: ${bytes(r.bytesIn)} → ${bytes(r.bytesOut)} (${r.ratio.toFixed(3)}x, lossless, ${bytes(r.overheadBytes)} of header, index and footer)`,
        ) + '\n',
      );
      io.out(
        table(
          ['tensor', 'dtype', 'bits/weight', 'entropy bound', 'ratio'],
          r.tensors.slice(0, 20).map((t) => [t.name, t.dtype, t.bitsPerWeight.toFixed(3), t.boundBitsPerWeight.toFixed(3), `${t.ratio.toFixed(3)}x`]),
          { align: ['left', 'left', 'right', 'right', 'right'] },
        ) + '\n',
      );
    }
    return 0;
  });
}

export async function decompressCommand(input: string, output: string, f: ContainerFlags, io: Io): Promise<ExitCode> {
  const json = !!f.json;
  return guard(json, io, async (): Promise<ExitCode> => {
    const r = await engine(input, () =>
      decompressFile(
        input,
        output,
        { force: !!f.force, ...(f.workers !== undefined ? { workers: workersFlag(f.workers)! } : {}) },
        progressTo(io, json, 'restoring chunk'),
      ),
    );
    clearProgress(io, json);
    const rate = (s: number) => (s > 0 ? `${(r.bytes / 1e9 / s).toFixed(2)} GB/s` : '-');
    io.out(
      json
        ? JSON.stringify(r) + '\n'
        : `${r.input} → ${r.output}: ${bytes(r.bytes)} restored, every chunk verified, in ${r.seconds.toFixed(2)} s (${rate(r.seconds)}; ` +
            `${r.threads} decoding thread${r.threads > 1 ? 's' : ''} busy ${r.decodingSeconds.toFixed(2)} s in all, ${rate(r.decodingSeconds)} per thread)\n`,
    );
    return 0;
  });
}

export interface MixedFlags {
  json?: boolean;
  budget?: string;
  formats?: string;
  groupSize?: string;
  includeEmbeddings?: boolean;
  shardSize?: string;
  workers?: string;
  force?: boolean;
}

export async function mixedCommand(input: string, output: string, f: MixedFlags, io: Io): Promise<ExitCode> {
  const json = !!f.json;
  return guard(json, io, async (): Promise<ExitCode> => {
    const budget = f.budget === undefined ? null : parseBytes(f.budget);
    if (budget === null || budget <= 0) throw badFlag('budget', f.budget ?? '', '--budget needs a size such as 40GB or 1.5GiB');
    const formats = mixedFormatsFlag(f.formats ?? DEFAULT_CANDIDATES.join(','));
    checkMixedOptions(formats, f);
    const groupSize = intFlag('group-size', f.groupSize);
    const workers = workersFlag(f.workers);
    const r = await engine(input, () =>
      mixedPrecision(
        input,
        output,
        budget,
        {
          candidates: formats,
          ...(groupSize ? { groupSize } : {}),
          includeEmbeddings: !!f.includeEmbeddings,
          ...(f.shardSize !== undefined ? { shardBytes: sizeFlag('shard-size', f.shardSize)! } : {}),
          ...(workers !== undefined ? { workers } : {}),
          force: !!f.force,
        },
        progressTo(io, json, 'measuring'),
      ),
    );
    clearProgress(io, json);
    if (json) io.out(JSON.stringify(r, null, 2) + '\n');
    else {
      io.out(
        heading(
          `${r.input} → ${r.output} (${r.loader}): ${bytes(r.bytesIn)} → ${bytes(r.bytesOut)} within ${bytes(r.budgetBytes)} (${r.exact ? 'exact' : 'Lagrangian + greedy'} allocation)`,
        ) + '\n',
      );
      io.out(
        table(
          ['tensor', 'format', 'bytes', 'relative RMSE'],
          r.tensors.slice(0, 30).map((t) => [t.name, t.format, bytes(t.bytes), t.relativeRmse.toFixed(5)]),
          { align: ['left', 'left', 'right', 'right'] },
        ) + '\n',
      );
      for (const n of r.notes) io.out(pc.yellow(`note: ${escapeControls(n)}\n`));
    }
    return 0;
  });
}

/** The checkpoint-engine commands: inspect, quantize, compress, decompress, mixed. */
export function registerQuantCommands(program: Command, io: Io, setCode: (c: ExitCode) => void): void {
  program
    .command('inspect')
    .description('summarise a safetensors file, checkpoint folder or Sinan container: tensors, dtypes, sizes, parameter count')
    .argument('<path>', '.safetensors file, or a folder (with model.safetensors.index.json or shards)')
    .option('--all', 'list every tensor')
    .option('--json', 'print JSON')
    .action(async (path: string, opts: { json?: boolean; all?: boolean }) => setCode(await inspectCommand(path, opts, io)));

  program
    .command('quantize')
    .description(
      'quantize the linear layers of a safetensors checkpoint into a checkpoint its loader reads (bitsandbytes NF4/FP4, GPTQ or compressed-tensors INT4/INT8, compressed-tensors FP8, DeepSeek FP8 blocks)',
    )
    .argument('<input>', 'safetensors file or checkpoint folder')
    .argument('<output>', 'output folder (a checkpoint: weights, config.json, tokenizer) or a single .safetensors file')
    .option('--format <format>', QUANT_FORMATS.join(' | '), 'nf4')
    .option('--double-quant', 'NF4/FP4: double-quantize the block scales')
    .option('--blocksize <n>', 'NF4/FP4 block size (default 64)')
    .option('--group-size <n>', 'INT4/INT8 group size (default 128; must divide every quantized input dimension)')
    .option('--asym', 'INT4/INT8: asymmetric (zero point) instead of symmetric')
    .option('--layout <layout>', 'INT4/INT8 tensors: gptq (default) or compressed-tensors (pack-quantized, for vLLM)')
    .option('--include-embeddings', 'also quantize the output head (input embeddings always stay)')
    .option('--shard-size <size>', 'folder output: shard files of at most this size (default 5GB)')
    .option('--workers <n>', 'worker threads (default: every core)')
    .option('--force', 'replace an existing output')
    .option('--json', 'print JSON')
    .action(async (input: string, output: string, opts: QuantizeFlags) => setCode(await quantizeCommand(input, output, opts, io)));

  program
    .command('compress')
    .description('losslessly compress a safetensors file (Huffman-coded BF16/FP16 exponents, checksummed chunks)')
    .argument('<input>', '.safetensors file')
    .argument('<output>', 'compressed output (a Sinan container)')
    .option('--workers <n>', 'coding threads (default: half the cores; each keeps about one more busy with file I/O)')
    .option('--force', 'replace an existing output')
    .option('--json', 'print JSON')
    .action(async (input: string, output: string, opts: ContainerFlags) => setCode(await compressCommand(input, output, opts, io)));

  program
    .command('decompress')
    .description('rebuild the original safetensors file, byte for byte and verified, from sinan compress output')
    .argument('<input>', 'compressed file')
    .argument('<output>', 'restored .safetensors file')
    .option('--workers <n>', 'decoding threads (default: half the cores; each keeps about one more busy with file I/O)')
    .option('--force', 'replace an existing output')
    .option('--json', 'print JSON')
    .action(async (input: string, output: string, opts: ContainerFlags) => setCode(await decompressCommand(input, output, opts, io)));

  program
    .command('mixed')
    .description('choose a format per weight minimising total error under a size budget, and write a checkpoint one loader reads')
    .argument('<input>', 'safetensors file or checkpoint folder')
    .argument('<output>', 'output folder (or a single .safetensors file)')
    .requiredOption('--budget <size>', 'size of the weight files, headers included (config and tokenizer files are extra), e.g. 40GB or 1.5GiB')
    .option('--formats <list>', `candidate formats, comma-separated (keep = source precision): ${MIXED_FORMATS.join(', ')}`, DEFAULT_CANDIDATES.join(','))
    .option('--group-size <n>', 'INT4/INT8 group size (default 128)')
    .option('--include-embeddings', 'also consider quantizing the output head')
    .option('--shard-size <size>', 'folder output: shard files of at most this size (default 5GB)')
    .option('--workers <n>', 'worker threads (default: every core)')
    .option('--force', 'replace an existing output')
    .option('--json', 'print JSON')
    .action(async (input: string, output: string, opts: MixedFlags) => setCode(await mixedCommand(input, output, opts, io)));
}
