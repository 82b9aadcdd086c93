import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { pc } from './style.js';
import { calibrateRuns } from '../calibrate/user.js';
import { readRuns, runProbes } from '../validate/runs.js';
import { IssueError, mkIssue } from '../core/issues.js';
import { dataPath } from '../util/data.js';
import { writeFileAtomic } from '../util/files.js';
import { choiceFlag, context, guard, printWarnings, type ExitCode, type Io } from './common.js';
import { heading, styled, table } from './format.js';

export interface CalibrateFlags {
  json?: boolean;
  kind?: string;
  out?: string;
  name?: string;
  force?: boolean;
}

const fmt = (v: number) => (Math.abs(v) < 1e-2 && v !== 0 ? v.toExponential(3) : v.toPrecision(4));
const pctOf = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)}%` : '-');

/** `sinan calibrate INPUT --out FILE`: a calibration profile fitted to the user's measured runs. */
export async function calibrateCommand(input: string, f: CalibrateFlags, io: Io): Promise<ExitCode> {
  const json = !!f.json;
  return guard(json, io, () => {
    const kind = choiceFlag('kind', f.kind, ['training', 'inference'] as const);
    if (!f.out) throw new IssueError([mkIssue({ code: 'missing_key', path: ['--out'], key: '--out', hint: 'the profile file to write' })]);
    const out = resolve(f.out);
    // the built-in calibration and profiles are never changed
    const data = realpathSync(dataPath(''));
    const outDir = existsSync(dirname(out)) ? realpathSync(dirname(out)) : dirname(out);
    if (!relative(data, outDir).startsWith('..') && relative(data, outDir) !== outDir)
      throw new IssueError([
        mkIssue({ code: 'invalid_value', path: ['--out'], value: f.out, reason: "the profile may not be written into Sinan's built-in data folder" }),
      ]);
    // --force replaces an earlier profile, never the measured runs it is fitted to
    if (existsSync(out) && existsSync(input) && realpathSync(out) === realpathSync(input))
      throw new IssueError([
        mkIssue({ code: 'invalid_value', path: ['--out'], value: f.out, reason: 'it is the input file of measured runs: write the profile somewhere else' }),
      ]);
    if (existsSync(out) && !f.force)
      throw new IssueError([mkIssue({ code: 'invalid_value', path: ['--out'], value: f.out, reason: 'the file exists: give --force to replace it' })]);
    const ctx = context();
    const { runs, kind: k } = readRuns(input, kind);
    const probes = runProbes(runs, k, ctx);
    const name = f.name ?? basename(out).replace(/\.json$/, '');
    const r = calibrateRuns(probes, ctx.calibration, { name, kind: k, fittedTo: `${probes.length} measured ${k} runs from ${basename(resolve(input))}` });
    writeFileAtomic(out, JSON.stringify(r.profile, null, 2) + '\n');
    if (json) {
      io.out(
        JSON.stringify(
          {
            kind: 'calibration',
            file: out,
            profile: r.profile,
            before: r.before,
            after: r.after,
            crossValidated: r.crossValidated,
            rows: r.rows,
            warnings: r.warnings.map((m) => ({ code: 'calibration_fit', message: m })),
          },
          null,
          2,
        ) + '\n',
      );
      return 0;
    }
    io.out(heading(`Calibration from ${probes.length} ${k} runs (${input})`) + '\n');
    io.out(
      table(
        ['constant', 'built-in', 'fitted', 'runs it moves', 'what it is'],
        r.fit.params.map((p) => [p.key, fmt(p.start), p.identified ? fmt(p.value) : styled(pc.dim('not fitted')), p.rows, p.what]),
        { align: ['left', 'right', 'right', 'right', 'left'] },
      ) + '\n',
    );
    io.out(
      table(
        ['error', 'median', 'p90', 'runs'],
        [
          ['built-in calibration', pctOf(r.before.medianApe), pctOf(r.before.p90Ape), r.before.rows],
          ['fitted (in sample)', pctOf(r.after.medianApe), pctOf(r.after.p90Ape), r.after.rows],
          [
            `held out (${r.crossValidated.folds} folds by ${r.crossValidated.by})`,
            pctOf(r.crossValidated.medianApe),
            pctOf(r.crossValidated.p90Ape),
            r.crossValidated.rows,
          ],
        ],
        { align: ['left', 'right', 'right', 'right'] },
      ) + '\n',
    );
    printWarnings(
      r.warnings.map((m) => ({ code: 'calibration_fit' as const, message: m })),
      io,
    );
    // a scenario's paths are read from the scenario's own folder: the absolute path works from any of them
    io.out(`Wrote ${out}. A scenario uses it with: calibration: ${out}\n`);
    return 0;
  });
}
