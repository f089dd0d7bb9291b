import type { GatewayConfig } from '../config/schema.js';
import { createLogger } from '../log.js';
import { redactUrl } from '../secrets/redact-url.js';
import { openStore } from '../store/open-store.js';

/**
 * `hlgw check-config --connect`: opens what the config names, one line per check, so a Redis
 * where nothing listens is found before `hlgw serve`. Only the store for now.
 */
export async function checkConnections(config: GatewayConfig): Promise<{ lines: string[]; failed: boolean }> {
  const s = config.store;
  const where = s.type === 'sqlite' ? `sqlite ${s.path}` : `redis ${s.url === undefined ? '(sentinel or cluster)' : redactUrl(s.url)}`;
  try {
    // Redis: gives up after store.connectWaitSeconds with one line naming the address.
    const store = await openStore(config, createLogger('silent'));
    await store.close();
    return { lines: [`store: ok (${where})`], failed: false };
  } catch (err) {
    return { lines: [`store: FAILED (${where}): ${err instanceof Error ? err.message : String(err)}`], failed: true };
  }
}
