/**
 * The store seam: everything durable (portfolio policies and access decisions, company edges,
 * token records and revocations, signing keys, audit, failed-login budgets, portal sessions and
 * SSO one-time records) goes through these async roles. SQLite (one instance) and Redis (many
 * instances) implement every one; with `server.workers` the workers reach the primary's store
 * through src/cluster/relay-store.ts.
 *
 * The Bearer request path decides policy, access and revocation from TokenState (kept equal to
 * the store by src/state/state-sync.ts), but it does call the store: on every validator cache miss
 * that the state does not already refuse, the issued-id check reads TokenStore.getToken
 * (src/token/check-issued.ts; a failed read answers 503 token_store_stale). A cache hit asks the
 * store nothing; last-use times are written in batches off the path (UsageRecorder). The portal
 * and the token endpoints use the store directly (sessions, issue, revoke, audit).
 */
import type { WEBHOOK_EVENT_TYPES } from '../config/schema.js';

export interface PortfolioRecord {
  companyId: string;
  enabled: boolean;
  generation: number;
  durationMinutes: number;
  /** The derived portfolio key, encrypted with the master key (src/secrets/master-key.ts). Never the pass phrase. */
  sealedKey: string | null;
  updatedAt: number;
  /**
   * Why and when each recent generation began (newest last, at most VOIDS_KEPT): a token of
   * generation g was voided by the entry of generation g + 1. Absent in records written before it existed.
   */
  voids?: GenerationVoid[];
  /** The scopes this portfolio's users may give their named tokens; absent = every scope the gateway knows. */
  allowedScopes?: string[];
}

/** Why tokens of older generations stopped working. */
export type VoidReason = 'reset' | 'passphrase_changed' | 'denied';
/**
 * Why one token was revoked: by a DELETE / introspection revoke, by its owner's renewal, because
 * its company moved to another portfolio (`reparented`: it was sealed for the old root), or because
 * it was reported leaked (`leaked`: src/lifecycle/leak-reports.ts).
 */
export type RevokeReason = 'revoked' | 'renewed' | 'reparented' | 'leaked';

export interface GenerationVoid {
  generation: number;
  at: number;
  reason: VoidReason;
}

/** Generation changes remembered per portfolio; older voided tokens list without a time. */
export const VOIDS_KEPT = 50;

export interface TokenRecord {
  tokenId: string;
  companyId: string;
  userId: string;
  login: string;
  generation: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  /** Set with revokedAt; null in records written before it existed (they read as `revoked`). */
  revokedReason?: RevokeReason | null;
  lastUsedAt: number | null;
  /**
   * `identity.upstream: basic`: the user's own credential, AES-256-GCM under a per-token key that
   * only the token carries (src/identity/replay-credential.ts). Undecryptable with the store and
   * the master key alone. Null for tokens issued in other modes; never sent to clients.
   */
  sealedCredential?: string | null;
  /**
   * How the owner signed in when it was issued: absent = `password` (Basic or the portal's form),
   * else the SSO provider's name (src/users/sso/) and the issuer it had then. The token is
   * bound to both (src/users/sso/provider-binding.ts).
   */
  signIn?: SignIn;
  /**
   * The root company (portfolio) the token was sealed for. Its company moving to another root
   * voids it (`reparented`); the start-up sweep finds such tokens by comparing this with the tree
   * (src/lifecycle/company-placement.ts). Absent in records written before it existed.
   */
  portfolioId?: string;
  /** A named token's name (`POST {prefix}/tokens`); absent = the personal token (listed as "personal"). */
  name?: string;
  /** The scopes sealed in the token; absent = `['full']`. */
  scopes?: string[];
  /** The client address of the last use, as the gateway trusts it (src/http/forwarded-headers.ts); batched like lastUsedAt. */
  lastUsedIp?: string | null;
}

/** One token's last use, as the usage recorder batches it. */
export interface TokenUse {
  at: number;
  ip: string | null;
}

