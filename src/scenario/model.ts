import { basename, dirname, resolve } from 'node:path';
import type { FileAccess, PlanContext } from '../context/types.js';
import { mkIssue, type Issue, type Path } from '../core/issues.js';
import { closest } from '../core/suggest.js';
import { warning, type Warning } from '../core/warnings.js';
import { modelFromHfConfig } from '../model/hf.js';
import type { ModelSpec } from '../model/types.js';

export interface ResolvedModel {
  model: ModelSpec | null;
  issues: Issue[];
  warnings: Warning[];
}

/** Bytes of a model config.json Sinan reads. */
export const CONFIG_LIMIT_BYTES = 1024 * 1024;

/**
 * Resolves a scenario's `model`: a built-in id, a path to a config.json (relative to the
 * scenario's folder, read through `files`; refused when files is null), or inline HF keys.
 */
export function resolveModel(input: unknown, path: Path, ctx: PlanContext, files: FileAccess | null, baseDir: string): ResolvedModel {
  const wrap = (r: ReturnType<typeof modelFromHfConfig>): ResolvedModel => ({
    model: r.model,
    issues: r.issues,
    warnings: r.warnings.map((w) => warning('ignored_key', w, path)),
  });
  if (typeof input !== 'string') return wrap(modelFromHfConfig(input, path));
  const b = ctx.models.get(input);
  if (b) return { model: b, issues: [], warnings: [] };
  if (input.endsWith('.json')) {
    if (!files)
      return {
        model: null,
        issues: [
          mkIssue({
            code: 'unsupported',
            path,
            feature: 'a model given as a file path',
            reason: 'this interface reads no files: give a built-in id or the config keys inline',
          }),
        ],
        warnings: [],
      };
    const file = resolve(baseDir, input);
    let text: string;
    try {
      text = files.readText(file, CONFIG_LIMIT_BYTES);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const reason =
        e instanceof RangeError
          ? `is larger than ${CONFIG_LIMIT_BYTES} bytes`
          : code === 'ENOENT'
            ? `no such file (looked at ${file})`
            : `cannot be read (${code ?? 'error'})`;
      return { model: null, issues: [mkIssue({ code: 'io_error', path, file: input, reason })], warnings: [] };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return { model: null, issues: [mkIssue({ code: 'parse_error', path, source: input, detail: `not valid JSON: ${(e as Error).message}` })], warnings: [] };
    }
    const stem = basename(file, '.json');
    return wrap(modelFromHfConfig(raw, path, stem === 'config' ? basename(dirname(file)) : stem, file));
  }
  return { model: null, issues: [unknownModel(input, path, ctx)], warnings: [] };
}

/** The issue for a model id that is neither built in nor a config file path, with the nearest id. */
export function unknownModel(id: string, path: Path, ctx: PlanContext): Issue {
  const ids = [...ctx.models.ids];
  return mkIssue({
    code: 'unknown_id',
    path,
    kind: 'model',
    id,
    candidates: ids,
    suggestion: closest(id, ids),
    hint: "see 'sinan models', or give a path to a config.json",
  });
}
