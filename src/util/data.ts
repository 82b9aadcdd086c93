import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of a file in the package's data/ folder (same depth from src/ and dist/). */
export function dataPath(name: string): string {
  return fileURLToPath(new URL(`../../data/${name}`, import.meta.url));
}

const cache = new Map<string, unknown>();

/** Reads and caches a JSON file from data/. */
export function readDataJson<T>(name: string): T {
  let v = cache.get(name);
  if (v === undefined) {
    v = JSON.parse(readFileSync(dataPath(name), 'utf8'));
    cache.set(name, v);
  }
  return v as T;
}