/** insertToken's options: a renewal of the personal token, or a named token within its owner's limit. */
export interface InsertTokenOptions {
  /** The personal token: the user's other active personal tokens of the portfolio are revoked atomically (renewal). */
  revokePreviousOfUser: boolean;
  now: number;
  /**
   * A named token: at most this many live named tokens of the user (this one included), and no
   * other live one of the same name; checked and written atomically (too_many_tokens, name_taken).
   */
  maxNamed?: number;
  /** Outbox events (webhooks) written in the same step as the token. */
  announce?: TokenAnnouncement;
}

/** An SSO sign-in: the provider's configured name and its issuer (OIDC `iss`, SAML entity id). */
export interface SignIn {
  provider: string;
  issuer: string;
}

/** Every audited action, in one list: the OpenAPI description's enum is built from it. */
export const AUDIT_ACTIONS = ['policy.update', 'token.issue', 'token.renew', 'token.revoke', 'portfolio.allow', 'portfolio.deny', 'company.reparent', 'session.end', 'company.claim_refused', 'token.create', 'token.leaked'] as const;
type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * One key that signs identity assertions (`identity.upstream: assertion`, src/identity/signing-keys.ts),
 * shared by every instance on the store. The private key is sealed with the master key.
 */
export interface SigningKeyRecord {
  kid: string;
  alg: 'ES256' | 'EdDSA';
  /** The public JWK (RFC 7517), as JSON: what `/.well-known/jwks.json` publishes. */
  publicJwk: string;
  /** PKCS#8 DER, sealed with the master key (context `signing-key:<kid>`). */
  sealedPrivateKey: string;
  /** Milliseconds since the epoch. Published from creation; signs from `activeFrom` on. */
  createdAt: number;
  activeFrom: number;
  /** Signs no more from here; still published for the overlap window after it. */
  retiredAt: number | null;
}

export interface AuditEvent {
  at: number;
  companyId: string;
  /** Who did it: a login, or `operator` for the CLI against the store. */
  actor: string;
  action: AuditAction;
  /** Public details only (token id, fields changed); never a secret. */
  detail: Record<string, unknown>;
  clientAddress: string | null;
}

/** One failed-login budget: at most `max` members in `key` whose time is less than `windowMs` old. */
export interface LoginBudget {
  /** Opaque and free of secrets (a hash of the login or address, built by the limiter). */
  key: string;
  max: number;
  windowMs: number;
}

/**
 * A portal sign-in (src/portal/). Stored under a SHA-256 of the session id, never the id itself:
 * a copy of the store names no usable cookie.
 */
export interface SessionRecord {
  /** base64url SHA-256 of the session id. */
  idHash: string;
  userId: string;
  login: string;
  companyId: string;
  /** Portfolio manager of companyId, as the user source said at sign-in. */
  manager: boolean;
  /** Set when the session came from an SSO provider (its tokens are bound to it); absent = password. */
  signIn?: SignIn;
  /**
   * A users-file sign-in: a fingerprint of the password hash it was made with (never the hash;
   * src/users/password-hash.ts passwordMark). Every use compares it with the file's current entry
   * (src/portal/session-binding.ts): a changed password ends the session. An upstream-directory
   * sign-in: a keyed MAC of the password (`u1.`…, src/users/upstream-password-mark.ts), compared at
   * every password the directory accepts for the login. Absent for SSO, and in records written
   * before it existed (such a session then ends).
   */
  passwordMark?: string;
  /** Milliseconds since the epoch (the injected clock). */
  createdAt: number;
  lastSeenAt: number;
  /** When it ends unless used again: min(lastSeenAt + idle, createdAt + absolute). */
  expiresAt: number;
}

/**
 * The operator's decision on one portfolio (the operator API on the admin port). It overrides
 * the config's `portfolios.allowed`, which is only the seed for portfolios without a decision.
 */
export interface AccessRecord {
  companyId: string;
  allowed: boolean;
  updatedAt: number;
}

