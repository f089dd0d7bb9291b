import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLogger } from '../../src/log.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { sharedRedisUrl } from './redis-server.js';
import type { ClusterSet } from './redis-topologies.js';
import { lacks } from './requires.js';
import type { Store } from '../../src/store/types.js';

/**
 * One durable place for a store's data. `open()` may be called again after the previous
 * handle was closed: that is a gateway restart, and everything acknowledged must still be there.
 */
export interface StoreLocation {
  open(): Promise<Store>;
  /** Removes the data (after every handle is closed). */
  dispose(): Promise<void>;
}

export interface StoreFactory {
  name: string;
  prepare(): Promise<StoreLocation>;
}

/**
 * The stores the lifecycle suite runs against (`describe.each(STORE_FACTORIES)`).
 * Add a factory here and the whole suite runs on it too. Redis is left out only when the run
 * could not provide redis-server (test/system-tools.test.ts then fails with the command to run).
 */
const ALL_STORE_FACTORIES: StoreFactory[] = [
  {
    name: 'sqlite',
    async prepare() {
      const dir = mkdtempSync(join(tmpdir(), 'hlgw-store-'));
      const path = join(dir, 'hlgw.db');
      return {
        open: async () => new SqliteStore(path),
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    // A real redis-server (test/support/redis-server.ts); each location is its own key prefix.
    name: 'redis',
    async prepare() {
      const url = sharedRedisUrl();
      const prefix = `t${randomBytes(6).toString('hex')}`;
      return {
        open: async () => RedisStore.open({ url, prefix, log: createLogger('silent') }),
        dispose: async () => undefined, // the run's server is discarded at the end (global-setup.ts)
      };
    },
  },
];

export const STORE_FACTORIES = ALL_STORE_FACTORIES.filter((f) => f.name !== 'redis' || !lacks('redis-server'));

/** A fresh store for one suite: `await freshStore(factory)` in beforeAll, `close()` in afterAll. */
export async function freshStore(factory: StoreFactory): Promise<{ store: Store; close(): Promise<void> }> {
  const location = await factory.prepare();
  const store = await location.open();
  return {
    store,
    async close() {
      await store.close();
      await location.dispose();
    },
  };
}

/**
 * The Redis store on a Redis Cluster (test/support/redis-topologies.ts), each location its own
 * key prefix. The cluster is the caller's: started once per file, stopped in its afterAll.
 */
export function redisClusterFactory(cluster: () => Promise<ClusterSet>): StoreFactory {
  return {
    name: 'redis-cluster',
    async prepare() {
      const c = await cluster();
      const prefix = `t${randomBytes(6).toString('hex')}`;
      const nodes = c.seeds.map((a) => ({ host: a.split(':')[0]!, port: Number(a.split(':')[1]) }));
      return {
        open: async () => RedisStore.open({ target: { kind: 'cluster', nodes }, prefix, log: createLogger('silent') }),
        dispose: async () => undefined,
      };
    },
  };
}
