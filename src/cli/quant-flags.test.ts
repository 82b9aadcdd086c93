import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../test/ctx.js';
import { writeSafetensors } from '../checkpoint/safetensors.js';
import { f32ToBf16 } from '../quant/dtypes.js';
import { workersFlag } from './common.js';
import { run } from './main.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), `sinan-${p}-`));

/** A one-layer BF16 checkpoint (64x64 linear weight and a norm). */
function model(): string {
  const dir = tmp('flags-m');
  const data = new Uint8Array(2 * 64 * 64);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < 64 * 64; i++) dv.setUint16(2 * i, f32ToBf16(Math.sin(i) * 0.05), true);
  writeSafetensors(join(dir, 'model.safetensors'), [
    { name: 'layers.0.mlp.down_proj.weight', dtype: 'BF16', shape: [64, 64], data },
    { name: 'layers.0.norm.weight', dtype: 'BF16', shape: [64], data: data.subarray(0, 128) },
  ]);
  return dir;
}

async function cli(args: string[], stdin = '') {
  const c = captureIo(stdin);
  const code = await run(args, c.io);
  return { code, out: c.out(), err: c.err() };
}

describe('quantize refuses options the chosen --format does not use', () => {
  const src = model();
  // [options, the flag, the format, what the flag applies to]
  const cases: [string[], string, string, string][] = [
    [['--format', 'int4', '--blocksize', '32'], '--blocksize', 'int4', 'nf4 and fp4'],
    [['--format', 'nf4', '--group-size', '64'], '--group-size', 'nf4', 'int4 and int8'],
    [['--format', 'fp8', '--double-quant'], '--double-quant', 'fp8', 'nf4 and fp4'],
    [['--format', 'int8', '--double-quant'], '--double-quant', 'int8', 'nf4 and fp4'],
    [['--format', 'nf4', '--asym'], '--asym', 'nf4', 'int4 and int8'],
    [['--format', 'nf4', '--layout', 'compressed-tensors'], '--layout', 'nf4', 'int4 and int8'],
    [['--format', 'fp8', '--layout', 'compressed-tensors'], '--layout', 'fp8', 'int4 and int8'],
    [['--format', 'fp8-block', '--group-size', '64'], '--group-size', 'fp8-block', 'int4 and int8'],
    [['--format', 'fp8-channel', '--blocksize', '64'], '--blocksize', 'fp8-channel', 'nf4 and fp4'],
  ];
  it.each(cases)('%j: exit 2 naming the flag, the format and what it applies to', async (opts, flag, format, appliesTo) => {
    const r = await cli(['quantize', src, join(tmp('flags-o'), 'q'), ...opts, '--workers', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${flag} and --format ${format} conflict`);
    expect(r.err).toContain(`${flag} applies to --format ${appliesTo}`);
  });

  it('accepts each option with a format that uses it', async () => {
    for (const opts of [
      ['--format', 'nf4', '--blocksize', '32', '--double-quant'],
      ['--format', 'int4', '--group-size', '64', '--asym', '--layout', 'compressed-tensors'],
    ]) {
      const r = await cli(['quantize', src, join(tmp('flags-o'), 'q'), ...opts, '--workers', '1', '--json']);
      expect(r.code, r.out + r.err).toBe(0);
      expect(JSON.parse(r.out).quantizedParameters).toBe(64 * 64);
    }
  });

  it('--json: the conflict is the contract error object', async () => {
    const r = await cli(['quantize', src, join(tmp('flags-o'), 'q'), '--format', 'int4', '--blocksize', '32', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error.issues[0]).toMatchObject({ code: 'conflict', path: ['--blocksize'], keys: ['--blocksize', '--format int4'] });
  });

  it('mixed refuses --group-size when no candidate format has groups', async () => {
    const r = await cli(['mixed', src, join(tmp('flags-o'), 'x'), '--budget', '100kB', '--formats', 'keep,fp8', '--group-size', '64']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--group-size and --formats keep,fp8 conflict');
    expect(r.err).toContain('int4 and int8');
  });
});

describe('format names', () => {
  const src = model();
  it.each([
    [['quantize', '--format', 'NF4'], "did you mean 'nf4'", 'formats are lower case'],
    [['quantize', '--format', 'nf4-dq'], 'unknown format', 'use --format nf4 --double-quant'],
    [['quantize', '--format', 'fp4-dq'], 'unknown format', 'use --format fp4 --double-quant'],
    [['mixed', '--budget', '100kB', '--formats', 'keep,INT4'], "did you mean 'int4'", 'formats are lower case'],
  ])('%j is refused with what to type instead', async (args, a, b) => {
    const r = await cli([args[0]!, src, join(tmp('flags-o'), 'q'), ...args.slice(1)]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(a);
    expect(r.err).toContain(b);
  });
});

describe('--workers is at most the number of cores', () => {
  const cores = availableParallelism();
  const src = model();
  const inference =
    'kind: inference\nmodel: llama-3.1-8b\nsystem: { accelerator: nvidia-h100-sxm, count: 1 }\nworkload: { inputTokens: 512, outputTokens: 128, concurrency: 4 }\ngoal: { objective: throughput }\n';
  it.each([
    ['quantize', [src, join(tmp('w'), 'q')]],
    ['compress', [join(src, 'model.safetensors'), join(tmp('w'), 'z.safetensors')]],
    ['decompress', [join(src, 'model.safetensors'), join(tmp('w'), 'back.safetensors')]],
    ['mixed', [src, join(tmp('w'), 'mix'), '--budget', '100kB']],
    ['optimize', ['-']],
  ])('%s --workers cores+1: exit 2 giving the core count', async (command, args) => {
    const r = await cli([command, ...args, '--workers', String(cores + 1)], inference);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--workers exceeds the limit of ${cores} cores of this machine (found ${cores + 1})`);
  });

  it('takes every core, and no more, whatever the machine (2 on a 2-core one)', () => {
    expect(workersFlag('2', 2)).toBe(2);
    expect(workersFlag('1', 2)).toBe(1);
    expect(() => workersFlag('3', 2)).toThrow(/limit of 2 cores/);
    expect(() => workersFlag('1000', 16)).toThrow(/limit of 16 cores of this machine \(found 1,000\)/);
    expect(workersFlag(String(cores))).toBe(cores);
  });

  it('quantize runs with --workers at the core count (at most 2 here, to keep the test light)', async () => {
    const n = Math.min(2, cores);
    const r = await cli(['quantize', src, join(tmp('w'), 'q'), '--workers', String(n), '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).quantizedParameters).toBe(64 * 64);
  });
});
