#!/usr/bin/env node
// Sinan command-line entry point: runs the compiled CLI (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/cli/entry.js', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write('sinan: the CLI is not built yet; run `npm ci` (or `npm run build`) in the Sinan folder first.\n');
  process.exit(1);
}
await import(entry);
