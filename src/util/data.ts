import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of a file in the package's data/ folder (same depth from src/ and dist/). */
export function dataPath(name: string): string {
  return fileURLToPath(new URL(`../../data/${name}`, import.meta.url));
}

/** Reads a JSON file from data/. */
export function readDataJson<T>(name: string): T {
  return JSON.parse(readFileSync(dataPath(name), 'utf8')) as T;
}

/** Reads a text file from data/. */
export function readDataText(name: string): string {
  return readFileSync(dataPath(name), 'utf8');
}
