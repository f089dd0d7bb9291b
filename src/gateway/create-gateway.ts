import type { GatewayConfig } from '../config/schema.js';
import type { AccessLog } from '../http/access-log.js';
import type { SigningKeyRing } from '../identity/signing-keys.js';
import type { UpstreamIdentity } from '../identity/upstream-identity.js';
import type { AccessService } from '../lifecycle/access-service.js';
import type { PortfolioService } from '../lifecycle/portfolio-service.js';
import type { TokenService } from '../lifecycle/token-service.js';
import type { UsageRecorder } from '../lifecycle/usage-recorder.js';
import type { WebhookDispatcher } from '../lifecycle/webhook-dispatcher.js';
import type { ConfigMetrics } from '../metrics/config-metrics.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { ForwarderName } from '../proxy/forwarder.js';
import type { Server } from 'node:http';
import { reloadServerTls } from '../http/server-tls.js';
import type { StateFreshness } from '../state/state-freshness.js';
import type { StateSync } from '../state/state-sync.js';
import type { TokenState } from '../state/token-state.js';
import type { Store } from '../store/types.js';
import type { TokenValidator } from '../token/validator.js';
import { openUserSource } from '../users/open-user-source.js';
import type { UserSource } from '../users/types.js';
import { packageVersion } from '../version.js';
import { buildAdmin } from './admin-part.js';
import { contextOf, type GatewayDeps } from './context.js';
import { buildDecision } from './decision-part.js';
import { buildEdge } from './edge-part.js';
import { buildEndpoints } from './endpoints-part.js';
import { Housekeeping } from './housekeeping.js';
import { buildIdentity } from './identity-part.js';
import { DRAIN_MS, listenOn } from './listen.js';
import { buildObservability } from './observability-part.js';
import { createReloader, type ReloadResult } from './reload.js';
import { buildServices } from './services-part.js';
import { runStartupSweeps } from './startup-sweeps.js';
import { buildState } from './state-part.js';
import { buildTracing } from './tracing-part.js';
import { buildWebhooks } from './webhooks-part.js';

export type { GatewayDeps } from './context.js';

export interface Gateway {
  /** The running config: the start-up one with the reloaded keys of every SIGHUP since. */
  readonly config: GatewayConfig;
  /**
   * Applies `next`'s reloadable keys (src/config/reload-plan.ts) without touching a connection;
   * resolves with what changed. Rejects (ConfigError: the users file) with nothing applied.
   */
  reload(next: GatewayConfig): Promise<ReloadResult>;
  readonly state: TokenState;
  readonly store: Store;
  readonly metrics: GatewayMetrics;
  /** hlgw_config_hash and the SIGHUP reload counters. */
  readonly configMetrics: ConfigMetrics;
  /** log.access; its settings change on reload. */
  readonly accessLog: AccessLog;
  readonly validator: TokenValidator<UpstreamIdentity>;
  /** `identity.upstream: assertion`: the signing keys (shared through the store); undefined in other modes. */
  readonly signingKeys: SigningKeyRing | undefined;
  readonly portfolios: PortfolioService;
  /** The operator's allow/deny per portfolio (operator API). */
  readonly access: AccessService;
  readonly tokens: TokenService;
  /** Who may log in to the /auth endpoints (users.source). */
  readonly users: UserSource;
  /** Batched last_used_at writes; `flush()` writes now (tests, shutdown). */
  readonly usage: UsageRecorder;
  readonly sync: StateSync;
  /** Webhook delivery (`notifications.webhooks`); undefined without webhooks. Its timers run it; tests may call it. */
  readonly webhooks: WebhookDispatcher | undefined;
  /** How current the state is, with a shared store (Redis); undefined with SQLite. */
  readonly freshness: StateFreshness | undefined;
  /** The /readyz check: resolves with detail when ready, rejects with the reason when not. */
  ready(): Promise<Record<string, unknown>>;
  readonly forwarderName: ForwarderName;
  readonly proxyServer: Server;
  readonly adminServer: Server;
  /**
   * The first step of a stop behind a load balancer (SIGTERM, src/http/drain.ts): /readyz answers
   * 503 and every response says `Connection: close`, while the proxy listener still serves.
   * `close()` does it too when it was not asked for first.
   */
  drain(): void;
  /**
   * Re-reads server.tls's certificate and key for new connections, without dropping open ones
   * (SIGHUP). False without server.tls; throws (old certificate kept) when a file is unusable.
   */
  reloadTls(): boolean;
  /**
   * Binds the proxy and admin listeners, and with decision.port the decision listener; resolves with their URLs (port 0 in config picks a free port).
   * `admin: 'relay'` (a server.workers worker): the primary serves admin.port, so the admin
   * listener binds only when the operator API is on, to a free loopback port the primary relays
   * the operator's calls to (src/cluster/primary.ts); `admin` is then its URL, or ''.
   */
  listen(opts?: { admin?: boolean | 'relay' }): Promise<{ proxy: string; admin: string; decision?: string }>;
  close(): Promise<void>;
}

