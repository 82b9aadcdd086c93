import pc from 'picocolors';
import { ScenarioError } from '../util/issues.js';
import { QUANT_FORMATS, type QuantFormat } from '../quant/convert.js';
import { quantizeParallel } from '../quant/parallel.js';
import { inspectCheckpoint } from '../quant/inspect.js';
import { compressFile, decompressFile } from '../quant/container.js';
import { BudgetError, DEFAULT_CANDIDATES, mixedPrecision, parseBytes, type MixedFormat } from '../quant/mixed.js';
import { SafetensorsError } from '../quant/safetensors.js';
import { guard, intFlag, type ExitCode, type Io } from './common.js';
import { bytes, heading, num, table } from './format.js';

function asIssue(e: unknown, path: string): never {
  if (e instanceof SafetensorsError) throw new ScenarioError([{ code: 'invalid_value', path: [path], message: e.message }]);
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ScenarioError([{ code: 'io_error', path: [path], message: `${path}: no such file or folder` }]);
  throw e;
}

export async function inspectCommand(path: string, f: { json?: boolean; all?: boolean }, io: Io): Promise<ExitCode> {
  return guard(!!f.json, io, () => {
    let r;
    try {
      r = inspectCheckpoint(path);
    } catch (e) {
      asIssue(e, path);
    }
    if (f.json) io.out(JSON.stringify(r, null, 2) + '\n');
    else {
      io.out(heading(`${path}: ${r.files} file(s), ${r.tensors.length} tensors, ${num(r.parameters)} elements, ${bytes(r.bytes)}`) + '\n');
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
      if (Object.keys(r.metadata).length) io.out(pc.dim(`metadata: ${JSON.stringify(r.metadata)}\n`));
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
  includeEmbeddings?: boolean;
  workers?: string;
}

export async function quantizeCommand(input: string, output: string, f: QuantizeFlags, io: Io): Promise<ExitCode> {
  const json = !!f.json;
  return guard(json, io, async (): Promise<ExitCode> => {
    const format = (f.format ?? 'nf4') as QuantFormat;
    if (!QUANT_FORMATS.includes(format))
      throw new ScenarioError([{ code: 'invalid_value', path: ['--format'], message: `unknown format '${f.format}': one of ${QUANT_FORMATS.join(', ')}` }]);
    const blocksize = intFlag('blocksize', f.blocksize);
    if (blocksize !== undefined && ![32, 64, 128, 256, 512, 1024, 2048, 4096].includes(blocksize))
      throw new ScenarioError([{ code: 'invalid_value', path: ['--blocksize'], message: 'blocksize must be a power of two from 32 to 4096 (bitsandbytes)' }]);
    const progress = !json && process.stderr.isTTY;
    let r;
    try {
      const workers = f.workers !== undefined ? intFlag('workers', f.workers)! : output.endsWith('.safetensors') ? 1 : undefined;
      r = await quantizeParallel(
        input,
        output,
        {
          format,
          doubleQuant: !!f.doubleQuant,
          ...(blocksize ? { blocksize } : {}),
          ...(f.groupSize ? { groupSize: intFlag('group-size', f.groupSize)! } : {}),
          sym: !f.asym,
          includeEmbeddings: !!f.includeEmbeddings,
        },
        workers,
        progress ? (d: number, t: number) => io.err(`\rquantizing ${d}/${t} tensors`) : undefined,
      );
    } catch (e) {
      asIssue(e, input);
    }
    if (progress) io.err('\r\x1b[K');
    if (json) io.out(JSON.stringify(r, null, 2) + '\n');
    else {
      const q = r.tensors.filter((t) => t.quantized);
      io.out(heading(`${r.input} → ${r.output} (${format}${f.doubleQuant ? ' + double quant' : ''})`) + '\n');
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
    }
    return 0;
  });
}

export async function compressCommand(input: string, output: string, f: { json?: boolean }, io: Io): Promise<ExitCode> {
  return guard(!!f.json, io, () => {
    let r;
    try {
      r = compressFile(input, output, !f.json && process.stderr.isTTY ? (d, t) => io.err(`\rcompressing ${d}/${t} tensors`) : undefined);
    } catch (e) {
      asIssue(e, input);
    }
    if (!f.json && process.stderr.isTTY) io.err('\r\x1b[K');
    if (f.json) io.out(JSON.stringify(r, null, 2) + '\n');
    else {
      io.out(heading(`${r.input} → ${r.output}: ${bytes(r.bytesIn)} → ${bytes(r.bytesOut)} (${r.ratio.toFixed(3)}x, lossless)`) + '\n');
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

export async function decompressCommand(input: string, output: string, f: { json?: boolean }, io: Io): Promise<ExitCode> {
  return guard(!!f.json, io, () => {
    let r;
    try {
      r = decompressFile(input, output);
    } catch (e) {
      asIssue(e, input);
    }
    io.out(f.json ? JSON.stringify(r) + '\n' : `${r.input} → ${r.output}: ${bytes(r.bytes)} restored\n`);
    return 0;
  });
}

export async function mixedCommand(input: string, output: string, f: { json?: boolean; budget?: string; formats?: string }, io: Io): Promise<ExitCode> {
  return guard(!!f.json, io, () => {
    const budget = f.budget === undefined ? null : parseBytes(f.budget);
    if (budget === null || budget <= 0)
      throw new ScenarioError([
        { code: 'invalid_value', path: ['--budget'], message: `--budget needs a size such as 40GB or 1.5GiB, got '${f.budget ?? ''}'` },
      ]);
    const formats = (f.formats ?? DEFAULT_CANDIDATES.join(',')).split(',').map((s) => s.trim()) as MixedFormat[];
    for (const x of formats)
      if (x !== 'keep' && !QUANT_FORMATS.includes(x))
        throw new ScenarioError([{ code: 'invalid_value', path: ['--formats'], message: `unknown format '${x}': keep or one of ${QUANT_FORMATS.join(', ')}` }]);
    let r;
    try {
      r = mixedPrecision(input, output, budget, formats, !f.json && process.stderr.isTTY ? (d, t) => io.err(`\rmeasuring ${d}/${t} tensors`) : undefined);
    } catch (e) {
      if (e instanceof BudgetError) throw new ScenarioError([{ code: 'too_small', path: ['--budget'], message: e.message }]);
      asIssue(e, input);
    }
    if (!f.json && process.stderr.isTTY) io.err('\r\x1b[K');
    if (f.json) io.out(JSON.stringify(r, null, 2) + '\n');
    else {
      io.out(
        heading(
          `${r.input} → ${r.output}: ${bytes(r.bytesIn)} → ${bytes(r.bytesOut)} within ${bytes(r.budgetBytes)} (${r.exact ? 'exact' : 'Lagrangian + greedy'} allocation)`,
        ) + '\n',
      );
      io.out(
        table(
          ['tensor', 'format', 'bytes', 'relative RMSE'],
          r.tensors.slice(0, 30).map((t) => [t.name, t.format, bytes(t.bytes), t.relativeRmse.toFixed(5)]),
          { align: ['left', 'left', 'right', 'right'] },
        ) + '\n',
      );
    }
    return 0;
  });
}
