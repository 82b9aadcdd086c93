import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { readStdinText, readTextFile } from '../util/files.js';
import { issue, ScenarioError, type Issue, type Path } from '../util/issues.js';

/** A scenario file read but not yet validated: its raw object and the folder it lives in. */
export interface RawScenario {
  data: Record<string, unknown>;
  baseDir: string;
  source: string;
}

/** Reads YAML or JSON from a path or '-' (standard input). Throws ScenarioError on bad input. */
export function readScenario(pathOrDash: string, stdin?: () => string): RawScenario {
  let text: string;
  let baseDir: string;
  if (pathOrDash === '-') {
    text = stdin ? stdin() : readStdinText();
    baseDir = process.cwd();
  } else {
    const file = resolve(pathOrDash);
    try {
      text = readTextFile(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const msg =
        code === 'ENOENT'
          ? `scenario file not found: ${pathOrDash}`
          : code === 'EISDIR'
            ? `${pathOrDash} is a folder, not a scenario file`
            : `cannot read scenario ${pathOrDash}: ${(e as Error).message}`;
      throw new ScenarioError([issue('io_error', [], msg)]);
    }
    baseDir = dirname(file);
  }
  return { data: parseText(text, pathOrDash), baseDir, source: pathOrDash };
}

export function parseText(text: string, name: string): Record<string, unknown> {
  if (text.length > 16 * 1024 * 1024)
    throw new ScenarioError([issue('invalid_value', [], `${name} is larger than 16 MiB; a scenario is a small YAML or JSON file`)]);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      doc.errors
        .slice(0, 5)
        .map((e) =>
          issue('parse_error', [], `${name}: ${e.message.split('\n')[0]}${e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : ''}`),
        ),
    );
  }
  const data = doc.toJS() as unknown;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ScenarioError([issue('invalid_type', [], `${name} must contain a mapping (kind, model, system, ...)`)]);
  }
  return data as Record<string, unknown>;
}

/** Converts zod's issues into Sinan's (code + path + message). */
export function zodIssues(err: z.ZodError, prefix: Path = [], data?: unknown): Issue[] {
  const valueAt = (path: (string | number)[]): unknown => {
    let cur: unknown = data;
    for (const k of path) {
      if (typeof cur !== 'object' || cur === null) return undefined;
      cur = (cur as Record<string | number, unknown>)[k];
    }
    return cur;
  };
  const seen = new Set<string>();
  const out: Issue[] = [];
  for (const i of err.issues) {
    let zpath = i.path as (string | number)[];
    // report a missing section once, not each of its required keys
    if (data !== undefined) {
      for (let n = 1; n < zpath.length; n++) {
        if (valueAt(zpath.slice(0, n)) === undefined) {
          zpath = zpath.slice(0, n);
          break;
        }
      }
      if (valueAt(zpath) === undefined && zpath.length > 0) {
        const key = zpath.join('.');
        if (!seen.has(key)) {
          seen.add(key);
          out.push(issue('missing_key', [...prefix, ...zpath], `missing required key '${String(zpath[zpath.length - 1])}'`));
        }
        continue;
      }
    }
    const path = [...prefix, ...zpath];
    const field = path.length ? String(path[path.length - 1]) : 'scenario';
    let code: Issue['code'] = 'invalid_value';
    let message = i.message;
    if (i.code === 'invalid_type') {
      const received = (i as { input?: unknown }).input;
      if (received === undefined) {
        code = 'missing_key';
        message = `missing required key '${field}'`;
      } else {
        code = 'invalid_type';
        message = `${field} must be ${(i as { expected?: string }).expected ?? 'of another type'}, got ${JSON.stringify(received)}`;
      }
    } else if (i.code === 'too_small' || i.code === 'too_big') {
      code = 'out_of_range';
      message = `${field}: ${i.message.replace(/^Too (small|big): expected number to be /, 'must be ')}`;
    } else if (i.code === 'invalid_union') {
      message = `${field} has the wrong form (${JSON.stringify(valueAt(zpath))?.slice(0, 60)}): see contract/SCENARIOS.md`;
    } else if (i.code === 'invalid_value') {
      message = `${field}: ${i.message}`;
    }
    out.push(issue(code, path, message));
  }
  return out;
}
