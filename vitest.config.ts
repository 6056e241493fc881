import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Two cores: two test files at a time keeps PGlite instances from starving each other.
    maxWorkers: 2,
    fileParallelism: true,
    globalSetup: ['test/global-setup.ts'],
  },
});
