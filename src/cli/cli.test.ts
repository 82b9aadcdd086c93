import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../test/ctx.js';
import { run } from './main.js';

const scenario = `kind: training
model: llama-3.1-8b
system: { accelerator: nvidia-h100-sxm, count: 8 }
training: { sequenceLength: 4096, globalBatchSize: 64, tokens: 1e9 }
`;

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sinan-'));
  const f = join(dir, 's.yaml');
  writeFileSync(f, text);
  return f;
}

describe('sinan train', () => {
  it('prints exactly one contract JSON object with --json', async () => {
    const c = captureIo();
    expect(await run(['train', file(scenario), '--json'], c.io)).toBe(0);
    const o = JSON.parse(c.out());
    expect(o.kind).toBe('training');
    for (const k of ['fits', 'parallelism', 'training', 'memory', 'step', 'throughput', 'flops', 'communication', 'run', 'alternatives'])
      expect(o).toHaveProperty(k);
    for (const k of ['tensor', 'pipeline', 'data', 'context', 'expert', 'virtualStages', 'sequenceParallel', 'zero']) expect(o.parallelism).toHaveProperty(k);
    for (const k of ['weights', 'gradients', 'optimizer', 'activations', 'other']) expect(typeof o.memory.breakdown[k]).toBe('number');
    for (const k of ['compute', 'exposedCommunication', 'pipelineBubble', 'other']) expect(typeof o.step.breakdown[k]).toBe('number');
    for (const k of ['tensorBytesPerStep', 'pipelineBytesPerStep', 'dataBytesPerStep', 'expertBytesPerStep']) expect(typeof o.communication[k]).toBe('number');
    expect(o.throughput.tokensPerSecondPerDevice * 8).toBeCloseTo(o.throughput.tokensPerSecond);
    expect(o.run.deviceHours).toBeGreaterThan(0);
    expect(o.alternatives.length).toBeGreaterThan(0);
    expect(o.alternatives[0]).not.toHaveProperty('alternatives');
  });

  it('reads the scenario from standard input and applies flag overrides', async () => {
    const c = captureIo(scenario);
    expect(await run(['train', '-', '--json', '--tp', '2', '--recompute', 'full', '--precision', 'bf16'], c.io)).toBe(0);
    const o = JSON.parse(c.out());
    expect(o.parallelism.tensor).toBe(2);
    expect(o.training.recompute).toBe('full');
    expect(o.searched).toBe(true);
  });

  it('evaluates a fully fixed plan without searching', async () => {
    const c = captureIo(scenario);
    const args = [
      'train',
      '-',
      '--json',
      '--tp',
      '1',
      '--pp',
      '1',
      '--dp',
      '8',
      '--cp',
      '1',
      '--ep',
      '1',
      '--vp',
      '1',
      '--no-sp',
      '--zero',
      '1',
      '--mbs',
      '1',
      '--recompute',
      'none',
      '--precision',
      'bf16',
    ];
    expect(await run(args, c.io)).toBe(0);
    expect(JSON.parse(c.out()).searched).toBe(false);
  });

  it('prints readable tables without --json', async () => {
    const c = captureIo();
    expect(await run(['train', file(scenario)], c.io)).toBe(0);
    expect(c.out()).toMatch(/Memory per device/);
    expect(c.out()).toMatch(/Step time/);
    expect(c.out()).toMatch(/Next best plans/);
  });

  it('exits 2 with the contract error object for a bad scenario', async () => {
    const c = captureIo(scenario.replace('nvidia-h100-sxm', 'nvidia-h99'));
    expect(await run(['train', '-', '--json'], c.io)).toBe(2);
    const o = JSON.parse(c.out());
    expect(o.error.issues[0]).toMatchObject({ code: 'unknown_id', path: ['system', 'accelerator'] });
  });

  it('exits 2 with a readable message and no stack trace for a missing file or bad flag', async () => {
    const c = captureIo();
    expect(await run(['train', '/nonexistent/x.yaml'], c.io)).toBe(2);
    expect(c.err()).toMatch(/no such file/);
    expect(c.err()).not.toMatch(/at .*\.js:\d+/);
    const d = captureIo(scenario);
    expect(await run(['train', '-', '--tp', 'two'], d.io)).toBe(2);
    expect(d.err()).toMatch(/--tp \[invalid_type\] expected an integer, found 'two'/);
    const e = captureIo();
    expect(await run(['train'], e.io)).toBe(2);
  });

  it('reports a split that does not divide the heads', async () => {
    const c = captureIo(scenario);
    expect(await run(['train', '-', '--json', '--tp', '3'], c.io)).toBe(2);
    expect(JSON.parse(c.out()).error.issues.map((i: { path: string[] }) => i.path.join('.'))).toContain('parallelism.tensor');
  });
});

