import { availableParallelism } from 'node:os';
import { pc } from './style.js';
import { defaultContext } from '../context/load.js';
import type { PlanContext } from '../context/types.js';
import { formatPath, IssueError, mkIssue, type Issue } from '../core/issues.js';
import type { Warning } from '../core/warnings.js';
import { escapeControls } from '../util/terminal-text.js';

/** What every command returns to main: an exit status. */
export type ExitCode = 0 | 1 | 2;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  readStdin: () => string;
  /** Terminal width for tables (undefined: not a terminal, no limit). */
  columns?: number | undefined;
  /** Whether to style the text with terminal colours (default off: a pipe, a file, a test). */
  color?: boolean | undefined;
}

/** The built-in planning context (catalogs, calibration, profiles), loaded once. */
export function context(): PlanContext {
  return defaultContext();
}

/** Renders issues (exit 2): as the contract's JSON error object, or as text on stderr (control characters escaped: a message may quote a name from a file). */
export function reportIssues(issues: Issue[], json: boolean, io: Io): ExitCode {
  if (json) {
    io.out(JSON.stringify({ error: { issues } }, null, 2) + '\n');
  } else {
    io.err(pc.red(pc.bold(`sinan: ${issues.length === 1 ? 'a problem' : `${issues.length} problems`} with the input\n`)));
    for (const i of issues) io.err(`  ${pc.yellow(escapeControls(formatPath(i.path)))} ${pc.dim(`[${i.code}]`)} ${escapeControls(i.message)}\n`);
  }
  return 2;
}

/** Prints warnings on stderr, control characters escaped (the JSON output carries them in its `warnings` list). */
export function printWarnings(ws: readonly Warning[], io: Io): void {
  for (const w of ws) io.err(pc.yellow(escapeControls(`warning [${w.code}]${w.path ? ` ${formatPath(w.path)}` : ''}: ${w.message}`) + '\n'));
}

/** Runs a command body, turning user mistakes into exit 2 and bugs into exit 1 with a message (the error object with --json). */
export async function guard(json: boolean, io: Io, body: () => Promise<ExitCode> | ExitCode): Promise<ExitCode> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof IssueError) return reportIssues(e.issues, json, io);
    const msg = e instanceof Error ? e.message : String(e);
    if (json) io.out(JSON.stringify({ error: { issues: [mkIssue({ code: 'internal_error', path: [], detail: msg })] } }, null, 2) + '\n');
    io.err(pc.red(`sinan: internal error (a bug; please report it): ${escapeControls(msg)}\n`));
    if (process.env.SINAN_DEBUG && e instanceof Error && e.stack) io.err(e.stack + '\n');
    return 1;
  }
}

/** Parses a positive integer flag value or raises an issue naming the flag. */
export function intFlag(name: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n))
    throw new IssueError([mkIssue({ code: 'invalid_type', path: [`--${name}`], expected: 'an integer', received: `'${v}'` })]);
  if (n < min) throw new IssueError([mkIssue({ code: 'too_small', path: [`--${name}`], minimum: min, inclusive: true, value: n, what: `--${name}` })]);
  return n;
}

/**
 * Parses --workers: a positive integer, at most the cores of this machine (os.availableParallelism()).
 * More threads than cores only add memory (each worker holds its buffers) and switching: a
 * 3.4 MB model quantized with --workers 1000 took 41.5 s at 8.9 GB peak.
 */
export function workersFlag(v: string | undefined, cores = availableParallelism()): number | undefined {
  const n = intFlag('workers', v);
  if (n !== undefined && n > cores)
    throw new IssueError([mkIssue({ code: 'limit_exceeded', path: ['--workers'], what: '--workers', limit: cores, unit: 'cores of this machine', value: n })]);
  return n;
}

/** Parses a positive number flag value or raises an issue naming the flag. */
export function numFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n))
    throw new IssueError([mkIssue({ code: 'invalid_type', path: [`--${name}`], expected: 'a number', received: `'${v}'` })]);
  if (n <= 0) throw new IssueError([mkIssue({ code: 'too_small', path: [`--${name}`], minimum: 0, inclusive: false, value: n, what: `--${name}` })]);
  return n;
}

/** Parses a flag whose value is one of a fixed list. */
export function choiceFlag<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v))
    throw new IssueError([mkIssue({ code: 'invalid_value', path: [`--${name}`], value: v, allowed, reason: `--${name} is not one of the accepted values` })]);
  return v as T;
}
