import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real servers on loopback: give slow CI machines room, never assert on time.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One redis-server for the run (the Redis store factory); stopped by the main process.
    globalSetup: ['test/support/redis-global-setup.ts'],
  },
});