describe('sinan models / hardware / calibration', () => {
  it('lists built-in models with parameter counts', async () => {
    const c = captureIo();
    expect(await run(['models', '--json'], c.io)).toBe(0);
    const rows = JSON.parse(c.out()) as { id: string; parameters: number }[];
    expect(rows.find((r) => r.id === 'llama-3.1-405b')!.parameters).toBe(405_853_388_800);
  });
  it('lists the catalog and rejects an unknown kind', async () => {
    const c = captureIo();
    expect(await run(['hardware', '--json', '--kind', 'switch'], c.io)).toBe(0);
    expect(JSON.parse(c.out()).every((r: { kind: string }) => r.kind === 'switch')).toBe(true);
    const d = captureIo();
    expect(await run(['hardware', '--kind', 'toaster'], d.io)).toBe(2);
  });
  it('lists calibration constants with sources', async () => {
    const c = captureIo();
    expect(await run(['calibration', '--json'], c.io)).toBe(0);
    for (const r of JSON.parse(c.out())) expect(r.source.length).toBeGreaterThan(10);
  });
});

describe('sinan cluster / goodput / sweep', () => {
  it('cluster --json answers the contract', async () => {
    const c = captureIo();
    const f = file(
      'kind: cluster\nsystem: { accelerator: nvidia-h100-sxm, count: 16384, perNode: 8 }\nnetwork: { nicsPerNode: 8, nicGbps: 400, planes: 2, switchGbps: 51200 }\npue: 1.25\n',
    );
    expect(await run(['cluster', f, '--json'], c.io)).toBe(0);
    const o = JSON.parse(c.out());
    expect(o.kind).toBe('cluster');
    expect(o.tiers).toBe(2);
    for (const k of ['maxAcceleratorsByTiers', 'switches', 'links', 'bisectionGbps', 'power']) expect(o).toHaveProperty(k);
    expect(o.power.pue).toBe(1.25);
  });

  it('cluster prints power in MW for a data hall and in kW for a node (never 0.0 MW)', async () => {
    const text = async (count: number) => {
      const c = captureIo();
      const f = file(`kind: cluster\nsystem: { accelerator: nvidia-h100-sxm, count: ${count}, perNode: 8 }\nnetwork: { nicsPerNode: 8, nicGbps: 400 }\n`);
      expect(await run(['cluster', f], c.io)).toBe(0);
      return c.out();
    };
    const small = await text(8);
    expect(small).toMatch(/kW/);
    expect(small).not.toMatch(/\b0\.0\b/);
    expect(await text(16384)).toMatch(/MW/);
  });

  it('goodput --json answers the contract', async () => {
    const c = captureIo();
    const f = file(
      'kind: goodput\nmodel: llama-3.1-8b\nsystem: { accelerator: nvidia-h100-sxm, count: 512, perNode: 8 }\ntraining: { sequenceLength: 8192, globalBatchSize: 512 }\nreliability: { days: 7, restartMinutes: 10, checkpoint: { writeGBps: 200, async: true }, trials: 200 }\n',
    );
    expect(await run(['goodput', f, '--json'], c.io)).toBe(0);
    const o = JSON.parse(c.out());
    expect(o.kind).toBe('goodput');
    for (const k of ['interruptions', 'checkpoint', 'lostSeconds', 'effectiveTrainingTime', 'monteCarlo']) expect(o).toHaveProperty(k);
    expect(o.monteCarlo.trials).toBe(200);
  });

  it('goodput warns when it assumes the checkpoints, and when the closed form and the simulation disagree', async () => {
    const base =
      'kind: goodput\nmodel: llama-3.1-8b\nsystem: { accelerator: nvidia-h100-sxm, count: 8 }\ntraining: { sequenceLength: 4096, globalBatchSize: 8 }\n';
    const warningsOf = async (rel: string) => {
      const c = captureIo();
      expect(await run(['goodput', file(base + rel), '--json'], c.io)).toBe(0);
      return (JSON.parse(c.out()).warnings as { path?: string[]; message: string }[]).filter((w) => w.path?.[0] === 'reliability');
    };
    expect((await warningsOf('reliability: { days: 10, trials: 300 }\n')).map((w) => w.path)).toEqual([['reliability', 'checkpoint']]);
    expect(await warningsOf('reliability: { days: 10, trials: 300, checkpoint: { writeGBps: 50 } }\n')).toEqual([]);
    // failures every few hours and no checkpoint in the run: the first-order closed form is off, and says so
    const off = await warningsOf(
      'reliability: { days: 2, trials: 2000, failuresPerDevicePerDay: 0.5, checkpoint: { writeGBps: 50, intervalMinutes: 100000 } }\n',
    );
    expect(off.map((w) => w.message).join()).toMatch(/disagree by more than .* trust the simulation/);
  });

  it('goodput rejects a negative failure rate with its path', async () => {
    const c = captureIo();
    const f = file(
      'kind: goodput\nmodel: llama-3.1-8b\nsystem: { accelerator: nvidia-h100-sxm, count: 8 }\ntraining: { sequenceLength: 4096, globalBatchSize: 8 }\nreliability: { days: 7, failuresPerDevicePerDay: -1 }\n',
    );
    expect(await run(['goodput', f, '--json'], c.io)).toBe(2);
    expect(JSON.parse(c.out()).error.issues[0].path).toEqual(['reliability', 'failuresPerDevicePerDay']);
  });

  it('sweep scaleup prints a table and rejects an unknown sweep', async () => {
    const c = captureIo();
    expect(await run(['sweep', 'scaleup', file(scenario), '--domains', '8,16'], c.io)).toBe(0);
    expect(c.out()).toMatch(/scale-up domain/);
    const d = captureIo();
    expect(await run(['sweep', 'sideways', file(scenario)], d.io)).toBe(2);
    const e = captureIo();
    expect(await run(['sweep', 'weak', file(scenario), '--counts', '8,x'], e.io)).toBe(2);
  });
});

