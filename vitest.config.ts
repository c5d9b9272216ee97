import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // web/src/**: the console's pure logic (no browser); test/browser: the console in headless Chromium.
    include: ['test/**/*.test.ts', 'web/src/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Each test file gets its own database (cloned from a migrated template) and Redis prefix, so files can run
    // in parallel; forks keep native handles (pg, ioredis) apart.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
