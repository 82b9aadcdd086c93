import { modelFromHfConfig } from './hf.js';
import type { ModelSpec } from './types.js';

/** The built-in models (data/models.json), each parsed once when the registry is built. */

export interface BuiltinEntry {
  name: string;
  source: string;
  config: Record<string, unknown>;
}

export interface ModelRegistry {
  ids: readonly string[];
  get(id: string): ModelSpec | undefined;
  entry(id: string): BuiltinEntry | undefined;
}

export function buildModelRegistry(entries: Record<string, BuiltinEntry>): ModelRegistry {
  const specs = new Map<string, ModelSpec>();
  for (const [id, e] of Object.entries(entries)) {
    const r = modelFromHfConfig(e.config, ['model'], id, e.source);
    if (!r.model) throw new Error(`built-in model ${id} is invalid: ${r.issues.map((i) => i.message).join('; ')}`);
    specs.set(id, { ...r.model, name: e.name });
  }
  const ids = Object.keys(entries);
  return { ids, get: (id) => specs.get(id), entry: (id) => entries[id] };
}