/**
 * Kinds of one-time records (`putOnce`/`takeOnce`): an SSO sign-in started and not yet finished
 * (keyed by a hash of its pre-session cookie), and a SAML assertion id already accepted (keyed by
 * a hash of the id; the replay cache).
 */
export type OnceKind = 'sso-pending' | 'saml-assertion';

/**
 * A company's parent as the user source last taught it (the upstream probe's or an SSO
 * claim's ancestors; src/state/portfolio-tree.ts). `parent: null` = a root. `version` orders the
 * writes of every instance (the store assigns it, increasing): an instance applies an edge only
 * over an older one, so all of them converge on the store's last write whatever the delivery order.
 */
export interface CompanyEdge {
  companyId: string;
  parent: string | null;
  /**
   * Which source placed it (PlacementSource: `upstream`, or `sso:<provider>`): only that source may
   * move it (src/state/portfolio-tree.ts). Absent on edges written before sources were recorded:
   * those count as the upstream probe's (no identity provider may move them).
   */
  placedBy?: string;
  version: number;
  updatedAt: number;
}

/** One edge to write: a company, its parent (null: a root), and the source that places it. */
export interface CompanyEdgeWrite {
  companyId: string;
  parent: string | null;
  placedBy?: string;
}

/** Pushed to every instance's TokenState after a durable write. */
export type StateChange =
  | { kind: 'portfolio'; record: PortfolioRecord }
  | { kind: 'access'; record: AccessRecord }
  | { kind: 'revoked'; tokenId: string; expiresAt: number }
  | { kind: 'company'; edges: CompanyEdge[] };

/**
 * The store's roles. A consumer depends on the role it uses (a session manager on SessionStore,
 * the validator's issued-id check on TokenStore.getToken), never on the whole Store: a fat
 * interface is where features tangle. Both stores (and the workers' relay) implement every role.
 */

/** Portfolio policies, the operator's access decisions and where companies sit. */
export interface PortfolioStore {
  getPortfolio(companyId: string): Promise<PortfolioRecord | undefined>;
  listPortfolios(): Promise<PortfolioRecord[]>;
  /** Writes the policy; when `generation` grew, every token of older generations is void. `events`: outbox events, same write. */
  putPortfolio(record: PortfolioRecord, events?: readonly OutboxEvent[]): Promise<void>;

  /** The operator's allow/deny decisions (every instance applies them, like revocations). */
  listAccess(): Promise<AccessRecord[]>;
  putAccess(record: AccessRecord): Promise<void>;

  /** Learned company edges (src/state/portfolio-tree.ts), every one. */
  listCompanyEdges(): Promise<CompanyEdge[]>;
  /**
   * Writes one sign-in's chain of edges atomically under one new version (greater than every
   * version before) and announces it; resolves with the edges as written (version set).
   */
  putCompanyEdges(edges: readonly CompanyEdgeWrite[], now: number): Promise<CompanyEdge[]>;
}

/**
 * What a token write announces (webhooks, src/lifecycle/webhook-events.ts): `events` go into the
 * outbox in the same write as the change; with `renewedIdPrefix`, each token a renewal revokes
 * gets a `token.revoked` (reason `renewed`) event too, id = prefix + token id, built by the store
 * inside that write (src/store/outbox-events.ts: the one shape; the Redis script mirrors it).
 */
export interface TokenAnnouncement {
  events: readonly OutboxEvent[];
  renewedIdPrefix?: string;
}

