import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SigningKeyRing } from '../identity/signing-keys.js';
import { createUpstreamInjector, type UpstreamIdentity } from '../identity/upstream-identity.js';
import { chooseUpstreamIdentity, usedModes } from '../identity/choose-mode.js';
import { ReplayRejections } from '../identity/replay-rejections.js';
import { createIdentityStripper } from '../auth/strip-identity.js';
import { systemClock, type Clock } from '../clock.js';
import { ConfigError } from '../config/load.js';
import { DEFAULTS, type GatewayConfig } from '../config/schema.js';
import { createAdminServer } from '../admin/admin-server.js';
import { GatewayError } from '../errors.js';
import { ErrorResponder } from '../http/error-responses.js';
import { createFramingCheck } from '../http/check-framing.js';
import { createForwardedHeaders, FORWARDING_HEADERS } from '../http/forwarded-headers.js';
import { AccessLog } from '../http/access-log.js';
import { ConnectionDrain } from '../http/drain.js';
import { createProxyListener, reloadServerTls } from '../http/server-tls.js';
import { tagListenError } from '../http/listen-error.js';
import { PortfolioService } from '../lifecycle/portfolio-service.js';
import { TokenService } from '../lifecycle/token-service.js';
import { revokeTokensOfRemovedUsers } from '../lifecycle/revoke-removed-users.js';
import { UsageRecorder } from '../lifecycle/usage-recorder.js';
import type { Logger } from '../log.js';
import { GatewayMetrics, type UpstreamErrorKind } from '../metrics/metrics.js';
import type { Forwarder, ForwarderName, ForwarderOptions } from '../proxy/forwarder.js';
import { createHttpProxyForwarder } from '../proxy/http-proxy-forwarder.js';
import { upstreamCause, upstreamTls } from '../proxy/upstream-cause.js';
import { createUndiciForwarder } from '../proxy/undici-forwarder.js';
import type { MasterKey } from '../secrets/master-key.js';
import { redactPath } from '../secrets/redact-url.js';
import { StateSync } from '../state/state-sync.js';
import { freshnessFor, type StateFreshness } from '../state/state-freshness.js';
import { registerSyncMetrics } from '../metrics/sync-metrics.js';
import { ConfigMetrics } from '../metrics/config-metrics.js';
import { TokenState } from '../state/token-state.js';
import type { Store } from '../store/types.js';
import { TokenValidator } from '../token/validator.js';
import { createRequestHandler } from './handle-request.js';
import { createEndpoints } from '../endpoints/router.js';
import type { EndpointDeps } from '../endpoints/context.js';
import { CompanyDirectory } from '../lifecycle/company-directory.js';
import { createPortal } from '../portal/portal-router.js';
import { gatewayOpenApiDocument } from './openapi-document.js';
import { AuditTrail } from '../lifecycle/audit-trail.js';
import { AccessService } from '../lifecycle/access-service.js';
import { createOperatorApi } from '../admin/operator-api.js';
import { LoginRateLimiter } from '../users/login-rate-limiter.js';
import { FileUserSource } from '../users/file-user-source.js';
import { managerRoleOf, openUserSource } from '../users/open-user-source.js';
import { stripSessionCookie } from '../portal/session-cookie.js';
import { providerBinding } from '../users/sso/provider-binding.js';
import { SessionManager } from '../portal/sessions.js';
import { endSessionsOfChangedUsers } from '../portal/end-changed-sessions.js';
import { SwappableUserSource } from '../users/swappable-user-source.js';
import { LearningUserSource } from '../users/learning-user-source.js';
import { ProbeReportingUserSource } from '../users/probe-reporting-user-source.js';
import { UPSTREAM_PASSWORD_MARK_PURPOSE } from '../users/upstream-password-mark.js';
import { PortfolioTree } from '../state/portfolio-tree.js';
import { CompanyPlacement } from '../lifecycle/company-placement.js';
import { SsoAdmission } from '../lifecycle/sso-admission.js';
import { planReload, type ReloadPlan } from '../config/reload-plan.js';
import type { UserSource } from '../users/types.js';

export interface GatewayDeps {
  config: GatewayConfig;
  store: Store;
  masterKey: MasterKey;
  logger: Logger;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** Overrides `upstream.client` (the parameterised test suite runs both). */
  forwarder?: ForwarderName;
}

