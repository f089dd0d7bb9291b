import { z } from 'zod';
import { BUILT_IN_SCOPES, SCOPE_NAME_PATTERN, isMethodName, parsePathPattern } from './scope-rules.js';
import { ssoSchema } from './sso-schema.js';

/**
 * The gateway's configuration: every key, its type, its default and what it is for.
 * Objects are strict, so a misspelt key stops the start instead of being ignored.
 */

export const DEFAULTS = Object.freeze({
  proxyPort: 8080,
  maxHeaders: 100,
  /** Node's default, made explicit: the whole request head, request line included. */
  maxHeaderBytes: 16_384,
  adminPort: 9464,
  upstreamUrl: 'http://127.0.0.1:8081',
  upstreamTimeoutMs: 30_000,
  upstreamConnections: 128,
  cacheMaxEntries: 100_000,
  negativeCacheMaxEntries: 10_000,
  negativeCacheTtlSeconds: 10,
  maxTokenBytes: 4096,
  clockSkewSeconds: 30,
  realm: 'highlight',
  tokenPrefix: 'hlgw_',
  maxNamedTokensPerUser: 10,
  sqlitePath: './data/hlgw.db',
  masterKeyFile: './data/master.key',
  lastUsedFlushMs: 5_000,
  /** A token's last use is recorded once per window (src/lifecycle/usage-recorder.ts). */
  lastUsedWindowMs: 60_000,
  redisResyncSeconds: 30,
  redisStaleMaxSeconds: 60,
  redisMaxLagSeconds: 5,
  managerRole: 'portfolioManager',
  userSourceTimeoutMs: 5_000,
  userCacheSeconds: 60,
  endpointsPrefix: '/auth',
  endpointsMaxBodyBytes: 16_384,
  maxFailedLogins: 10,
  failedLoginWindowSeconds: 300,
  maxFailedLoginsPerAddress: 100,
  failedLoginAddressWindowSeconds: 300,
  portalIdleMinutes: 30,
  portalAbsoluteHours: 12,
  accessSampleRate: 0.01,
  redisMinReplicasAcked: 0,
  redisReplicaAckTimeoutMs: 500,
  identityUpstream: 'headers' as const,
  rejectedCredentialSeconds: 30,
  /** Above the shipped haproxy config's detection time (2 failed checks 1 s apart). */
  shutdownDelaySeconds: 3,
  /** One request in ten: a busy edge keeps its exporter and the trace store within bounds (docs/OPERATIONS.md, "Tracing"). */
  traceSampleRatio: 0.1,
  traceServiceName: 'hlgw',
  /** A week and a day before a token expires. */
  expiringLeadMinutes: [10_080, 1_440] as readonly number[],
  webhookRetryHorizonMinutes: 1_440,
  webhookTimeoutMs: 10_000,
  webhookRetryMaxDelaySeconds: 900,
  webhookPollSeconds: 5,
  expiringScanSeconds: 60,
});

/** The webhook event types (docs/OPERATIONS.md, "Webhooks"): what `notifications.webhooks[].events` may name. */
export const WEBHOOK_EVENT_TYPES = ['token.created', 'token.expiring', 'token.revoked', 'token.leaked', 'policy.changed'] as const;

const host = z.string().min(1, 'expected a host name or address');
const port = z.number({ error: 'expected a port number' }).int('expected an integer port').min(0, 'expected a port number from 0 to 65535').max(65535, 'expected a port number from 0 to 65535').meta({ example: '8080' });
const httpUrl = z
  .string({ error: 'expected an http(s) URL' })
  .refine((s) => /^https?:\/\/[^/\s]+/i.test(s) && URL.canParse(s), 'expected an http(s) URL')
  .meta({ example: 'https://api.example.com' });
/** A PEM file's path (read at start; `hlgw check-config` checks it exists and parses). */
const pemFile = z.string().min(1, 'expected the path of a PEM file').meta({ example: '/etc/hlgw/tls/ca.pem' });

/** Header names are stored lowercase: Node gives us lowercase names. */
/** A company id, as everywhere (tokens, URLs, the users file). */
const companyId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a company id');

const upstreamMode = z.enum(['basic', 'headers', 'assertion']);

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected an HTTP header name')
  .transform((s) => s.toLowerCase());

/**
 * TLS on the proxy port (HTTP/1.1 over TLS 1.2+). Without it the port speaks clear text: then
 * terminate TLS in front (load balancer, ingress) and keep this port on loopback or a private
 * network, since passwords and tokens cross it. The files are read again on SIGHUP.
 */
