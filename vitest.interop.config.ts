import { defineConfig } from 'vitest/config';

/** `npm run test:interop`: Sinan's files loaded by the real libraries (test/interop); not part of `npm test`. */
export default defineConfig({
  test: {
    include: ['test/interop/**/*.interop.ts'],
    reporters: ['default', './test/count-reporter.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