describe('sinan serve', () => {
  const serving =
    'kind: inference\nmodel: llama-3.1-8b\nsystem: { accelerator: nvidia-h100-sxm, count: 2 }\nquantization: { weights: fp8, kvCache: fp8 }\nworkload: { inputTokens: 1024, outputTokens: 256, concurrency: 8 }\n';
  it('--json answers the contract', async () => {
    const c = captureIo();
    expect(await run(['serve', file(serving), '--json'], c.io)).toBe(0);
    const o = JSON.parse(c.out());
    expect(o.kind).toBe('inference');
    for (const k of ['fits', 'parallelism', 'quantization', 'memory', 'latency', 'throughput', 'breakdown']) expect(o).toHaveProperty(k);
    for (const k of ['weights', 'kvCache', 'activations', 'other']) expect(typeof o.memory.breakdown[k]).toBe('number');
    expect(typeof o.memory.maxConcurrency).toBe('number');
    for (const k of ['ttftSeconds', 'tpotSeconds', 'requestSeconds']) expect(o.latency[k]).toBeGreaterThan(0);
    expect(o.breakdown.decode.communicationShare).toBeGreaterThanOrEqual(0);
  });
  it('prints tables, searches the catalog, and rejects bad formats with exit 2', async () => {
    const c = captureIo();
    expect(await run(['serve', file(serving)], c.io)).toBe(0);
    expect(c.out()).toMatch(/Memory per device/);
    const s = captureIo();
    expect(
      await run(['serve', file(serving.replace('concurrency: 8', 'requestRate: 2') + 'slo: { ttftMs: 800, tpotMs: 60 }\n'), '--catalog', '--json'], s.io),
    ).toBe(0);
    expect(JSON.parse(s.out()).best).not.toBeNull();
    const e = captureIo();
    expect(await run(['serve', file(serving), '--weights', 'fp7'], e.io)).toBe(2);
    const v = captureIo();
    expect(await run(['validate', '--kind', 'inference', '--no-rows', '--json'], v.io)).toBe(0);
    expect(JSON.parse(v.out()).predicted).toBeGreaterThan(80);
  });
});