const serverTlsSchema = z.strictObject({
  /** Certificate chain (leaf first) presented to clients. */
  cert: pemFile,
  /** Its private key. */
  key: pemFile,
  /** When set, every client must present a certificate issued by this CA (mutual TLS). */
  clientCa: pemFile.optional(),
});

const serverSchema = z.strictObject({
  /** Interface the proxy listens on. */
  host: host.default('127.0.0.1'),
  /** Proxy port; 0 picks a free one (tests). */
  port: port.default(DEFAULTS.proxyPort),
  /**
   * Exact peer addresses whose X-Forwarded-*, Forwarded and X-Real-IP headers are believed. From any
   * other peer X-Forwarded-For/-Proto/-Host are overwritten (-Host removed when the request has no
   * Host) and Forwarded and X-Real-IP removed.
   */
  trustedProxies: z.array(z.string().min(1)).meta({ example: '[10.0.0.5, 10.0.0.6]' }).default([]),
  /**
   * Most header fields a request may carry; more is 431 (RFC 6585 §5). Node keeps only this many
   * in `req.headers` and would silently drop the rest, framing headers included, so a body could go out unframed. The
   * default is Apache httpd's LimitRequestFields; the head is also capped at 16 KiB.
   */
  maxHeaders: z.number().int().min(16).max(1000).default(DEFAULTS.maxHeaders),
  /** TLS on this port; absent = clear text (terminate TLS in front). */
  tls: serverTlsSchema.optional(),
  /** Processes sharing the port (node:cluster); `auto` = one per CPU. */
  workers: z.union([z.number().int().min(1).max(64), z.literal('auto')], { error: 'expected a number of processes from 1 to 64, or "auto"' }).default(1),
  /**
   * On SIGTERM, how long /readyz answers 503 while this port still serves (every response then
   * says `Connection: close`) before it stops accepting: longer than the load balancer takes to
   * see the instance down (haproxy: `inter` × `fall` plus `timeout check`), so it sends nothing
   * to a closed port and no request to a connection being closed. Then requests in flight get
   * up to 5 s. SIGINT and a second SIGTERM skip the wait. 0 behind no load balancer.
   */
  shutdownDelaySeconds: z.number().min(0).max(300).default(DEFAULTS.shutdownDelaySeconds),
});

