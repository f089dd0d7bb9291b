import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real servers on loopback: give slow CI machines room, never assert on time.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // System tools (installed when missing) and one redis-server for the run: test/support/global-setup.ts.
    globalSetup: ['test/support/global-setup.ts'],
  },
});
