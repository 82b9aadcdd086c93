import pc from 'picocolors';
import { formatPath, ScenarioError, type Issue } from '../util/issues.js';

/** What every command returns to main: an exit status. */
export type ExitCode = 0 | 1 | 2;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  readStdin: () => string;
}

/** Renders scenario issues (exit 2): as the contract's JSON error object, or as text on stderr. */
export function reportIssues(issues: Issue[], json: boolean, io: Io): ExitCode {
  if (json) {
    io.out(JSON.stringify({ error: { issues } }, null, 2) + '\n');
  } else {
    io.err(pc.red(pc.bold(`sinan: ${issues.length === 1 ? 'a problem' : `${issues.length} problems`} with the input\n`)));
    for (const i of issues) io.err(`  ${pc.yellow(formatPath(i.path))} ${pc.dim(`[${i.code}]`)} ${i.message}\n`);
  }
  return 2;
}

/** Runs a command body, turning user mistakes into exit 2 and bugs into exit 1 with a message. */
export async function guard(json: boolean, io: Io, body: () => Promise<ExitCode> | ExitCode): Promise<ExitCode> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof ScenarioError) return reportIssues(e.issues, json, io);
    const msg = e instanceof Error ? e.message : String(e);
    io.err(pc.red(`sinan: internal error: ${msg}\n`));
    if (process.env.SINAN_DEBUG && e instanceof Error && e.stack) io.err(e.stack + '\n');
    return 1;
  }
}

/** Parses a positive integer flag value or raises a ScenarioError naming the flag. */
export function intFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new ScenarioError([{ code: 'invalid_value', path: [`--${name}`], message: `--${name} must be a positive integer, got '${v}'` }]);
  return n;
}

export function numFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new ScenarioError([{ code: 'invalid_value', path: [`--${name}`], message: `--${name} must be a positive number, got '${v}'` }]);
  return n;
}