const adminSchema = z.strictObject({
  /** /metrics, /healthz and /readyz listen here, never on the public port. */
  host: host.default('127.0.0.1'),
  /** Admin port; `hlgw healthcheck` asks /readyz here, so give a fixed one where it is used. */
  port: port.default(DEFAULTS.adminPort),
  /**
   * The operator API on this port (allow or deny portfolios at runtime: GET/PUT/DELETE
   * /portfolios/{id}/allowed) is off unless this names its bearer secret: an environment
   * variable (`fromEnv`) or a file (`file`, e.g. a mounted secret), at least 32 characters.
   */
  operatorToken: z
    .union([
      z.strictObject({ fromEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name') }),
      z.strictObject({ file: z.string().min(1) }),
    ], { error: 'expected { fromEnv: VARIABLE } or { file: /path/to/secret }' })
    .meta({ example: '{ fromEnv: HLGW_OPERATOR_TOKEN }' })
    .optional(),
});

/**
 * TLS to an https:// upstream. Without it, Node's bundled CAs (plus NODE_EXTRA_CA_CERTS) decide,
 * and the name checked is upstream.url's host.
 */
const upstreamTlsSchema = z
  .strictObject({
    /** CA certificate(s) the upstream's certificate must chain to, instead of the bundled ones (a private CA). */
    ca: pemFile.optional(),
    /** Name expected in the upstream's certificate (and sent as SNI) when it is not upstream.url's host. */
    servername: z.string().min(1).meta({ example: 'api.internal.example' }).optional(),
    /** false accepts any certificate: a man in the middle then reads every token. Logged loudly at start; never in production. */
    rejectUnauthorized: z.boolean().default(true),
    /** Client certificate and its key, for an upstream that requires mutual TLS. Both or neither. */
    cert: pemFile.optional(),
    /** The client certificate's private key (with `cert`). */
    key: pemFile.optional(),
  })
  .refine((t) => (t.cert === undefined) === (t.key === undefined), { message: 'cert and key go together (mutual TLS needs both)', path: ['cert'] });

const upstreamSchema = z.strictObject({
  /** The unchanged Highlight API. */
  url: httpUrl.default(DEFAULTS.upstreamUrl),
  /** No byte from the upstream for this long → 504 (or the connection closed if headers were sent). */
  timeoutMs: z.number().int().min(1).max(3_600_000).default(DEFAULTS.upstreamTimeoutMs),
  /** Which forwarder carries requests: `undici` (faster, default) or `http-proxy`. */
  client: z.enum(['undici', 'http-proxy']).default('undici'),
  /** Keep-alive connections to the upstream. */
  connections: z.number().int().min(1).max(10_000).default(DEFAULTS.upstreamConnections),
  /** Send the client's Host header upstream (true) or the upstream URL's host (false). */
  preserveHost: z.boolean().default(false),
  /** TLS options for an https:// upstream.url: private CA, expected name, client certificate. */
  tls: upstreamTlsSchema.optional(),
});

const demoUpstreamSchema = z.strictObject({
  /** Start the embedded echo API (for trying hlgw without the real API). */
  enabled: z.boolean().default(false),
  /** Where the echo API listens; `hlgw serve` refuses it on a non-loopback address unless HLGW_ALLOW_DEMO=1. */
  host: host.default('127.0.0.1'),
  /** Its port: point upstream.url at it. */
  port: port.default(8081),
});

/** `host:port` (IPv6 in brackets: `[::1]:26379`), parsed once here. */
const hostPort = z
  .string({ error: 'expected host:port' })
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'expected host:port')
  .transform((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
  })
  .refine((a) => a.port >= 1 && a.port <= 65535, 'expected a port from 1 to 65535');

/**
 * The shared store. Exactly one of three ways to reach Redis (README "Store configurations"):
 * - `url`: one Redis (`redis://[:password@]host:port[/db]`, `rediss://` for TLS);
 * - `sentinels` + `name`: Redis Sentinel; the gateway asks the sentinels for the primary called
 *   `name` and follows it through failovers (ioredis's Sentinel support);
 * - `cluster`: Redis Cluster; a few seed nodes are enough, the rest is discovered.
 */
const redisStoreSchema = z
  .strictObject({
    /** `redis`: shared by every instance (one server, Sentinel or Cluster). */
    type: z.literal('redis'),
    /** One Redis server. */
    url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// URL').meta({ example: 'redis://:${REDIS_PASSWORD}@127.0.0.1:6379' }).optional(),
    /** Sentinel addresses (`host:port`), with `name`. */
    sentinels: z.array(hostPort).min(1, 'expected at least one sentinel').optional(),
    /** The primary's name as the sentinels know it (`sentinel monitor <name> ...`). */
    name: z.string().min(1).optional(),
    /** Cluster seed nodes (`host:port`). */
    cluster: z.array(hostPort).min(1, 'expected at least one seed node').optional(),
    /** Password of the data nodes (Sentinel and Cluster; with `url` it goes in the URL). */
    password: z.string().min(1).optional(),
    /** Password of the sentinels themselves, when they require one (`requirepass` in sentinel.conf). */
    sentinelPassword: z.string().min(1).optional(),
    /**
     * After every write the lifecycle endpoints acknowledge, `WAIT` for this many replicas to have
     * it; fewer within `replicaAckTimeoutMs` → 503 `store_not_replicated` (the write may still
     * land: it is on the primary). 0 = answer once the primary executed it. Recommended: 1 with
     * Sentinel or Cluster, so a failover cannot lose an acknowledged revocation.
     */
    minReplicasAcked: z.number().int().min(0).max(16).default(DEFAULTS.redisMinReplicasAcked),
    /** How long a write waits for its replicas. Below the 2 s command timeout. */
    replicaAckTimeoutMs: z.number().int().min(1).max(1500).default(DEFAULTS.redisReplicaAckTimeoutMs),
    /** Full resync interval, the safety net for missed pub/sub messages. */
    resyncSeconds: z.number().positive().max(3600).default(DEFAULTS.redisResyncSeconds),
    /** How long the proxy keeps serving Bearer traffic on its last known state while Redis is down. */
    staleMaxSeconds: z.number().min(0).max(86_400).default(DEFAULTS.redisStaleMaxSeconds),
    /** /readyz turns not-ready when the shared state is older than this. */
    maxLagSeconds: z.number().positive().max(3600).default(DEFAULTS.redisMaxLagSeconds),
    /** At start-up, wait this long for Redis before failing (0 = fail at once). */
    connectWaitSeconds: z.number().min(0).max(3600).default(0),
  })
  .superRefine((s, ctx) => {
    const ways = (['url', 'sentinels', 'cluster'] as const).filter((k) => s[k] !== undefined);
    if (ways.length !== 1) {
      ctx.addIssue({ code: 'custom', path: [], message: `expected exactly one of url, sentinels (+ name), cluster; got ${ways.length === 0 ? 'none' : ways.join(', ')}, e.g. url: redis://127.0.0.1:6379` });
    }
    if (s.sentinels !== undefined && s.name === undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'required with sentinels: the primary\'s name' });
    if (s.sentinels === undefined && s.name !== undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'only with sentinels' });
    if (s.sentinels === undefined && s.sentinelPassword !== undefined) ctx.addIssue({ code: 'custom', path: ['sentinelPassword'], message: 'only with sentinels' });
    if (s.url !== undefined && s.password !== undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'with url, put the password in the URL' });
  });

