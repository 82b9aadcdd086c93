import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The web UI: built into dist/web, which `sinan ui` serves. It imports the chart builders from
// ../src/charts (the same functions the CLI's --svg and --html use).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: { outDir: fileURLToPath(new URL('../dist/web', import.meta.url)), emptyOutDir: true, chunkSizeWarningLimit: 2000, sourcemap: false },
  logLevel: 'warn',
});