/**
 * The composition root: names the parts in order and wires them. Each part is built in its own
 * file from the parts before it, without I/O; the I/O happens in the named steps below (the
 * users file read, then each part's start, then the start-up sweeps), and `close()` stops the
 * parts in reverse.
 */
export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const ctx = contextOf(deps);
  const { config } = ctx;
  const housekeeping = new Housekeeping(ctx.timers, ctx.log);
  const initialUsers = await openUserSource(config, ctx.readFile); // reads users.file (a reload reads it again)
  const version = packageVersion(); // package.json, once: hlgw_build_info

  const state = buildState(ctx, initialUsers, housekeeping);
  const obs = buildObservability(ctx, state, {
    cacheEntries: () => identity.validator.size, isEndpoint: (url) => endpoints.matches(url), ready: () => admin.ready(),
  }, version);
  const identity = buildIdentity(ctx, state, obs.metrics, housekeeping);
  const services = buildServices(ctx, state, identity, housekeeping, obs.tokenMetrics);
  const endpoints = buildEndpoints(ctx, state, identity, services, obs.metrics, (req, code) => {
    obs.metrics.endpointError(code);
    obs.accessLog.refused(req, code);
  });
  const tracing = buildTracing(ctx);
  const edge = buildEdge(ctx, state, identity, services, obs, endpoints, deps.forwarder ?? config.upstream.client, tracing);
  const admin = buildAdmin(ctx, state, identity, services, obs, edge);
  const decision = buildDecision(ctx, obs, endpoints); // decision.port: {prefix}/verify on a listener of its own
  const reloader = createReloader(ctx, state, services, obs);
  const webhooks = buildWebhooks(ctx, services, obs); // the outbox delivered, expiring tokens announced

  await state.start(); // the state from the store, then its change feed
  await identity.start(); // the assertion signing keys
  services.start();
  await runStartupSweeps(ctx, state, services, initialUsers); // what changed while no gateway ran
  housekeeping.start();
  webhooks.start();

  const { proxyServer, drain } = edge;
  const { adminServer } = admin;
  const { tokens, portfolios, access, users, usage } = services;
  return {
    get config() { return reloader.config; },
    reload: (next) => reloader.reload(next),
    drain: () => drain.drain(),
    reloadTls: () => reloadServerTls(proxyServer, config.server),
    state: state.state, sync: state.sync, freshness: state.freshness, store: ctx.store,
    metrics: obs.metrics, configMetrics: obs.configMetrics, accessLog: obs.accessLog,
    validator: identity.validator, signingKeys: identity.signingKeys,
    portfolios, access, tokens, users, usage, webhooks: webhooks.dispatcher,
    ready: admin.ready, forwarderName: edge.forwarderName, proxyServer, adminServer,
    async listen(opts) {
      const proxy = await listenOn(proxyServer, config.server.host, config.server.port, 'server.port', config.server.tls ? 'https' : 'http');
      const a = opts?.admin ?? true;
      const adminUrl = a === true ? await listenOn(adminServer, config.admin.host, config.admin.port, 'admin.port')
        : a === 'relay' && admin.hasOperatorApi ? await listenOn(adminServer, '127.0.0.1', 0, 'operator relay port')
        : '';
      const decisionUrl = await decision.listen();
      return { proxy, admin: adminUrl, ...(decisionUrl === undefined ? {} : { decision: decisionUrl }) };
    },
    async close() {
      await webhooks.stop();
      housekeeping.stop();
      state.stop();
      obs.stop();
      await Promise.all([edge.stop(DRAIN_MS), admin.stop(), decision.stop()]);
      obs.accessLog.close(); // the lines of the drained requests, written before the process ends
      await Promise.all([services.stop(), tracing.stop()]); // the spans of the drained requests are exported
    },
  };
}