const storeSchema = z.discriminatedUnion('type', [
  z.strictObject({
    /** `sqlite`: one file, for a single instance (and its workers). */
    type: z.literal('sqlite'),
    /** Database file; its directory is created when missing. `:memory:` for throwaway runs. */
    path: z.string().min(1).default(DEFAULTS.sqlitePath),
  }),
  redisStoreSchema,
]);

const cacheSchema = z.strictObject({
  /** Verified tokens kept in memory (keyed by a hash of the token). */
  maxEntries: z.number().int().min(1).max(10_000_000).default(DEFAULTS.cacheMaxEntries),
  /** Recently failed tokens remembered so a flood of forgeries costs one verification each. */
  negativeMaxEntries: z.number().int().min(0).max(1_000_000).default(DEFAULTS.negativeCacheMaxEntries),
  /** How long a failed token is remembered; 0 = not at all. */
  negativeTtlSeconds: z.number().min(0).max(3600).default(DEFAULTS.negativeCacheTtlSeconds),
});

/** One rule of an operator-defined scope: these methods on paths matching one of these patterns. */
const scopeRuleSchema = z.strictObject({
  /** HTTP methods, upper case (`GET`, `POST`, ...). */
  methods: z.array(z.string().refine(isMethodName, 'expected an HTTP method in upper case, e.g. POST')).min(1).max(20),
  /** Path patterns: exact segments, `*` for one segment, `**` (last) for the rest; see the example of `scopes`. */
  paths: z.array(z.string().superRefine((s, ctx) => {
    const r = parsePathPattern(s);
    if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
  })).min(1).max(50),
});

