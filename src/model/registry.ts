import { basename, dirname, resolve } from 'node:path';
import { readDataJson } from '../util/data.js';
import { readTextFile } from '../util/files.js';
import { issue, type Issue, type Path } from '../util/issues.js';
import { modelFromHfConfig } from './hf.js';
import type { ModelSpec } from './types.js';

interface BuiltinEntry {
  name: string;
  source: string;
  config: Record<string, unknown>;
}

function builtins(): Record<string, BuiltinEntry> {
  return readDataJson<{ models: Record<string, BuiltinEntry> }>('models.json').models;
}

export function builtinModelIds(): string[] {
  return Object.keys(builtins());
}

/** A built-in model by id, or undefined. */
export function builtinModel(id: string): ModelSpec | undefined {
  const e = builtins()[id];
  if (!e) return undefined;
  const r = modelFromHfConfig(e.config, ['model'], id, e.source);
  if (!r.model) throw new Error(`built-in model ${id} is invalid: ${r.issues.map((i) => i.message).join('; ')}`);
  r.model.name = e.name;
  return r.model;
}

export interface ResolvedModel {
  model: ModelSpec | null;
  issues: Issue[];
  warnings: string[];
}

/**
 * Resolves the scenario's `model`: a built-in id, a path to a config.json (relative to
 * the scenario's folder), or an inline object of HF keys.
 */
export function resolveModel(input: unknown, path: Path, baseDir: string): ResolvedModel {
  if (typeof input === 'string') {
    const b = builtinModel(input);
    if (b) return { model: b, issues: [], warnings: [] };
    if (input.endsWith('.json')) {
      const file = resolve(baseDir, input);
      let text: string;
      try {
        text = readTextFile(file);
      } catch {
        return { model: null, issues: [issue('io_error', path, `cannot read model config '${input}' (looked at ${file})`)], warnings: [] };
      }
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (e) {
        return { model: null, issues: [issue('parse_error', path, `model config '${input}' is not valid JSON: ${(e as Error).message}`)], warnings: [] };
      }
      const stem = basename(file, '.json');
      return modelFromHfConfig(raw, path, stem === 'config' ? basename(dirname(file)) : stem, file);
    }
    const known = builtinModelIds();
    const near = known
      .filter((k) =>
        k.includes(
          input
            .toLowerCase()
            .replace(/[^a-z0-9.]+/g, '-')
            .split('-')[0] ?? '',
        ),
      )
      .slice(0, 5);
    return {
      model: null,
      issues: [
        issue(
          'unknown_id',
          path,
          `unknown model '${input}'. Built-in models: ${near.length ? near.join(', ') + ', …' : known.join(', ')} (see 'sinan models'), or give a path to a config.json`,
        ),
      ],
      warnings: [],
    };
  }
  return modelFromHfConfig(input, path);
}
