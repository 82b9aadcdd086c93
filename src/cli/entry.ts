/**
 * The process entry point (bin/sinan.js runs the compiled copy): runs the CLI on argv and
 * treats a closed pipe on stdout or stderr (`sinan ... | head`, also with 2>&1) as the end of
 * the output, not an error: it stops quietly with the status so far.
 */
import { run } from './main.js';

for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });
}
process.exitCode = await run(process.argv.slice(2));