const scopesSchema = z.record(z.string(), z.array(scopeRuleSchema).min(1).max(50)).superRefine((scopes, ctx) => {
  for (const name of Object.keys(scopes)) {
    if (!SCOPE_NAME_PATTERN.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'a scope name is 1-32 of a-z, 0-9, _ and -, starting with a letter' });
    if ((BUILT_IN_SCOPES as readonly string[]).includes(name)) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is built in and cannot be redefined` });
  }
}).meta({ example: '{ upload: [{ methods: [POST, PUT], paths: [/api/scans/*/results] }] }' });

const tokensSchema = z.strictObject({
  /** realm= in WWW-Authenticate challenges. */
  realm: z.string().min(1).regex(/^[^"\\\r\n]*$/, 'must not contain quotes or backslashes').default(DEFAULTS.realm),
  /** Longer Bearer tokens are refused with 400 before any parsing. */
  maxTokenBytes: z.number().int().min(256).max(65_536).default(DEFAULTS.maxTokenBytes),
  /** Tolerated clock difference when checking expiry. */
  clockSkewSeconds: z.number().int().min(0).max(600).default(DEFAULTS.clockSkewSeconds),
  /**
   * What every token the gateway issues starts with, so a secret scanner recognises a leaked one
   * (docs/OPERATIONS.md, "If a token leaks"). Changing it invalidates every token issued before:
   * they answer 401 invalid_token.
   */
  prefix: z.string().regex(/^[a-z0-9_]{1,15}_$/, 'expected 2 to 16 characters of a-z, 0-9 and _, ending with _').default(DEFAULTS.tokenPrefix),
  /** Live named tokens (`POST {prefix}/tokens`) one user may hold at once; the personal token is not counted. */
  maxPerUser: z.number().int().min(1).max(1000).default(DEFAULTS.maxNamedTokensPerUser),
  /**
   * Scopes a named token may be given besides the built-in `read` (GET, HEAD, OPTIONS on any path)
   * and `full` (everything): name → rules. A Bearer request no rule of its token allows is answered
   * 403 insufficient_scope by the gateway and never reaches the API.
   */
  scopes: scopesSchema.default({}),
});

const upstreamAuthorizationSchema = z.union([
  z.literal('none'),
  z.strictObject({
    /** Name of the environment variable holding the full header value, e.g. `Basic c3ZjOnB3`. */
    fromEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'),
  }),
]);

const identitySchema = z.strictObject({
  /** Header names the upstream reads the caller's identity from. Clients can never set them. */
  headers: z
    .strictObject({
      /** The token owner's user id. */
      userId: headerName.default('x-highlight-user-id'),
      /** Their login. */
      login: headerName.default('x-highlight-login'),
      /** Their company id. */
      companyId: headerName.default('x-highlight-company-id'),
      /** The token's id (token_id in the token list and the audit trail). */
      tokenId: headerName.default('x-highlight-token-id'),
      /** How the request was authenticated (`bearer`). */
      authMethod: headerName.default('x-highlight-auth-method'),
      /** The root company of the user's company (the portfolio, src/users/company-tree.ts); equals the company id without a tree. */
      portfolioId: headerName.default('x-highlight-portfolio-id'),
      /** The token's scopes, space-separated (`full` for the personal token). */
      scopes: headerName.default('x-highlight-token-scopes'),
    })
    .prefault({}),
  /** Extra names stripped from every request (the rest of the identity namespace). */
  alsoStrip: z.array(headerName).default([]),
  /**
   * What the upstream gets for a Bearer request (docs/architecture/identity.md):
   * - `basic`: the user's own `Authorization: Basic`, as given at authorize (sealed per token;
   *   the API behind stays unchanged). Users without a password (SSO) cannot use it.
   * - `headers`: the identity headers above, plus `upstreamAuthorization` when set.
   * - `assertion`: a short-lived JWT signed by the gateway, in `assertion.header`, which the API
   *   verifies against the gateway's JWKS (docs/VERIFY-ASSERTION.md).
   * Switching to `basic` needs tokens issued in `basic` mode: older ones get 401 credential_missing.
   */
  upstream: upstreamMode.default(DEFAULTS.identityUpstream),
  /**
   * Per-portfolio override of `upstream`, by root company id: `{ globex: assertion }` sends
   * Globex's tokens upstream as signed assertions while every other portfolio uses `upstream`.
   * A sub-company follows its root (src/users/company-tree.ts). Same rules per portfolio: moving
   * one to `basic` needs its tokens renewed.
   */
  upstreamByPortfolio: z.record(companyId, upstreamMode).default({}),
  /**
   * Tokens of users signed in by SSO in a portfolio whose mode is `basic`: such users have no
   * password of their own to replay. `password`: the portal asks for one the users.source knows
   * (else no token); `headers` or `assertion`: their tokens use that mode instead (the API must
   * accept it for them).
   */
  ssoUpstream: z.enum(['password', 'headers', 'assertion']).default('password'),
  /** `assertion` mode: a signed JWT per verified token (docs/architecture/identity.md; docs/VERIFY-ASSERTION.md). */
  assertion: z
    .strictObject({
      /** The request header carrying the JWT; stripped from every incoming request like the identity headers. */
      header: headerName.default('x-highlight-identity'),
      /** Signature algorithm of new keys: ES256 (P-256) or EdDSA (Ed25519). */
      alg: z.enum(['ES256', 'EdDSA']).default('ES256'),
      /** `iss` of every assertion. */
      issuer: z.string().min(1).default('hlgw'),
      /** `aud`: the API the assertion is for; the origin of upstream.url when absent. */
      audience: z.string().min(1).optional(),
      /** `exp - iat`, at most 60 s; re-signed when half of it has passed (never past the token's own expiry). */
      lifetimeSeconds: z.number().int().min(10).max(60).default(60),
      /** How often each instance reloads the key set from the store (a rotation takes effect within this). */
      keyRefreshSeconds: z.number().int().min(1).max(3600).default(30),
      /** How long a replaced key stays in the JWKS after it stopped signing (≥ lifetime + the verifiers' JWKS cache). */
      overlapSeconds: z.number().int().min(60).max(604_800).default(3600),
    })
    .prefault({}),
  /**
   * `basic`: after the API answered 401 to a replayed credential (the password changed), that
   * token gets 401 credential_rejected for this long without asking the API again. 0 = ask again.
   */
  rejectedCredentialSeconds: z.number().int().min(0).max(3600).default(DEFAULTS.rejectedCredentialSeconds),
  /** Authorization sent upstream on Bearer requests: none, or a service credential from the environment. */
  upstreamAuthorization: upstreamAuthorizationSchema.default('none'),
});

const portfoliosSchema = z.strictObject({
  /**
   * The seed of the operator's allow-list: companies allowed to use user tokens until the
   * operator API decides otherwise (a list of company ids, or "*" for all). Default: none
   * (deny); only the demo config allows "*".
   */
  allowed: z
    .union([z.literal('*'), z.array(companyId)], { error: 'expected a list of company ids or "*"' })
    .meta({ example: '[acme, globex] (a YAML list, even for one company)' })
    .default([]),
});

/** RFC 6901 JSON Pointer into the directory's answer. */
const jsonPointer = z.string().refine((p) => p === '' || (p.startsWith('/') && !/~[^01]|~$/.test(p)), 'expected a JSON pointer like /user/id');

const usersSchema = z.discriminatedUnion('source', [
  z.strictObject({
    /** No directory: the /auth endpoints refuse every Basic login (a start-up warning says so). */
    source: z.literal('none'),
    /** Identity providers for the portal's sign-in (src/config/sso-schema.ts). */
    sso: ssoSchema,
  }),
  z.strictObject({
    /** A YAML file whose `users` list holds {login, passwordHash, userId, companyId, roles}. */
    source: z.literal('file'),
    /**
     * Path of that file, read at start and again on SIGHUP (a reload, docs/OPERATIONS.md). Hashes
     * come from `hlgw hash-password`. At start and on each reload, the live tokens of users no longer
     * in it (same login, user id and company) are revoked and audited.
     */
    file: z.string().min(1).meta({ example: './config/users.yaml' }),
    /** Role marking a portfolio manager of the user's company. */
    managerRole: z.string().min(1).default(DEFAULTS.managerRole),
    /** Identity providers for the portal's sign-in (src/config/sso-schema.ts). */
    sso: ssoSchema,
  }),
  z.strictObject({
    /**
     * Ask the real API: the Basic credential is sent to upstream.url + path; 2xx valid, 401/403 invalid, else 502.
     * Such a directory cannot be listed, so a user deleted upstream keeps their token until it expires or is revoked.
     */
    source: z.literal('upstream'),
    /** Path on the upstream that answers the caller's own user record, e.g. /WS2/user. */
    path: z.string().regex(/^\/[^\s]*$/, 'expected a path starting with /').meta({ example: '/WS2/user' }),
    /** HTTP method of that request (the credential goes in its Authorization header either way). */
    method: z.enum(['GET', 'POST']).default('GET'),
    /** No answer from the directory in this long → 502. */
    timeoutMs: z.number().int().min(1).max(60_000).default(DEFAULTS.userSourceTimeoutMs),
    /** Positive answers are cached this long, keyed by a keyed hash of the credential; 0 = no cache. */
    cacheSeconds: z.number().int().min(0).max(3600).default(DEFAULTS.userCacheSeconds),
    /** Where the identity is in the JSON answer (RFC 6901 pointers). */
    pointers: z
      .strictObject({
        /** The stable user id (sent upstream as the user id header). */
        userId: jsonPointer.default('/id'),
        /** The login the portal, the token list and the audit trail show. */
        login: jsonPointer.default('/login'),
        /** The user's company id. */
        companyId: jsonPointer.default('/companyId'),
        /** An array of role names (or one string). */
        roles: jsonPointer.default('/roles'),
        /**
         * The portfolio tree: an array of company ids from the root down to the user's
         * company's direct parent (absent or empty: the company is a root). Each sign-in teaches the
         * gateway these parents; a company moved to another root has its tokens revoked. At most 16;
         * a company named twice is refused. Not set: every company is its own portfolio (or the users
         * file's tree). See docs/architecture/portfolio-tree.md.
         */
        ancestors: jsonPointer.optional().meta({ example: '/company/ancestors' }),
      })
      .prefault({}),
    /** Role marking a portfolio manager of the user's company. */
    managerRole: z.string().min(1).default(DEFAULTS.managerRole),
    /** Identity providers for the portal's sign-in (src/config/sso-schema.ts). */
    sso: ssoSchema,
  }),
]);

const endpointsSchema = z.strictObject({
  /** Path prefix of the gateway's own endpoints (token issuing, lists, policy, audit); every other path is proxied. */
  prefix: z.string().regex(/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/, 'expected a path like /auth').default(DEFAULTS.endpointsPrefix),
  /** Larger request bodies on these endpoints are refused with 413. */
  maxBodyBytes: z.number().int().min(1024).max(1_048_576).default(DEFAULTS.endpointsMaxBodyBytes),
  /**
   * Failed-login limits of the Basic logins on these endpoints. Every password check first
   * reserves a slot in both budgets, shared by all workers and (with Redis) all instances; a
   * spent budget answers 429 with Retry-After until its oldest failure leaves the window. A right
   * password clears its login's budget and costs the address nothing.
   */
  failedLogins: z
    .strictObject({
      /** Per login (compared normalised: case, Unicode, form-encoding), from any address. Strict: once spent, the right password is refused too. */
      perLogin: failedLoginBudget(DEFAULTS.maxFailedLogins, DEFAULTS.failedLoginWindowSeconds),
      /**
       * Per client address, over all logins: slows password spraying. Keep it well above
       * `perLogin`: every user behind a NAT or a CI fleet shares it, and when it is spent nobody
       * behind that address can log in until the window moves on.
       */
      perAddress: failedLoginBudget(DEFAULTS.maxFailedLoginsPerAddress, DEFAULTS.failedLoginAddressWindowSeconds),
    })
    .prefault({}),
});

/** One failed-login budget: `maxFailures` wrong passwords within a sliding window of `windowSeconds`. */
function failedLoginBudget(maxFailures: number, windowSeconds: number) {
  return z
    .strictObject({
      /** Wrong passwords allowed within the window; the next attempt answers 429. */
      maxFailures: z.number().int().min(1).max(100_000).default(maxFailures),
      /** The sliding window the failures are counted over. */
      windowSeconds: z.number().int().min(1).max(86_400).default(windowSeconds),
    })
    .prefault({});
}

const portalSchema = z.strictObject({
  /** Serve the Token Management pages under `{endpoints.prefix}/ui/` (sign-in with the users.source). */
  enabled: z.boolean().default(true),
  /** A session unused this long is over: the next call answers 401 session_required. */
  idleMinutes: z.number().int().min(1).max(24 * 60).default(DEFAULTS.portalIdleMinutes),
  /** A session is over this long after sign-in, however busy it is. */
  absoluteHours: z.number().int().min(1).max(7 * 24).default(DEFAULTS.portalAbsoluteHours),
});

const secretsSchema = z.strictObject({
  /** Master key file (32 random bytes, base64), created with mode 0600 when missing. HLGW_MASTER_KEY wins. */
  masterKeyFile: z.string().min(1).default(DEFAULTS.masterKeyFile),
});

const logSchema = z.strictObject({
  /** pino level of the gateway's own log lines (start-up, failures; `debug` adds each rejection). Reloadable (SIGHUP). */
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Access log: one JSON line per request on the proxy port (src/http/access-log.ts lists the
   * fields), `off`, `all`, or `sampled` (a random share `accessSampleRate` of requests). Written
   * whatever `level` says. Never holds Authorization, a cookie, a token, a password or a query
   * string. Reloadable (SIGHUP). Cost: bench/RESULTS.md.
   */
  access: z.enum(['off', 'all', 'sampled']).default('off'),
  /** Share of requests logged when `access: sampled`, from 0 to 1. */
  accessSampleRate: z.number().min(0).max(1).default(DEFAULTS.accessSampleRate),
  /**
   * Also write the user id of a valid Bearer token's owner in its access log line (`userId`); off
   * by default, as a user id is personal data. The token id and company are always written (not
   * secrets: they name which token was used, never open it). Reloadable (SIGHUP).
   */
  accessUserIds: z.boolean().default(false),
});

/**
 * OpenTelemetry traces (docs/OPERATIONS.md, "Tracing"): absent = off, and then the request path
 * does no tracing work at all. On: one span per request on the proxy port with children for the
 * token verification, the store read of a cache miss and the upstream call; the upstream gets a
 * W3C `traceparent` naming our span. An incoming `traceparent` is continued only from
 * `server.trustedProxies`; from anyone else a new trace starts.
 */
const tracingSchema = z.strictObject({
  /** Where the spans go: OTLP over HTTP with JSON bodies, batched. */
  otlp: z.strictObject({
    /** The collector's full traces URL (an OpenTelemetry Collector: port 4318, path /v1/traces). */
    url: httpUrl.meta({ example: 'http://otel-collector:4318/v1/traces' }),
    /** Extra headers on each export (a vendor's API key: use `${ENV}` interpolation). */
    headers: z.record(z.string(), z.string()).meta({ example: '{ x-api-key: ${OTLP_API_KEY} }' }).default({}),
  }),
  /**
   * Share of new traces recorded and exported, from 0 to 1. A trace continued from a trusted proxy
   * follows that proxy's sampled flag instead; a client's flag is never read.
   */
  sampleRatio: z.number().min(0).max(1).default(DEFAULTS.traceSampleRatio),
  /** `service.name` of the spans. */
  serviceName: z.string().min(1).default(DEFAULTS.traceServiceName),
});

const decisionSchema = z.strictObject({
  /** Where the decision listener binds (an ingress beside the gateway: loopback or a private address). */
  host: host.default('127.0.0.1'),
  /**
   * The decision mode's own listener (docs/OPERATIONS.md, "Behind nginx (decision mode)"): it answers
   * `{endpoints.prefix}/verify` only, apart from the proxy port. Off unless set; `{prefix}/verify`
   * is on the proxy port either way.
   */
  port: port.optional(),
});

/** One receiver: where the events go, the secret they are signed with, and which events it gets. */
const webhookSchema = z.strictObject({
  /** Where the events are POSTed (JSON, Standard Webhooks headers). */
  url: httpUrl.meta({ example: 'https://hooks.example.com/hlgw' }),
  /**
   * The Standard Webhooks signing secret, `whsec_` and base64 (at least 24 bytes: `whsec_$(openssl
   * rand -base64 32)`); give it through `${ENV}` interpolation, not in the file. Never logged.
   */
  secret: z.string().regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, 'expected whsec_ followed by at least 24 bytes in base64').meta({ example: '${HLGW_WEBHOOK_SECRET}' }),
  /** The event types sent to this URL, or `*` for every one. */
  events: z.union([z.literal('*'), z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1)]).default('*'),
});

/**
 * Webhooks (docs/OPERATIONS.md, "Webhooks"): token and policy changes, and tokens about to expire,
 * announced to HTTP receivers, signed (Standard Webhooks), at least once: each change writes its
 * events into the store's outbox in the same step, and one instance delivers each. No webhook: nothing is queued.
 */
const notificationsSchema = z.strictObject({
  /**
   * The receivers, each `{url, secret, events}`: the URL events are POSTed to; the Standard Webhooks
   * secret (`whsec_` and base64, at least 24 bytes; give it by `${ENV}`, never logged); the event
   * types it gets (`token.created`, `token.expiring`, `token.revoked`, `token.leaked`,
   * `policy.changed`), or `*` (the default) for all.
   */
  webhooks: z.array(webhookSchema).default([]),
  /** `token.expiring` is sent once per token for each of these leads (minutes before it expires). */
  expiringLeadMinutes: z.array(z.number().int().min(1).max(1_000_000)).max(10).default([...DEFAULTS.expiringLeadMinutes]),
  /** An event not accepted by a receiver this long after its change is dropped (counted in hlgw_webhook_deliveries_total{result="dropped"}). */
  retryHorizonMinutes: z.number().int().min(1).max(30 * 24 * 60).default(DEFAULTS.webhookRetryHorizonMinutes),
  /** The longest wait between two attempts (the wait doubles from 5 s, with jitter, up to this). */
  retryMaxDelaySeconds: z.number().int().min(5).max(86_400).default(DEFAULTS.webhookRetryMaxDelaySeconds),
  /** One POST's time limit: no 2xx answer within it is a failed attempt. */
  timeoutMs: z.number().int().min(100).max(120_000).default(DEFAULTS.webhookTimeoutMs),
  /** How often each instance claims the due events. */
  pollSeconds: z.number().min(0.1).max(3600).default(DEFAULTS.webhookPollSeconds),
  /** How often the tokens about to expire are looked for. */
  expiringScanSeconds: z.number().min(1).max(86_400).default(DEFAULTS.expiringScanSeconds),
});

const leaksSchema = z.strictObject({
  /** GitHub secret scanning's partner program: GitHub reports tokens it finds in public code. */
  github: z.strictObject({
    /**
     * GitHub secret scanning's public keys: the JSON GitHub publishes at
     * https://api.github.com/meta/public_keys/secret_scanning, saved to a file (refresh it when
     * GitHub rotates them; it is read on every report). Setting it turns on
     * `{endpoints.prefix}/leaked-tokens` on the proxy port, where GitHub posts the tokens it finds
     * (docs/OPERATIONS.md, "If a token leaks"). Off unless set.
     */
    keysFile: z.string().min(1).optional(),
  }).prefault({}),
});

export const configSchema = z.strictObject({
  server: serverSchema.prefault({}),
  admin: adminSchema.prefault({}),
  upstream: upstreamSchema.prefault({}),
  demoUpstream: demoUpstreamSchema.prefault({}),
  store: storeSchema.default({ type: 'sqlite', path: DEFAULTS.sqlitePath }),
  cache: cacheSchema.prefault({}),
  tokens: tokensSchema.prefault({}),
  identity: identitySchema.prefault({}),
  portfolios: portfoliosSchema.prefault({}),
  users: usersSchema.prefault({ source: 'none' }),
  endpoints: endpointsSchema.prefault({}),
  portal: portalSchema.prefault({}),
  secrets: secretsSchema.prefault({}),
  log: logSchema.prefault({}),
  tracing: tracingSchema.optional(),
  decision: decisionSchema.prefault({}),
  notifications: notificationsSchema.prefault({}),
  /** Leak reports from outside the gateway (the operator API's POST /tokens/leaked needs no config). */
  leaks: leaksSchema.prefault({}),
});

export type GatewayConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
