import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built web UI (vite build output): dist/web beside dist/http, or the same folder seen from src/http. */
export function webDir(): string | null {
  for (const rel of ['../web/', '../../dist/web/']) {
    const d = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(d, 'index.html'))) return d;
  }
  return null;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** A file of the bundle by URL path, never outside its folder; null when absent. */
export function staticFile(dir: string, urlPath: string): { body: Uint8Array; type: string } | null {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  const file = normalize(join(dir, rel === '/' ? 'index.html' : rel));
  if (!file.startsWith(normalize(dir.endsWith(sep) ? dir : dir + sep))) return null;
  if (!existsSync(file) || !statSync(file).isFile()) return null;
  return { body: readFileSync(file), type: TYPES[extname(file)] ?? 'application/octet-stream' };
}
