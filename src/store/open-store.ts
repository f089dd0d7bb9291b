import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { RedisStore } from './redis-store.js';
import { targetFromConfig } from './redis-target.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';

/** Opens the configured store. */
export async function openStore(config: GatewayConfig, log: Logger): Promise<Store> {
  const s = config.store;
  switch (s.type) {
    case 'sqlite':
      return new SqliteStore(s.path);
    case 'redis':
      // Fails with one clear line (`cannot reach Redis at ...`) after store.connectWaitSeconds.
      return RedisStore.open({
        target: targetFromConfig(s), connectWaitSeconds: s.connectWaitSeconds, log,
        acks: { min: s.minReplicasAcked, timeoutMs: s.replicaAckTimeoutMs },
      });
  }
}
