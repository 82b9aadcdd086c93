import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { PlanContext } from '../context/types.js';
import { nodeFiles } from '../context/node-files.js';
import { IssueError, mkIssue, type Issue } from '../core/issues.js';
import { normalizeInference } from '../scenario/inference.js';
import { readScenario, type RawScenario } from '../scenario/load.js';
import { normalizeTraining } from '../scenario/training.js';
import { parseCsv } from '../util/csv.js';
import { sourceGroup } from './corpus.js';
import { inferenceProbe, trainingProbe, type Probe } from '../calibrate/probe.js';

/**
 * Reads a user's measured runs: a folder in the corpus format (an index `training.csv` or
 * `inference.csv` with columns id, file, metric, measured_value, and optionally group or source,
 * naming scenario files beside it), or one JSON-lines file with one run per line:
 * `{ "id"?, "group"?, "metric", "measured", "scenario": { ...scenario... } }`. Every run becomes a
 * probe; a run the planner cannot express is an issue naming its line or id.
 */

export interface RunInput {
  id: string;
  group: string;
  metric: string;
  measured: number;
  raw: RawScenario;
}

function kindOf(raw: RawScenario): 'training' | 'inference' | null {
  const k = raw.data['kind'];
  return k === 'training' || k === 'inference' ? k : null;
}

export function readRuns(input: string, kind: 'training' | 'inference' | undefined): { runs: RunInput[]; kind: 'training' | 'inference' } {
  const path = resolve(input);
  if (!existsSync(path)) throw new IssueError([mkIssue({ code: 'io_error', path: [input], file: input, reason: 'no such file or folder' })]);
  const runs: RunInput[] = [];
  if (statSync(path).isDirectory()) {
    const kinds = (['training', 'inference'] as const).filter((k) => existsSync(join(path, `${k}.csv`)));
    const k = kind ?? (kinds.length === 1 ? kinds[0]! : undefined);
    if (!k || !kinds.includes(k))
      throw new IssueError([
        mkIssue({
          code: 'invalid_value',
          path: ['--kind'],
          value: kind ?? null,
          allowed: kinds,
          reason: kinds.length
            ? `${input} holds ${kinds.map((x) => `${x}.csv`).join(' and ')}: name the kind`
            : `${input} has no training.csv or inference.csv index`,
        }),
      ]);
    const rows = parseCsv(readFileSync(join(path, `${k}.csv`), 'utf8'));
    const head = rows[0] ?? [];
    const col = (n: string) => head.indexOf(n);
    for (const need of ['id', 'file', 'metric', 'measured_value'])
      if (col(need) < 0)
        throw new IssueError([mkIssue({ code: 'invalid_value', path: [`${k}.csv`], value: head.join(','), reason: `the index has no '${need}' column` })]);
    for (const r of rows.slice(1)) {
      if (r.length <= 1 && !(r[0] ?? '').trim()) continue;
      const id = r[col('id')] ?? '';
      const measured = Number(r[col('measured_value')]);
      if (!(measured > 0))
        throw new IssueError([
          mkIssue({
            code: 'invalid_value',
            path: [`${k}.csv`, id, 'measured_value'],
            value: r[col('measured_value')],
            reason: 'a measurement must be a positive number',
          }),
        ]);
      const source = col('source') >= 0 ? (r[col('source')] ?? '') : '';
      const group =
        col('group') >= 0 && r[col('group')] ? r[col('group')]! : source ? sourceGroup({ id, file: '', metric: '', measured, source, notes: '' }) : 'runs';
      runs.push({ id, group, metric: r[col('metric')] ?? '', measured, raw: readScenario(join(path, r[col('file')] ?? '')) });
    }
    return { runs, kind: k };
  }
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let o: { id?: unknown; group?: unknown; metric?: unknown; measured?: unknown; scenario?: unknown };
    try {
      o = JSON.parse(line) as typeof o;
    } catch (e) {
      throw new IssueError([mkIssue({ code: 'parse_error', path: [`line ${i + 1}`], source: input, detail: (e as Error).message, line: i + 1 })]);
    }
    const at = (k: string): Issue['path'] => [`line ${i + 1}`, k];
    if (typeof o.metric !== 'string')
      throw new IssueError([mkIssue({ code: 'invalid_type', path: at('metric'), expected: 'a string', received: typeof o.metric })]);
    if (typeof o.measured !== 'number' || !(o.measured > 0))
      throw new IssueError([mkIssue({ code: 'invalid_value', path: at('measured'), value: o.measured, reason: 'a measurement must be a positive number' })]);
    if (typeof o.scenario !== 'object' || o.scenario === null)
      throw new IssueError([mkIssue({ code: 'invalid_type', path: at('scenario'), expected: 'a scenario object', received: typeof o.scenario })]);
    runs.push({
      id: typeof o.id === 'string' ? o.id : `line ${i + 1}`,
      group: typeof o.group === 'string' ? o.group : 'runs',
      metric: o.metric,
      measured: o.measured,
      raw: { data: o.scenario as Record<string, unknown>, baseDir: dirname(path), source: `${input}:${i + 1}` },
    });
  });
  const kinds = [...new Set(runs.map((r) => kindOf(r.raw)))];
  const k = kind ?? (kinds.length === 1 && kinds[0] ? kinds[0] : undefined);
  if (!k)
    throw new IssueError([
      mkIssue({
        code: 'invalid_value',
        path: ['--kind'],
        value: null,
        allowed: ['training', 'inference'],
        reason: `${input} mixes or omits scenario kinds: name the kind`,
      }),
    ]);
  return { runs: runs.filter((r) => kindOf(r.raw) === k), kind: k };
}

/** The runs as probes on this context (the built-in calibration unless the context says otherwise). */
export function runProbes(runs: RunInput[], kind: 'training' | 'inference', ctx: PlanContext): Probe[] {
  const issues: Issue[] = [];
  const probes: Probe[] = [];
  for (const r of runs) {
    try {
      const p =
        kind === 'training'
          ? trainingProbe(r.id, r.group, r.metric, r.measured, normalizeTraining(r.raw, ctx, nodeFiles))
          : inferenceProbe(r.id, r.group, r.metric, r.measured, normalizeInference(r.raw, ctx, nodeFiles));
      p.replan(ctx.calibration);
      if (p.predict(ctx.calibration) === null)
        issues.push(mkIssue({ code: 'invalid_value', path: [r.id, 'metric'], value: r.metric, reason: `the ${kind} report has no number at '${r.metric}'` }));
      else probes.push(p);
    } catch (e) {
      if (!(e instanceof IssueError)) throw e;
      issues.push(...e.issues.map((i) => ({ ...i, path: [r.id, ...i.path] })));
    }
  }
  if (issues.length) throw new IssueError(issues);
  return probes;
}