/** Token records: issue, read, list, revoke, last use. */
export interface TokenStore {
  /**
   * Inserts a token; with `revokePreviousOfUser`, the user's other active personal tokens of the
   * portfolio are revoked atomically (renewal; named tokens are never touched). Returns the ids revoked.
   * A named token (record.name set) is checked against `maxNamed` in the same atomic step.
   */
  insertToken(record: TokenRecord, opts: InsertTokenOptions): Promise<string[]>;
  getToken(tokenId: string): Promise<TokenRecord | undefined>;
  /**
   * getToken without the promise, only on a store whose reads are synchronous (SQLite: its read
   * blocks the event loop either way). The validator's issued-id check uses it when present, so the
   * misses of a turn are settled at its end without a wait. Throws where getToken rejects.
   */
  readonly getTokenNow?: (tokenId: string) => TokenRecord | undefined;
  listTokens(companyId: string, userId?: string): Promise<TokenRecord[]>;
  /**
   * Marks it revoked (`reason` defaults to `revoked`); false when unknown or already revoked.
   * `events` go into the outbox in the same write, only when this call revoked it.
   */
  revokeToken(tokenId: string, now: number, reason?: RevokeReason, events?: readonly OutboxEvent[]): Promise<boolean>;
  /** Revoked tokens not yet expired at `now` (to rebuild TokenState). */
  listRevoked(now: number): Promise<{ tokenId: string; expiresAt: number }[]>;
  /** Batched last uses (off the hot path): the later time wins, with its address. */
  touchTokens(lastUsed: ReadonlyMap<string, TokenUse>): Promise<void>;
}

/** Assertion signing keys (`identity.upstream: assertion`). */
export interface SigningKeyStore {
  /** Every one, retired included: the caller filters by time. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /** Inserts or replaces one by kid. */
  putSigningKey(record: SigningKeyRecord): Promise<void>;
}

/** The audit trail: append-only, read newest first. */
export interface AuditStore {
  appendAudit(event: AuditEvent): Promise<void>;
  /** Newest first; `before` is an exclusive cursor returned as `next`. */
  listAudit(companyId: string, opts: { limit: number; before?: number }): Promise<{ events: (AuditEvent & { id: number })[]; next: number | null }>;
}

/**
 * Failed-login limits (src/users/login-rate-limiter.ts), shared by every worker and instance on
 * this store.
 */
export interface LoginAttemptStore {
  /**
   * Atomically: when every budget has room, adds `member` to each and resolves 0; otherwise adds
   * nothing and resolves the milliseconds until the fullest budget has room.
   */
  reserveLoginAttempt(a: { member: string; budgets: readonly LoginBudget[]; now: number }): Promise<number>;
  /** After the check: `release` takes reserved members back out (not failures), `clear` empties whole budgets (a success). */
  settleLoginAttempt(a: { release: readonly { key: string; member: string }[]; clear: readonly string[] }): Promise<void>;
}

/** Portal sessions and the SSO sign-ins' one-time records. */
export interface SessionStore {
  /** Creates or replaces a portal session (a touch rewrites lastSeenAt and expiresAt). */
  putSession(s: SessionRecord): Promise<void>;
  /** The session, or undefined when unknown; the caller checks expiresAt (the store may keep it a little longer). */
  getSession(idHash: string): Promise<SessionRecord | undefined>;
  /** True when this call deleted it (of several instances ending one session, one hears true). */
  deleteSession(idHash: string): Promise<boolean>;
  /**
   * Every live session of this user id (expired ones may be included: the caller checks
   * expiresAt), on every instance: how a change of the user ends all of their sessions.
   */
  listSessionsOfUser(userId: string): Promise<SessionRecord[]>;
  /**
   * Every live session made for this login (exactly as recorded), whatever user id it names (as
   * listSessionsOfUser): how a login the directory now answers with another user id ends the
   * sessions of the old one.
   */
  listSessionsOfLogin(login: string): Promise<SessionRecord[]>;
  /** Removes sessions expired at `now`; returns how many (Redis expires its own keys and answers 0). */
  purgeSessions(now: number): Promise<number>;

  /**
   * One-time records shared by every worker and instance (src/users/sso/): stores `value` under
   * (kind, idHash) until `expiresAt` unless a live record is already there. Resolves false, writing
   * nothing, when one is (the replay cache's "seen before"). `idHash` is a hash, never a secret.
   */
  putOnce(kind: OnceKind, idHash: string, value: string, expiresAt: number, now: number): Promise<boolean>;
  /** The live record's value, removed in the same step: of two concurrent takes, one gets it. */
  takeOnce(kind: OnceKind, idHash: string, now: number): Promise<string | undefined>;
}

