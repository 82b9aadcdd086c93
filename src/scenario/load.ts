import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { IssueError, mkIssue, typeName, type Issue, type Path } from '../core/issues.js';
import { closest } from '../core/suggest.js';
import { readStdinText, readTextFile } from '../util/files.js';

/**
 * Reading scenario files: YAML or JSON from a path or standard input, within published limits,
 * and the translation of schema problems into Sinan's issues.
 */

/** Limits on scenario input (docs/scenarios.md). */
export const SCENARIO_LIMITS = {
  /** Bytes of one scenario file. */
  bytes: 1024 * 1024,
  /** Nesting depth of mappings and lists. */
  depth: 32,
  /** YAML aliases (each expands a node: bounded so an alias bomb cannot blow up). */
  aliases: 100,
} as const;

/** A scenario read but not yet validated: its raw object and the folder it lives in. */
export interface RawScenario {
  data: Record<string, unknown>;
  baseDir: string;
  source: string;
}

/** Reads YAML or JSON from a path or '-' (standard input). Throws IssueError on bad input. */
export function readScenario(pathOrDash: string, stdin?: () => string): RawScenario {
  let text: string;
  let baseDir: string;
  if (pathOrDash === '-') {
    try {
      text = stdin ? stdin() : readStdinText(SCENARIO_LIMITS.bytes);
    } catch {
      throw new IssueError([mkIssue({ code: 'limit_exceeded', path: [], what: 'standard input', limit: SCENARIO_LIMITS.bytes, unit: 'bytes' })]);
    }
    baseDir = process.cwd();
  } else {
    const file = resolve(pathOrDash);
    try {
      text = readTextFile(file, SCENARIO_LIMITS.bytes);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (e instanceof RangeError)
        throw new IssueError([mkIssue({ code: 'limit_exceeded', path: [], what: `scenario ${pathOrDash}`, limit: SCENARIO_LIMITS.bytes, unit: 'bytes' })]);
      const reason =
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EISDIR'
            ? 'is a folder, not a scenario file'
            : code === 'EACCES'
              ? 'permission denied'
              : `cannot be read (${code ?? 'error'})`;
      throw new IssueError([mkIssue({ code: 'io_error', path: [], file: pathOrDash, reason })]);
    }
    baseDir = dirname(file);
  }
  return { data: parseText(text, pathOrDash), baseDir, source: pathOrDash };
}

/** Deepest nesting of flow brackets in the text (a cheap guard before the parser recurses). */
function bracketDepth(text: string): number {
  let d = 0;
  let max = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#') while (i < text.length && text[i] !== '\n') i++;
    else if (c === '[' || c === '{') max = Math.max(max, ++d);
    else if (c === ']' || c === '}') d--;
  }
  return max;
}

function depthOf(v: unknown, limit: number, d = 0): number {
  if (typeof v !== 'object' || v === null) return d;
  if (d > limit) return d;
  let max = d + 1;
  for (const x of Object.values(v)) max = Math.max(max, depthOf(x, limit, d + 1));
  return max;
}

export function parseText(text: string, name: string): Record<string, unknown> {
  const lim = SCENARIO_LIMITS;
  const tooDeep = () => new IssueError([mkIssue({ code: 'limit_exceeded', path: [], what: `${name}: nesting depth`, limit: lim.depth, unit: 'levels' })]);
  if (text.length > lim.bytes) throw new IssueError([mkIssue({ code: 'limit_exceeded', path: [], what: name, limit: lim.bytes, unit: 'bytes' })]);
  if (bracketDepth(text) > lim.depth) throw tooDeep();
  let data: unknown;
  try {
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      throw new IssueError(
        doc.errors.slice(0, 5).map((e) =>
          mkIssue({
            code: 'parse_error',
            path: [],
            source: name,
            detail: e.message.split('\n')[0] ?? 'invalid YAML',
            ...(e.linePos?.[0] ? { line: e.linePos[0].line, column: e.linePos[0].col } : {}),
          }),
        ),
      );
    }
    data = doc.toJS({ maxAliasCount: lim.aliases });
  } catch (e) {
    if (e instanceof IssueError) throw e;
    if (e instanceof RangeError) throw tooDeep(); // the parser's own recursion ran out of stack
    if (e instanceof ReferenceError && /alias/i.test(e.message))
      throw new IssueError([mkIssue({ code: 'limit_exceeded', path: [], what: `${name}: YAML alias expansions`, limit: lim.aliases, unit: 'aliases' })]);
    throw new IssueError([mkIssue({ code: 'parse_error', path: [], source: name, detail: (e as Error).message.split('\n')[0] ?? 'unreadable' })]);
  }
  if (depthOf(data, lim.depth) > lim.depth) throw tooDeep();
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new IssueError([mkIssue({ code: 'invalid_type', path: [], expected: 'a mapping (kind, model, system, ...)', received: typeName(data) })]);
  }
  return data as Record<string, unknown>;
}

/** The schemas (union branches apart, optional unwrapped) that can apply at a path. */
function schemasAt(schema: z.ZodType, path: Path): z.ZodType[] {
  const step = (s: z.ZodType): z.ZodType[] => {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) return step(s.unwrap() as z.ZodType);
    if (s instanceof z.ZodUnion) return (s.options as z.ZodType[]).flatMap(step);
    return [s];
  };
  let candidates = step(schema);
  for (const k of path) {
    const next: z.ZodType[] = [];
    for (const c of candidates) if (c instanceof z.ZodObject && typeof k === 'string' && k in c.shape) next.push(...step(c.shape[k] as z.ZodType));
    candidates = next;
    if (!candidates.length) return [];
  }
  return candidates;
}

