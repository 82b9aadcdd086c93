#!/usr/bin/env node
// Sinan command-line entry point: runs the compiled CLI (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('sinan: the CLI is not built yet; run `npm ci` (or `npm run build`) in the Sinan folder first.\n');
  process.exit(1);
}
// a closed pipe (sinan ... | head) is not an error
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const { run } = await import(main);
process.exitCode = await run(process.argv.slice(2));
