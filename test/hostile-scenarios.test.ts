import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '../src/cli/main.js';

/**
 * The hostile-scenario corpus (test/fixtures/hostile-scenarios, expected.json): typos, wrong types,
 * parser limits, unknown and non-transformer families, conflicts. Every case must exit 2 with the
 * contract's error object and an issue that names the field.
 */
const dir = fileURLToPath(new URL('./fixtures/hostile-scenarios/', import.meta.url));
const cases = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
  file: string;
  command: string;
  code: string;
  path: (string | number)[];
  message: string;
}[];

async function runJson(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (s) => void out.push(s), err: (s) => void err.push(s), readStdin: () => '' });
  return { code, out: out.join(''), err: err.join('') };
}

describe('hostile scenarios', () => {
  it('the corpus covers typos, types, limits, families and conflicts', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.code))).toEqual(
      new Set([
        'unrecognized_key',
        'invalid_type',
        'too_small',
        'invalid_value',
        'missing_key',
        'unknown_id',
        'unsupported_architecture',
        'conflict',
        'unsupported',
        'not_divisible',
        'parse_error',
        'limit_exceeded',
      ]),
    );
  });

  it.each(cases)('$file: exit 2, $code at $path', async (c) => {
    const r = await runJson([c.command, join(dir, c.file), '--json']);
    expect(r.code).toBe(2);
    const issues = JSON.parse(r.out).error.issues as { code: string; path: (string | number)[]; message: string }[];
    const hit = issues.find((i) => i.code === c.code && JSON.stringify(i.path) === JSON.stringify(c.path));
    expect(hit, JSON.stringify(issues)).toBeDefined();
    expect(hit!.message).toContain(c.message);
    // no stack traces, no raw file contents beyond the offending value
    expect(r.out + r.err).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('a scenario over the 1 MiB limit is refused before it is parsed', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'sinan-big-')), 'big.yaml');
    writeFileSync(f, 'kind: training\n# ' + 'x'.repeat(2 * 1024 * 1024) + '\n');
    const r = await runJson(['train', f, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error.issues[0]).toMatchObject({ code: 'limit_exceeded', limit: 1024 * 1024, unit: 'bytes' });
  });

  it('flag values are checked like scenario values', async () => {
    const f = join(dir, '..', '..', '..', 'examples', 'llama3.1-405b-h100.yaml');
    for (const [args, code, path] of [
      [['--alternatives', 'abc'], 'invalid_type', ['--alternatives']],
      [['--zero', '5'], 'invalid_value', ['--zero']],
      [['--gpus', '0'], 'too_small', ['--gpus']],
      [['--precision', 'fp4'], 'invalid_value', ['training', 'precision']],
      [['--recompute', 'some'], 'invalid_value', ['training', 'recompute']],
    ] as [string[], string, string[]][]) {
      const r = await runJson(['train', f, '--json', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(JSON.parse(r.out).error.issues[0]).toMatchObject({ code, path });
    }
  });
});