/** The keys a schema accepts at a path (for did-you-mean suggestions), or [] when unknown. */
export function keysAt(schema: z.ZodType, path: Path): string[] {
  const keys = new Set<string>();
  for (const c of schemasAt(schema, path)) if (c instanceof z.ZodObject) for (const k of Object.keys(c.shape)) keys.add(k);
  return [...keys];
}

/** Whether every schema at a path that takes a number takes only integers (so a wrong type says "an integer"). */
function integerAt(schema: z.ZodType, path: Path): boolean {
  const nums = schemasAt(schema, path).filter((c) => c instanceof z.ZodNumber);
  return nums.length > 0 && nums.every((c) => (c as z.ZodNumber).isInt);
}

function valueAt(data: unknown, path: Path): unknown {
  let cur: unknown = data;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

const EXPECTED: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

/** Converts zod's issues into Sinan's: unknown keys with suggestions, wrong types with what was found, missing sections once. */
export function zodIssues(err: z.ZodError, schema: z.ZodType, data: unknown, prefix: Path = []): Issue[] {
  const seen = new Set<string>();
  const out: Issue[] = [];
  for (const i of err.issues) {
    let zpath = i.path as Path;
    if (i.code === 'unrecognized_keys') {
      const allowed = keysAt(schema, zpath);
      for (const key of i.keys)
        out.push(mkIssue({ code: 'unrecognized_key', path: [...prefix, ...zpath, key], key, suggestion: closest(key, allowed), allowed }));
      continue;
    }
    // report a missing section once, not each of its required keys
    for (let n = 1; n < zpath.length; n++) {
      if (valueAt(data, zpath.slice(0, n)) === undefined) {
        zpath = zpath.slice(0, n);
        break;
      }
    }
    const value = valueAt(data, zpath);
    const path = [...prefix, ...zpath];
    const field = zpath.length ? String(zpath[zpath.length - 1]) : 'scenario';
    if (value === undefined && zpath.length > 0) {
      const key = path.join('.');
      if (!seen.has(key)) {
        seen.add(key);
        out.push(mkIssue({ code: 'missing_key', path, key: field }));
      }
      continue;
    }
    switch (i.code) {
      case 'invalid_type': {
        let exp = String((i as { expected?: string }).expected ?? 'another type');
        if (exp === 'number' && integerAt(schema, zpath)) exp = 'int';
        out.push(mkIssue({ code: 'invalid_type', path, expected: EXPECTED[exp] ?? exp, received: typeName(value) }));
        break;
      }
      case 'too_small':
      case 'too_big': {
        const lim = Number((i as { minimum?: number | bigint; maximum?: number | bigint }).minimum ?? (i as { maximum?: number | bigint }).maximum);
        const inclusive = (i as { inclusive?: boolean }).inclusive ?? true;
        const v = typeof value === 'number' ? value : NaN;
        out.push(
          i.code === 'too_small'
            ? mkIssue({ code: 'too_small', path, minimum: lim, inclusive, value: v, what: field })
            : mkIssue({ code: 'too_big', path, maximum: lim, inclusive, value: v, what: field }),
        );
        break;
      }
      case 'invalid_value': {
        const values = ((i as { values?: unknown[] }).values ?? []).map(String);
        const sug = typeof value === 'string' ? closest(value, values) : null;
        out.push(
          mkIssue({
            code: 'invalid_value',
            path,
            value,
            allowed: values,
            reason: `${field} must be one of the listed values${sug ? ` (did you mean '${sug}'?)` : ''}`,
          }),
        );
        break;
      }
      case 'invalid_union': {
        // the branch whose own problems are fewest names what was expected
        const branches = ((i as { errors?: z.core.$ZodIssue[][] }).errors ?? []).filter((b) => b.length);
        // a branch rejects the value's type only by an error at its own root (a missing key inside a mapping is deeper)
        const typeErrs = branches.map((b) => b[0]).filter((b) => b?.code === 'invalid_type' && b.path.length === 0) as { expected?: string }[];
        if (typeErrs.length === branches.length && branches.length > 0) {
          const exp = [...new Set(typeErrs.map((t) => EXPECTED[t.expected ?? ''] ?? t.expected ?? ''))].join(' or ');
          out.push(mkIssue({ code: 'invalid_type', path, expected: exp, received: typeName(value) }));
        } else {
          // the branch that accepted the value's type and failed deeper says what is wrong inside it
          const depth = (b: z.core.$ZodIssue[]) => (b[0]?.code === 'invalid_type' && b[0].path.length === 0 ? 1 : 0);
          const best = branches.sort((a, b) => depth(a) - depth(b) || a.length - b.length)[0] ?? [];
          const sub = new z.ZodError(best.map((b) => ({ ...b, path: [...zpath, ...b.path] }) as z.core.$ZodIssue));
          out.push(...zodIssues(sub, schema, data, prefix));
        }
        break;
      }
      default:
        out.push(mkIssue({ code: 'invalid_value', path, value, reason: `${field}: ${i.message}` }));
    }
  }
  return out;
}

/** Validates raw data against a schema, throwing Sinan's issues. */
export function parseWith<T>(schema: z.ZodType<T>, data: unknown): T {
  const r = schema.safeParse(data);
  if (!r.success) throw new IssueError(zodIssues(r.error, schema, data));
  return r.data;
}
