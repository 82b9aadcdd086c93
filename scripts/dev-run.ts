// Runs the CLI from the TypeScript sources (npx tsx scripts/dev-run.ts <args>), as bin/sinan.js runs the build.
import '../src/cli/entry.js';
