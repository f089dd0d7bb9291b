import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';

/** Opens the configured store. */
export async function openStore(config: GatewayConfig, _log: Logger): Promise<Store> {
  const s = config.store;
  switch (s.type) {
    case 'sqlite':
      return new SqliteStore(s.path);
    case 'redis':
      throw new Error('store.type redis is not available in this build yet');
  }
}