describe("commander's own errors", () => {
  it.each([
    [['quantize', 'in', 'out', '--fromat', 'nf4', '--json'], ['--fromat'], "unknown option '--fromat' (Did you mean --format?)"],
    [['mixed', 'in', 'out', '--json'], ['--budget'], "required option '--budget <size>' not specified"],
    [['quantize', 'in', '--json'], [], "missing required argument 'output'"],
    [['frob', '--json'], [], "unknown command 'frob'"],
  ])('%j with --json: the contract error object on stdout, nothing on stderr, exit 2', async (args, path, detail) => {
    const c = captureIo();
    expect(await run(args, c.io)).toBe(2);
    expect(c.err()).toBe('');
    const issue = JSON.parse(c.out()).error.issues[0];
    expect(issue).toMatchObject({ code: 'parse_error', path, source: 'command line', detail });
    expect(issue.message).toBe(`command line: ${detail}`);
  });

  it("without --json: commander's text and the usage hint on stderr", async () => {
    const c = captureIo();
    expect(await run(['quantize', 'in', 'out', '--fromat', 'nf4'], c.io)).toBe(2);
    expect(c.out()).toBe('');
    expect(c.err()).toContain("error: unknown option '--fromat'");
    expect(c.err()).toContain('(run sinan --help for usage)');
  });
});

describe('sinan inspect / quantize / compress / mixed', () => {
  async function model(): Promise<string> {
    const { mkdtempSync } = await import('node:fs');
    const { writeSafetensors } = await import('../checkpoint/safetensors.js');
    const { f32ToBf16 } = await import('../quant/dtypes.js');
    const dir = mkdtempSync(join(tmpdir(), 'sinan-cli-q-'));
    const data = new Uint8Array(2 * 64 * 64);
    for (let i = 0; i < 64 * 64; i++) {
      const v = f32ToBf16(Math.sin(i) * 0.05);
      data[2 * i] = v & 0xff;
      data[2 * i + 1] = v >>> 8;
    }
    writeSafetensors(join(dir, 'model.safetensors'), [
      { name: 'layers.0.mlp.down_proj.weight', dtype: 'BF16', shape: [64, 64], data },
      { name: 'layers.0.norm.weight', dtype: 'BF16', shape: [64], data: data.subarray(0, 128) },
    ]);
    return dir;
  }

  it('inspects, quantizes, compresses, decompresses and mixes from the command line', async () => {
    const dir = await model();
    const work = mkdtempSync(join(tmpdir(), 'sinan-cli-w-'));
    const a = captureIo();
    expect(await run(['inspect', dir, '--json'], a.io)).toBe(0);
    expect(JSON.parse(a.out()).parameters).toBe(64 * 64 + 64);
    const b = captureIo();
    expect(await run(['quantize', dir, join(work, 'q'), '--format', 'nf4', '--double-quant', '--json'], b.io)).toBe(0);
    expect(JSON.parse(b.out()).quantizedParameters).toBe(64 * 64);
    const c = captureIo();
    expect(await run(['compress', join(dir, 'model.safetensors'), join(work, 'z.safetensors'), '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out()).ratio).toBeGreaterThan(1);
    const d = captureIo();
    expect(await run(['decompress', join(work, 'z.safetensors'), join(work, 'back.safetensors')], d.io)).toBe(0);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(work, 'back.safetensors')).equals(readFileSync(join(dir, 'model.safetensors')))).toBe(true);
    const e = captureIo();
    expect(await run(['mixed', dir, join(work, 'mix'), '--budget', '6kB', '--json'], e.io)).toBe(0);
    expect(JSON.parse(e.out()).bytesOut).toBeLessThanOrEqual(6000);
  });

  it('rejects hostile files and bad options with exit 2 and no stack trace', async () => {
    const dir = await model();
    const bad = join(mkdtempSync(join(tmpdir(), 'sinan-cli-bad-')), 'bad.safetensors');
    writeFileSync(bad, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3]));
    const a = captureIo();
    expect(await run(['inspect', bad], a.io)).toBe(2);
    expect(a.err()).toMatch(/not a safetensors file: its first 8 bytes give a header length of 9223372036854775807 bytes but the file has only 11 bytes/);
    expect(a.err()).not.toMatch(/at .*\.js:\d+/);
    const b = captureIo();
    expect(await run(['quantize', dir, join(dir, 'x'), '--format', 'nf3'], b.io)).toBe(2);
    const c = captureIo();
    expect(await run(['mixed', dir, join(dir, 'x'), '--budget', '10'], c.io)).toBe(2);
    expect(c.err()).toMatch(/below the smallest/);
    const d = captureIo();
    expect(await run(['inspect', join(dir, 'nope')], d.io)).toBe(2);
  });
});