export interface Gateway {
  /** The running config: the start-up one with the reloaded keys of every SIGHUP since. */
  readonly config: GatewayConfig;
  /**
   * Applies `next`'s reloadable keys (src/config/reload-plan.ts) without touching a connection;
   * resolves with what changed. Rejects (ConfigError: the users file) with nothing applied.
   */
  reload(next: GatewayConfig): Promise<ReloadPlan>;
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
   * Binds both listeners; resolves with their URLs (port 0 in config picks a free port).
   * `admin: 'relay'` (a server.workers worker): the primary serves admin.port, so the admin
   * listener binds only when the operator API is on, to a free loopback port the primary relays
   * the operator's calls to (src/cluster/primary.ts); `admin` is then its URL, or ''.
   */
  listen(opts?: { admin?: boolean | 'relay' }): Promise<{ proxy: string; admin: string }>;
  close(): Promise<void>;
}

const UPSTREAM_FAILURE: Record<UpstreamErrorKind, 'upstream_timeout' | 'upstream_unreachable' | 'forward_failed'> = {
  timeout: 'upstream_timeout',
  unreachable: 'upstream_unreachable',
  reset: 'upstream_unreachable',
  request: 'forward_failed',
  tls: 'upstream_unreachable',
};

/** The composition root: everything the gateway is made of is created here, from `deps`. */
export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const { config, store, logger: log } = deps;
  const clock = deps.clock ?? systemClock;
  const env = deps.env ?? process.env;
  const now = () => clock.now();

  const serviceAuthorization = resolveServiceAuthorization(config, env);
  const state = new TokenState(config.portfolios.allowed);
  // The portfolio tree: the users file's companies (read through the swappable source, so a reload
  // brings its tree along) over the edges sign-ins taught, which StateSync loads and keeps current.
  const initialUsers = await openUserSource(config);
  const swappableUsers = new SwappableUserSource(initialUsers);
  const tree = new PortfolioTree(() => swappableUsers.tree);
  // Before any token is opened or issued: a company's policy and key are its root's.
  state.useTree(tree);
  const sync = new StateSync(store, state, deps.masterKey, log, now, tree);
  await sync.start();
  // Shared store: lag, staleness (503 token_store_stale past store.staleMaxSeconds), resync after a reconnect.
  const freshness = freshnessFor(store, sync, config.store, log);
  freshness?.start();

  const target = new URL(config.upstream.url);
  const assertion = config.identity.assertion;
  const signingKeys = usedModes(config.identity).has('assertion')
    ? new SigningKeyRing(store, deps.masterKey, assertion.alg, assertion.overlapSeconds * 1000, (kid) =>
      log.error({ kid }, `assertion signing key ${kid} does not open with this master key: Bearer requests get 503 signing_key_unusable and /readyz says not ready; run \`hlgw keys rotate\` with the master key the gateways use`))
    : undefined;
  await signingKeys?.refresh(now());
  // Off the hot path: a rotation written by any instance or the CLI is picked up within keyRefreshSeconds.
  const keyRefresher = signingKeys && setInterval(() => {
    signingKeys.refresh(now()).catch((err: unknown) => log.warn({ err: String(err) }, 'could not reload the assertion signing keys'));
  }, assertion.keyRefreshSeconds * 1000);
  keyRefresher?.unref();
  const upstreamIdentity = chooseUpstreamIdentity(config.identity, target.origin, signingKeys, (c) => state.portfolioIdOf(c));
  let validator: TokenValidator<UpstreamIdentity> | undefined;
  const metrics = new GatewayMetrics({ cacheEntries: () => validator?.size ?? 0, revokedEntries: () => state.revokedCount });
  const stopSyncMetrics = registerSyncMetrics(metrics.registry, store, freshness, {
    maxLagSeconds: config.store.type === 'redis' ? config.store.maxLagSeconds : undefined,
    ready: () => ready(),
  });
  const configMetrics = new ConfigMetrics(metrics.registry, config);
  validator = new TokenValidator<UpstreamIdentity>({
    state, clock,
    skewSeconds: config.tokens.clockSkewSeconds,
    maxEntries: config.cache.maxEntries,
    negativeMaxEntries: config.cache.negativeMaxEntries,
    negativeTtlSeconds: config.cache.negativeTtlSeconds,
    // Cache misses only; with server.workers and SQLite the relay store reads the shared file directly.
    issuedRecord: (tokenId) => store.getToken(tokenId),
    checkRecord: providerBinding(config.users.sso),
    prepare: upstreamIdentity.prepare,
    observer: metrics,
  });

  const errors = new ErrorResponder(config.tokens.realm);
  const trustedProxies = new Set(config.server.trustedProxies);
  // isEndpoint is read only when a line is written, after `endpoints` exists.
  const accessLog = new AccessLog(log, config.log, { trustedProxies, maxTokenBytes: config.tokens.maxTokenBytes, isEndpoint: (url) => endpoints.matches(url) });
  const replays = upstreamIdentity.used.has('basic')
    ? new ReplayRejections(validator, errors, config.identity.rejectedCredentialSeconds, (req) => {
      metrics.result('credential_rejected');
      accessLog.refused(req, 'credential_rejected');
    })
    : undefined;
  const forwarderOptions: ForwarderOptions = {
    target,
    timeoutMs: config.upstream.timeoutMs,
    connections: config.upstream.connections,
    tls: upstreamTls(config, log),
    onDone: (auth, startedAt) => metrics.request(auth, 'forwarded', (performance.now() - startedAt) / 1000),
    onUpstreamResponse(s, req) {
      metrics.upstreamDuration.observe(s);
      accessLog.upstream(req, s);
    },
    ...(replays ? { onUpstreamStatus: replays.onUpstreamStatus } : {}),
    onFailure(req: IncomingMessage, res: ServerResponse, kind: UpstreamErrorKind, err?: unknown) {
      metrics.upstreamError(kind);
      accessLog.refused(req, UPSTREAM_FAILURE[kind]);
      // The cause (CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, ECONNREFUSED...) is what an operator acts on.
      log.warn({ requestId: req.headers['x-request-id'], kind, ...upstreamCause(err) }, kind === 'tls' ? 'upstream TLS handshake failed' : 'upstream request failed');
      errors.send(res, new GatewayError(UPSTREAM_FAILURE[kind]));
    },
  };
  const forwarderName = deps.forwarder ?? config.upstream.client;
  const forwarder: Forwarder =
    forwarderName === 'undici' ? createUndiciForwarder(forwarderOptions) : createHttpProxyForwarder(forwarderOptions);

  const usage = new UsageRecorder(store, now, (err) => log.warn({ err: String(err) }, 'could not record token last use'));
  usage.start(DEFAULTS.lastUsedFlushMs);
  const portfolios = new PortfolioService(store, state, deps.masterKey, now);
  const tokens = new TokenService(store, state, now, { sealCredential: upstreamIdentity.sealsCredential });
  for (const id of Object.keys(config.identity.upstreamByPortfolio)) {
    // Looked up by root only: an override naming a sub-company would silently never apply.
    if (state.portfolioIdOf(id) !== id) log.warn({ companyId: id, root: state.portfolioIdOf(id) }, 'identity.upstreamByPortfolio names a sub-company: its root\'s mode applies; name the root instead');
  }
  const audit = new AuditTrail(store, now, log);
  const placement = new CompanyPlacement({ store, tree, revoke: (id) => tokens.revoke(id, 'reparented'), audit, now, log });
  const ssoAdmission = new SsoAdmission({ providers: config.users.sso.providers, tree, placement, audit });
  if (swappableUsers.kind === 'none') log.warn('users.source is none: every login on the token endpoints is refused; configure users (see src/config/schema.ts)');
  // A user removed from the users file must not keep a working token (an upstream source cannot be listed).
  const revokeRemovedUsers = async (source: UserSource, actor: 'system' | 'operator') => {
    if (source instanceof FileUserSource) await revokeTokensOfRemovedUsers({ store, users: source, revoke: (id) => tokens.revoke(id), audit, now, log, actor });
  };
  await revokeRemovedUsers(initialUsers, 'system');
  // A users file edited while no gateway ran (a reload sees the move itself: reload() below).
  await placement.voidSealedForOldRoots([
    ...tree.known(),
    ...(await store.listPortfolios()).flatMap((p) => tree.subtree(p.companyId)),
    ...(initialUsers instanceof FileUserSource ? initialUsers.companyIds() : []),
  ]);
  const limiter = new LoginRateLimiter(store, clock, config.endpoints.failedLogins);
  const sessions = new SessionManager(store, clock, {
    idleMs: config.portal.idleMinutes * 60_000,
    absoluteMs: config.portal.absoluteHours * 3_600_000,
  }, { users: swappableUsers, managerRole: managerRoleOf(config), audit });
  // Every password checked (never on the proxy path): the tree learns from the answer, and an
  // upstream directory's answer ends the portal sessions it contradicts.
  const users = new ProbeReportingUserSource(
    new LearningUserSource(swappableUsers, (who, ancestors) => placement.learn('upstream', who.companyId, ancestors, { userId: who.userId, clientAddress: null }), config.users.sso.providers.map((p) => p.name)),
    deps.masterKey.deriveSubkey(UPSTREAM_PASSWORD_MARK_PURPOSE),
    (who) => sessions.confirm(who),
  );
  // Redis expires sessions itself; SQLite rows are deleted here.
  const sessionPurger = setInterval(() => {
    sessions.purge().catch((err: unknown) => log.warn({ err: String(err) }, 'could not purge expired portal sessions'));
  }, SESSION_PURGE_MS);
  sessionPurger.unref();
  const access = new AccessService(store, state, audit, now);
  const endpointDeps: EndpointDeps = {
    prefix: config.endpoints.prefix,
    maxBodyBytes: config.endpoints.maxBodyBytes,
    maxTokenBytes: config.tokens.maxTokenBytes,
    managerRole: managerRoleOf(config),
    users,
    limiter,
    validator,
    tokens, portfolios, errors, clock,
    companies: new CompanyDirectory(state),
    audit,
    trustedProxies,
    log,
    onError(req, code) {
      metrics.endpointError(code);
      accessLog.refused(req, code);
    },
    ...(signingKeys ? { jwks: () => signingKeys.jwks(now()) } : {}),
  };
  const portal = config.portal.enabled ? createPortal(endpointDeps, {
    sessions,
    idleMinutes: config.portal.idleMinutes,
    sso: { config: config.users.sso, env, onceRecords: store, admit: (provider, who, clientAddress) => ssoAdmission.admit(provider, who, clientAddress) },
    replaysCredential: upstreamIdentity.sealsCredential,
  }) : undefined;
  const endpoints = createEndpoints(endpointDeps, { openApi: gatewayOpenApiDocument(config.endpoints.prefix), ...(portal ? { portal } : {}) });

  const identityNames = [...Object.values(config.identity.headers), ...config.identity.alsoStrip, config.identity.assertion.header];
  const handler = createRequestHandler({
    maxTokenBytes: config.tokens.maxTokenBytes,
    checkFraming: createFramingCheck({ maxHeaders: config.server.maxHeaders, identityNames }),
    stripIdentity: stripIdentityAndSession(createIdentityStripper(identityNames, FORWARDING_HEADERS)),
    setForwardedHeaders: createForwardedHeaders({
      trustedProxies: config.server.trustedProxies,
      upstreamHost: config.upstream.preserveHost ? undefined : target.host,
    }),
    injectIdentity: createUpstreamInjector(serviceAuthorization, now),
    validator, forwarder, errors, metrics,
    ...(replays ? { trackReplay: (req: IncomingMessage, entry: Parameters<ReplayRejections['track']>[1]) => replays.track(req, entry) } : {}),
    onTokenUse: (id) => usage.touch(id),
    endpoints,
    isStateStale: freshness ? () => freshness.isStale() : undefined,
    onFailure(req, code, err) {
      metrics.requestFailure(code === 'signing_key_unusable' ? code : 'internal');
      // The signing key logs once, when it is found (SigningKeyRing); anything else is a bug worth a line each time.
      if (code !== 'signing_key_unusable') log.error({ requestId: req.headers['x-request-id'], path: (req.url ?? '').split('?')[0], code, err: err instanceof Error ? err.message : String(err) }, 'request failed in the gateway');
    },
    onReject(req, code) {
      accessLog.refused(req, code);
      // redactPath: no query string, no token-shaped part of the path (the access log's rule).
      if (log.isLevelEnabled('debug')) log.debug({ requestId: req.headers['x-request-id'], method: req.method, path: redactPath(req.url), code }, 'request rejected');
    },
  });

  // HTTPS with server.tls (certificates re-read by reloadTls), else clear text.
  const proxyServer = createProxyListener(config.server, accessLog.wrap(handler), { maxHeaderSize: DEFAULTS.maxHeaderBytes });
  // Node keeps this many headers in req.headers; step 0a refuses requests that carry more.
  proxyServer.maxHeadersCount = config.server.maxHeaders;
  // A request Node's parser refuses (bad framing, obs-fold, bare LF, head too large) never
  // reaches the handler: answer it in our JSON shape and close (RFC 9112 §11.2).
  const clientErrorAnswers = { overflow: errors.raw('header_fields_too_large'), malformed: errors.raw('request_malformed') };
  proxyServer.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // As Node's own handler: never write into a response already under way (bytes pipelined
    // after `Connection: close`, a broken chunked body): that would corrupt it for the client.
    const inFlight = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    if (!socket.writable || err.code === 'ECONNRESET' || inFlight?.headersSent) return socket.destroy();
    socket.end(err.code === 'HPE_HEADER_OVERFLOW' ? clientErrorAnswers.overflow : clientErrorAnswers.malformed);
  });
  const drain = new ConnectionDrain(proxyServer);
  const ready = async (): Promise<Record<string, unknown>> => {
    // First: a balancer must take this instance out before its listener closes.
    if (drain.isDraining) throw new Error('shutting down');
    // Not ready while the shared state may lag: a load balancer then stops sending traffic here.
    const reason = freshness?.notReadyReason();
    if (reason) throw new Error(reason);
    // A wrong master key: every Bearer of these portfolios would be refused. A count only: the
    // admin port needs no credential; state-sync logs the ids once per change of the set.
    const n = sync.unsealable.size;
    if (n > 0) throw new Error(`master key mismatch: cannot unseal the key of ${n} portfolio${n === 1 ? '' : 's'} (their ids are in the log)`);
    // identity.upstream: assertion and the signing key in force does not open: every Bearer would get 503.
    const keyReason = signingKeys?.notReadyReason(now());
    if (keyReason) throw new Error(keyReason);
    await withTimeout(store.ping(), 2000, 'store unreachable');
    return { store: store.type, portfolios: 'loaded', ...(freshness ? { lagSeconds: Number(freshness.lagSeconds().toFixed(3)) } : {}) };
  };
  const operatorSecret = resolveOperatorSecret(config, env);
  const adminServer = createAdminServer(metrics.registry, ready,
    operatorSecret === undefined ? undefined : createOperatorApi({ secret: operatorSecret, access, errors, log }));

  const pruner = setInterval(() => state.pruneRevoked(now() / 1000, config.tokens.clockSkewSeconds), 60_000);
  pruner.unref();

  let running = config;
  async function reload(next: GatewayConfig): Promise<ReloadPlan> {
    const plan = planReload(running, next);
    // Read again even when the config is unchanged: editing the users file is the usual reason to reload.
    // Opened first, so an invalid file changes nothing.
    const nextUsers = next.users.source === 'file' || plan.applied.some((k) => k.startsWith('users.')) ? await openUserSource(next) : undefined;
    if (nextUsers) {
      // A company the new file puts under another root is reparented: its live tokens are revoked.
      const before = tree.roots(new Set([...tree.known(), ...(nextUsers.tree?.named() ?? [])]));
      const previousUsers = swappableUsers.currentSource;
      swappableUsers.replace(nextUsers);
      // Every instance: the changed users' portal sessions are deleted from the store (each use re-checks too).
      await endSessionsOfChangedUsers(previousUsers, nextUsers, sessions, managerRoleOf(running)).catch((err: unknown) =>
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'reload: could not end the portal sessions of users changed in the users file; each is refused at its next use'));
      await placement.voidMoved(before, 'users file').catch((err: unknown) =>
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'reload: could not revoke the tokens of companies moved to another portfolio; they no longer open (sealed for the old root) but list as active until they expire'));
      // The store may be away: the reload stands (logins are already refused), the failure is said.
      await revokeRemovedUsers(nextUsers, 'operator').catch((err: unknown) =>
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'reload: could not revoke the tokens of users removed from the users file; reload again once the store answers'));
    }
    state.setAllowed(next.portfolios.allowed);
    log.level = next.log.level;
    accessLog.configure(next.log);
    limiter.setLimits(next.endpoints.failedLogins);
    running = Object.freeze({
      ...running,
      users: next.users.source === 'none' ? next.users : { ...next.users, managerRole: managerRoleOf(running) },
      portfolios: next.portfolios,
      log: next.log,
      endpoints: Object.freeze({ ...running.endpoints, failedLogins: next.endpoints.failedLogins }),
    }) as GatewayConfig;
    configMetrics.reloaded('success', running);
    return plan;
  }

  return {
    get config() { return running; },
    reload,
    drain: () => drain.drain(),
    reloadTls: () => reloadServerTls(proxyServer, config.server),
    state, store, metrics, configMetrics, accessLog, validator, signingKeys, portfolios, access, tokens, users, usage, sync, freshness, ready, forwarderName, proxyServer, adminServer,
    async listen(opts) {
      const proxy = await listenOn(proxyServer, config.server.host, config.server.port, 'server.port', config.server.tls ? 'https' : 'http');
      const a = opts?.admin ?? true;
      const admin = a === true ? await listenOn(adminServer, config.admin.host, config.admin.port, 'admin.port')
        : a === 'relay' && operatorSecret !== undefined ? await listenOn(adminServer, '127.0.0.1', 0, 'operator relay port')
        : '';
      return { proxy, admin };
    },
    async close() {
      clearInterval(pruner);
      clearInterval(sessionPurger);
      if (keyRefresher) clearInterval(keyRefresher);
      sync.stop();
      freshness?.stop();
      stopSyncMetrics();
      await Promise.all([drain.close(DRAIN_MS), closeServer(adminServer)]);
      await usage.stop().catch(() => undefined);
      await forwarder.close();
      users.close();
    },
  };
}

