import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Clock } from '../../src/clock.js';
import { parseConfig } from '../../src/config/load.js';
import type { GatewayConfig } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway/create-gateway.js';
import type { Timers } from '../../src/gateway/housekeeping.js';
import { createLogger } from '../../src/log.js';
import type { ForwarderName } from '../../src/proxy/forwarder.js';
import { MasterKey } from '../../src/secrets/master-key.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/types.js';

export interface TestGateway {
  gw: Gateway;
  /** Base URL of the proxy listener. */
  url: string;
  admin: string;
  config: GatewayConfig;
  /** The decision listener's URL, when the config sets decision.port. */
  decision?: string;
  /** Every log line the gateway wrote (for "secrets never logged" checks). */
  logs: string[];
  close(): Promise<void>;
}

export interface StartOptions {
  upstreamUrl: string;
  config?: Record<string, unknown>;
  forwarder?: ForwarderName;
  clock?: Clock;
  store?: Store;
  masterKey?: MasterKey;
  env?: NodeJS.ProcessEnv;
  /** The periodic work's timers (default: the system's). */
  timers?: Timers;
}

/** Starts a real gateway on loopback (ports chosen by the OS) in front of `upstreamUrl`. */
export async function startGateway(o: StartOptions): Promise<TestGateway> {
  const raw = {
    ...o.config,
    // Always ports chosen by the OS, even from a config that names its own (the demo's 8080):
    // suites run in parallel, and another program may hold a fixed port.
    server: { host: '127.0.0.1', ...(o.config?.server as object | undefined), port: 0 },
    admin: { host: '127.0.0.1', ...(o.config?.admin as object | undefined), port: 0 },
    upstream: { url: o.upstreamUrl, ...(o.config?.upstream as object | undefined) },
    store: (o.config?.store as object | undefined) ?? { type: 'sqlite', path: ':memory:' },
    // The tests' default: every portfolio allowed (the product's default is none).
    portfolios: (o.config?.portfolios as object | undefined) ?? { allowed: '*' },
    log: { level: 'debug', ...(o.config?.log as object | undefined) },
  };
  const config = parseConfig(raw, '<test>', o.env ?? {});
  const logs: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { logs.push(chunk.toString()); cb(); } });
  const logger = createLogger('debug', sink);
  const store = o.store ?? new SqliteStore(':memory:');
  const masterKey = o.masterKey ?? MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');
  const gw = await createGateway({ config, store, masterKey, logger, clock: o.clock, env: o.env ?? {}, forwarder: o.forwarder, timers: o.timers });
  const urls = await gw.listen();
  return {
    gw, url: urls.proxy, admin: urls.admin, ...(urls.decision === undefined ? {} : { decision: urls.decision }), config, logs,
    async close() {
      await gw.close();
      if (!o.store) await store.close();
    },
  };
}

export const PASSPHRASE = 'correct horse battery staple';

/** Enables tokens for a portfolio and seals one for a user. */
export async function enableAndIssue(t: TestGateway, companyId = 'acme', user = { userId: 'u-42', login: 'alice@acme.example' }) {
  await t.gw.portfolios.update(companyId, { enabled: true, passphrase: PASSPHRASE, durationMinutes: 60 });
  return t.gw.tokens.issue({ ...user, companyId });
}