describe('the terminal: width, closed pipes, editor schema', () => {
  // eslint-disable-next-line no-control-regex
  const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
  const widest = (s: string) =>
    Math.max(
      ...plain(s)
        .split('\n')
        .map((l) => [...l].length),
    );

  it.each([60, 80, 120])('every line fits a %i-column terminal (tables narrowed, prose wrapped)', async (columns) => {
    const serving =
      'kind: inference\nmodel: llama-3.1-8b\nsystem: { accelerator: nvidia-h100-sxm, count: 2 }\nworkload: { inputTokens: 1024, outputTokens: 256, concurrency: 8 }\n';
    const commands = [
      ['train', file(scenario)],
      ['serve', file(serving)],
      ['calibration'],
      ['hardware', '--kind', 'accelerator'],
      ['models'],
      ['--help'],
      ['train', '--help'],
    ];
    for (const argv of commands) {
      const c = captureIo();
      expect(await run(argv, { ...c.io, columns })).toBe(0);
      const lines = plain(c.out() + c.err()).split('\n');
      expect(lines.length, argv.join(' ')).toBeGreaterThan(3);
      // a single word longer than the line (a path, a JSON value) may stay whole
      const over = lines.filter((l) => [...l].length > columns && / /.test(l.trim()));
      expect(over, argv.join(' ')).toEqual([]);
    }
    // and without a width (a file, a pipe) the same output is not wrapped
    const c = captureIo();
    await run(['calibration'], c.io);
    expect(widest(c.out())).toBeGreaterThan(200);
  });

  it('--json ignores the terminal width', async () => {
    const a = captureIo();
    const b = captureIo();
    await run(['train', file(scenario), '--json'], { ...a.io, columns: 40 });
    await run(['train', file(scenario), '--json'], { ...b.io, columns: undefined });
    expect(a.out()).toBe(b.out());
  });

  it('a pipe closed early (sinan hardware | head, also with 2>&1) ends quietly with status 0', async () => {
    const { spawn } = await import('node:child_process');
    const root = join(import.meta.dirname, '..', '..');
    // the process entry point that bin/sinan.js runs, from the sources; the reader goes away before
    // the output is written (head after its lines), so every write meets a closed pipe
    const closed = async (alsoStderr: boolean) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/entry.ts'), 'hardware'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let err = '';
      if (alsoStderr) child.stderr.destroy();
      else child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return { status, err };
    };
    const a = await closed(false);
    expect(a.err).not.toMatch(/EPIPE|Error|at .*:\d+:\d+/);
    expect(a.status).toBe(0);
    expect((await closed(true)).status).toBe(0);
  }, 60_000);

  it('sinan schema prints a JSON Schema of every scenario kind, closed to unknown keys', async () => {
    const c = captureIo();
    expect(await run(['schema'], c.io)).toBe(0);
    const s = JSON.parse(c.out());
    expect(s.$schema).toMatch(/json-schema\.org/);
    const kinds = (s.anyOf as { properties: { kind: { const: string } }; additionalProperties: unknown }[]).map((k) => k.properties.kind.const);
    expect(kinds.sort()).toEqual(['cluster', 'goodput', 'inference', 'training']);
    for (const k of s.anyOf) expect(k.additionalProperties).toBe(false);
  });
});

