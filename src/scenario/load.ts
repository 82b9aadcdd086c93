import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
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
    text = stdin ? stdin() : readFileSync(0, 'utf8');
    baseDir = process.cwd();
  } else {
    const file = resolve(pathOrDash);
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ScenarioError([
        issue('io_error', [], code === 'ENOENT' ? `scenario file not found: ${pathOrDash}` : `cannot read scenario ${pathOrDash}: ${(e as Error).message}`),
      ]);
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
export function zodIssues(err: z.ZodError, prefix: Path = []): Issue[] {
  return err.issues.map((i) => {
    const path = [...prefix, ...(i.path as (string | number)[])];
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
    } else if (i.code === 'invalid_value' || i.code === 'invalid_union') {
      message = `${field}: ${i.message}`;
    }
    return issue(code, path, message);
  });
}
