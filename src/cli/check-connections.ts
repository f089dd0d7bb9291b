import { Agent, request } from 'undici';
import type { GatewayConfig } from '../config/schema.js';
import { createLogger } from '../log.js';
import { redactUrl } from '../secrets/redact-url.js';
import { loadUpstreamTls, tlsConnector } from '../proxy/upstream-tls.js';
import { openStore } from '../store/open-store.js';

/**
 * `hlgw check-config --connect`: opens what the config names, one line per check, so a Redis
 * where nothing listens is found before `hlgw serve`: the store, then the upstream.
 */
export async function checkConnections(config: GatewayConfig): Promise<{ lines: string[]; failed: boolean }> {
  const checks = [await checkStore(config), await checkUpstream(config)];
  return { lines: checks.map((c) => c.line), failed: checks.some((c) => c.failed) };
}

/** Any HTTP answer means the upstream is reachable (with upstream.tls, through the proxy's own TLS settings). */
async function checkUpstream(config: GatewayConfig): Promise<{ line: string; failed: boolean }> {
  const url = redactUrl(config.upstream.url);
  const tls = loadUpstreamTls(config.upstream);
  const dispatcher = new Agent(tls ? { connect: tlsConnector(tls).connect } : {});
  try {
    const r = await request(config.upstream.url, { method: 'HEAD', dispatcher, headersTimeout: 10_000 });
    await r.body.dump();
    return { line: `upstream: ok (${url}, HTTP ${r.statusCode})`, failed: false };
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    return { line: `upstream: FAILED (${url}): ${cause instanceof Error ? cause.message : String(cause)}`, failed: true };
  } finally {
    await dispatcher.close();
  }
}

async function checkStore(config: GatewayConfig): Promise<{ line: string; failed: boolean }> {
  const s = config.store;
  const where = s.type === 'sqlite' ? `sqlite ${s.path}` : `redis ${s.url === undefined ? '(sentinel or cluster)' : redactUrl(s.url)}`;
  try {
    // Redis: gives up after store.connectWaitSeconds with one line naming the address.
    const store = await openStore(config, createLogger('silent'));
    await store.close();
    return { line: `store: ok (${where})`, failed: false };
  } catch (err) {
    return { line: `store: FAILED (${where}): ${err instanceof Error ? err.message : String(err)}`, failed: true };
  }
}