describe('sinan calibrate', () => {
  const runs = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinan-calib-'));
    const lines = [4096, 8192, 2048].map((seq, i) =>
      JSON.stringify({
        id: `run${i}`,
        metric: 'throughput.tokensPerSecondPerDevice',
        measured: 9000 - 1000 * i,
        scenario: {
          kind: 'training',
          model: 'llama-3.1-8b',
          system: { accelerator: 'nvidia-h100-sxm', count: 8 },
          training: { sequenceLength: seq, globalBatchSize: 64 },
        },
      }),
    );
    writeFileSync(join(dir, 'runs.jsonl'), lines.join('\n') + '\n');
    return dir;
  };

  it('writes a profile from measured runs and says how to use it', async () => {
    const dir = runs();
    const c = captureIo();
    expect(await run(['calibrate', join(dir, 'runs.jsonl'), '--out', join(dir, 'mine.json'), '--json'], c.io)).toBe(0);
    const o = JSON.parse(c.out());
    expect(o.kind).toBe('calibration');
    expect(o.profile.kind).toBe('sinan-calibration');
    expect(o.rows).toHaveLength(3);
    // three hopper runs identify the hopper constants; nothing else is touched
    expect(Object.keys(o.profile.efficiency ?? {})).toEqual(['hopper']);
    expect(o.profile.fit.params.find((p: { key: string }) => p.key === 'efficiency.hopper.gemm').identified).toBe(true);
    const { readFileSync } = await import('node:fs');
    expect(JSON.parse(readFileSync(join(dir, 'mine.json'), 'utf8')).fit.rows).toHaveLength(3);
  }, 60_000);

  it('refuses a missing --out, an existing file without --force, the input itself, and the built-in data folder', async () => {
    const dir = runs();
    const a = captureIo();
    expect(await run(['calibrate', join(dir, 'runs.jsonl')], a.io)).toBe(2);
    writeFileSync(join(dir, 'exists.json'), '{}');
    const b = captureIo();
    expect(await run(['calibrate', join(dir, 'runs.jsonl'), '--out', join(dir, 'exists.json')], b.io)).toBe(2);
    expect(b.err()).toMatch(/--force/);
    const c = captureIo();
    expect(await run(['calibrate', join(dir, 'runs.jsonl'), '--out', join(import.meta.dirname, '..', '..', 'data', 'mine.json')], c.io)).toBe(2);
    expect(c.err()).toMatch(/built-in data folder/);
    // --force replaces an old profile, never the runs being fitted (the file is left as it was)
    const before = readFileSync(join(dir, 'runs.jsonl'), 'utf8');
    const e = captureIo();
    expect(await run(['calibrate', join(dir, 'runs.jsonl'), '--out', join(dir, 'runs.jsonl'), '--force'], e.io)).toBe(2);
    expect(e.err()).toMatch(/input file of measured runs/);
    expect(readFileSync(join(dir, 'runs.jsonl'), 'utf8')).toBe(before);
    const d = captureIo();
    writeFileSync(join(dir, 'bad.jsonl'), '{"metric": "x", "measured": -1, "scenario": {}}\n');
    expect(await run(['calibrate', join(dir, 'bad.jsonl'), '--out', join(dir, 'x.json')], d.io)).toBe(2);
    expect(d.err()).toMatch(/line 1/);
  }, 60_000);
});

describe('the package', () => {
  it('ships every repository file the help and the README point users to', async () => {
    const { readFileSync } = await import('node:fs');
    const files = (JSON.parse(readFileSync('package.json', 'utf8')) as { files: string[] }).files;
    const c = captureIo();
    await run(['node', 'sinan', '--help'], c.io);
    const readme = readFileSync('README.md', 'utf8');
    // paths of shipped kinds named in the help text and the README (docs/..., examples/..., data/...)
    const named = new Set([...`${c.out()}\n${readme}`.matchAll(/\b((?:docs|examples|data)\/[\w./-]+\.(?:md|ya?ml|json|csv))\b/g)].map((m) => m[1]!));
    expect(named.has('docs/scenarios.md')).toBe(true);
    for (const p of named) expect(files, `${p} is named but its folder is not in package.json "files"`).toContain(p.split('/')[0]);
  });
});
