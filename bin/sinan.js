#!/usr/bin/env node
// Sinan command-line entry point: runs the compiled CLI (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('sinan: the CLI is not built yet; run `npm ci` (or `npm run build`) in the Sinan folder first.\n');
  process.exit(1);
}
// a closed pipe (sinan ... | head, also with 2>&1) is not an error: stop quietly with the status so far
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });
}
const { run } = await import(main);
process.exitCode = await run(process.argv.slice(2));
