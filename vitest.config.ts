import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Refuses to test a stale dist/ (worker and CLI tests load compiled code).
    globalSetup: ['test/helpers/fresh-dist.ts'],
    // Training tests are CPU-bound on a 2-core machine: run files one after another so that
    // pool tests get the cores they ask for.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