/** How often expired portal sessions are deleted from SQLite. */
const SESSION_PURGE_MS = 5 * 60_000;

/** Step 3 also drops the portal's session cookie: the upstream never sees a portal session. */
function stripIdentityAndSession(stripIdentity: (h: IncomingMessage['headers']) => void): (h: IncomingMessage['headers']) => void {
  return (h) => {
    stripIdentity(h);
    if (h.cookie !== undefined) stripSessionCookie(h);
  };
}

/** admin.operatorToken → the secret (from the environment or a file), or undefined: operator API off. */
function resolveOperatorSecret(config: GatewayConfig, env: NodeJS.ProcessEnv): string | undefined {
  const t = config.admin.operatorToken;
  if (!t) return undefined;
  let secret: string | undefined;
  let problem: string | undefined;
  if ('fromEnv' in t) {
    secret = env[t.fromEnv];
    if (!secret) problem = `environment variable ${t.fromEnv} is not set`;
  } else {
    try {
      secret = readFileSync(t.file, 'utf8').trim();
    } catch (err) {
      problem = `cannot read ${t.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    }
  }
  if (!problem && secret !== undefined && secret.length < 32) problem = 'the operator secret must be at least 32 characters (e.g. `openssl rand -base64 32`)';
  if (problem) throw new ConfigError('<admin.operatorToken>', [{ path: 'admin.operatorToken', message: problem }]);
  return secret;
}

function resolveServiceAuthorization(config: GatewayConfig, env: NodeJS.ProcessEnv): string | undefined {
  const ua = config.identity.upstreamAuthorization;
  if (ua === 'none') return undefined;
  const value = env[ua.fromEnv];
  if (!value) {
    throw new ConfigError('<environment>', [
      { path: 'identity.upstreamAuthorization.fromEnv', message: `environment variable ${ua.fromEnv} is not set` },
    ]);
  }
  return value;
}

function listenOn(server: Server, host: string, port: number, configKey: string, scheme = 'http'): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = tagListenError(reject, configKey);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const a = server.address() as AddressInfo;
      const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      resolve(`${scheme}://${h}:${a.port}`);
    });
  });
}

/** How long requests in flight may take to finish once the listener stops accepting. */
const DRAIN_MS = 5_000;

/** The admin listener: stops accepting, lets requests in flight finish (idle keep-alive connections close at once), then cuts the rest. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const cut = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, reason: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(reason)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, () => { clearTimeout(t); reject(new Error(reason)); });
  });
}
