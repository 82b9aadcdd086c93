/**
 * Errors as data. Every problem with user input is an Issue: a discriminated union on `code`
 * with a path into the input and the payload that code needs. Detection builds the data;
 * the wording comes from ./messages.ts, attached once when the issue is made, so the library,
 * the CLI and the HTTP API all return the same objects.
 */
import { describeIssue } from './messages.js';

import type { IssueBody, IssueData, Path } from './issue-types.js';

export type { IssueBody, IssueCode, IssueData, Path } from './issue-types.js';

/** An issue with its English wording. */
export type Issue = IssueData & { message: string };

/** Makes an issue: the data plus the wording from messages.ts. */
export function mkIssue(d: IssueData): Issue {
  return { ...d, message: describeIssue(d) };
}

/**
 * Carries issues from where they are detected to the library's entry points, which return
 * them as data (a Result); it is not thrown across the public API.
 */
export class IssueError extends Error {
  readonly issues: Issue[];
  constructor(issues: Issue[]) {
    super(issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('\n'));
    this.name = 'IssueError';
    this.issues = issues;
  }
}

/** Throws an IssueError when there are issues. */
export function raise(issues: Issue[]): void {
  if (issues.length > 0) throw new IssueError(issues);
}

/** Throws one issue. */
export function fail(d: IssueData): never {
  throw new IssueError([mkIssue(d)]);
}

export function formatPath(path: Path): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : p))
    .join('.')
    .replace(/\.\[/g, '[');
}

/** What a library entry point returns: a value, or the issues that prevented it. */
export type Result<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

/** Runs `f`, turning IssueErrors into a failed Result; other errors are bugs and propagate. */
export function attempt<T>(f: () => T): Result<T> {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (e instanceof IssueError) return { ok: false, issues: e.issues };
    throw e;
  }
}

/** The value of a Result, or an IssueError with its issues (for shells that want exceptions). */
export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw new IssueError(r.issues);
}

/** The type name of a value as a user would say it: 'a string', 'NaN', 'an integer'... */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'infinity' : '-infinity';
    return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  }
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'boolean') return `${v}`;
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

/** Places a finding at a path. */
export function at(path: Path, body: IssueBody): Issue {
  return mkIssue({ ...body, path } as IssueData);
}
