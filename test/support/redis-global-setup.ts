import type { TestProject } from 'vitest/node';
import { RedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the run's shared redis-server, or `error:<why it could not start>`. */
    hlgwRedis: string;
  }
}

/**
 * One redis-server for the whole run (the Redis store factory of test/support/stores.ts uses it,
 * each store under its own key prefix), started and always stopped by the main vitest process.
 * When it cannot start, only the tests that need it fail, with the reason.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = new RedisServer();
  try {
    await redis.start();
    project.provide('hlgwRedis', redis.url);
  } catch (err) {
    project.provide('hlgwRedis', `error:${err instanceof Error ? err.message : String(err)}`);
  }
  return () => redis.stop();
}