/** What every instance learns of durable writes, its own and (with a shared store) the others'. */
export interface ChangeFeed {
  /** Subscribe to changes written by this or (with a shared store) any other instance. */
  onChange(listener: (change: StateChange, origin?: ChangeOrigin) => void): () => void;
  /** Present on stores shared by many instances (Redis): their connection, for lag, staleness and resync. */
  readonly connection?: StoreConnection;
}

/** The webhook event types (docs/OPERATIONS.md, "Webhooks"; the list is config/schema.ts WEBHOOK_EVENT_TYPES). */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * One event to announce. `data` holds public fields only (ids, names, reasons, times), never a
 * token, pass phrase or secret; a number under a key ending in `_at` is milliseconds since the
 * epoch (sent as an ISO 8601 string).
 */
export interface OutboxEvent {
  /** Unique; sent as `webhook-id` (receivers deduplicate on it). */
  id: string;
  type: WebhookEventType;
  /** When the change happened (ms). */
  at: number;
  /** The portfolio it belongs to (its Redis slot). */
  companyId: string;
  data: Record<string, string | number | boolean | null | string[]>;
}

/** An event waiting in the outbox, with its delivery progress. */
export interface OutboxEntry {
  event: OutboxEvent;
  /** Failed rounds so far. */
  attempts: number;
  /** The receivers that already accepted it (a retry skips them): opaque marks of their URLs, never the URLs. */
  delivered: string[];
}

/**
 * The notification outbox (src/lifecycle/webhook-dispatcher.ts): events written by the changes
 * themselves (TokenStore, PortfolioStore), claimed by one instance at a time with a lease, then
 * settled (delivered or dropped) or deferred (a retry). At least once: a lease that runs out
 * before its holder settles hands the entry to the next claimer.
 */
export interface Outbox {
  /** Up to `limit` entries due at `now`, each leased to this caller until `now + leaseMs` (no other claim sees it meanwhile). */
  claimOutbox(now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]>;
  /** Removes it: delivered everywhere, or given up. */
  settleOutbox(entry: OutboxEntry): Promise<void>;
  /** Keeps it with its progress (`attempts`, `delivered`), due again at `dueAt`. */
  deferOutbox(entry: OutboxEntry, dueAt: number): Promise<void>;
  /** Entries waiting (leased ones included). */
  outboxDepth(): Promise<number>;
  /** Unrevoked tokens whose expiresAt is in (now, now + withinMs]. */
  listExpiringTokens(now: number, withinMs: number): Promise<TokenRecord[]>;
  /**
   * `token.expiring` once per (token, lead): writes `event` and the mark in one step unless the mark
   * is there (kept until `keepUntil`); false when it was.
   */
  enqueueOnce(mark: { tokenId: string; leadMinutes: number; keepUntil: number }, event: OutboxEvent): Promise<boolean>;
}

/** Every role, plus what the process itself needs: which store, a round trip for /readyz, close. */
export interface Store extends PortfolioStore, TokenStore, SigningKeyStore, AuditStore, LoginAttemptStore, SessionStore, ChangeFeed, Outbox {
  readonly type: 'sqlite' | 'redis';
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Set on changes pushed by another instance or process; absent for this instance's own writes. */
export interface ChangeOrigin {
  /** Wall-clock milliseconds when the writer published it (propagation delay = receipt time - this). */
  publishedAt: number;
}

export interface StoreConnection {
  /** Commands can be sent and the change channel is subscribed. */
  readonly up: boolean;
  /** Called on every up/down transition. */
  onStatus(listener: (up: boolean) => void): () => void;
  /** Resolves once every change published before the call has been delivered to onChange listeners. */
  confirmPush(): Promise<void>;
}
