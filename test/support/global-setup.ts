import type { TestProject } from 'vitest/node';
import { RedisServer } from './redis-server.js';
import { REQUIRED_TOOLS, provideTools } from './system-tools.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the run's shared redis-server, or `error:<why it could not start>`. */
    hlgwRedis: string;
    /** Per required system tool: '' when it runs, else the one line saying how to install it. */
    hlgwTools: Record<string, string>;
  }
}

/**
 * Runs once in the main vitest process, before any test:
 * 1. provides the system programs the suite runs for real (test/support/system-tools.ts),
 *    installing them with apt-get where it may, so `npm test` works on a fresh machine;
 * 2. starts one redis-server for the whole run (the Redis store factory of test/support/stores.ts
 *    uses it, each store under its own key prefix), always stopped at the end.
 * Where a tool cannot be had, the suites that need it are not collected and
 * test/system-tools.test.ts fails with one line naming the command to run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tools = provideTools(REQUIRED_TOOLS);
  project.provide('hlgwTools', Object.fromEntries(Object.entries(tools).map(([k, v]) => [k, v ?? ''])));
  const redis = new RedisServer();
  if (tools['redis-server'] !== undefined) {
    project.provide('hlgwRedis', `error:${tools['redis-server']}`);
    return async () => undefined;
  }
  try {
    await redis.start();
    project.provide('hlgwRedis', redis.url);
  } catch (err) {
    project.provide('hlgwRedis', `error:${err instanceof Error ? err.message : String(err)}`);
  }
  return () => redis.stop();
}
