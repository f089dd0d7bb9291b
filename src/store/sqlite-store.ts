import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { openSqlite, type SqlDatabase, type SqlQuery } from './sqlite-driver.js';
import { LOGIN_ATTEMPTS_MIGRATION, SqliteLoginAttempts } from './sqlite-login-attempts.js';
import { GatewayError } from '../errors.js';
import { newEntryJson, parseEntry, renewedEvent } from './outbox-events.js';
import type { InsertTokenOptions, TokenUse, AccessRecord, AuditEvent, CompanyEdge, CompanyEdgeWrite, GenerationVoid, LoginBudget, OnceKind, OutboxEntry, OutboxEvent, PortfolioRecord, RevokeReason, SessionRecord, SigningKeyRecord, StateChange, Store, TokenRecord } from './types.js';

/**
 * Schema migrations, applied in order; PRAGMA user_version records how far a file has got.
 * Append, never edit: a shipped migration is history.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE portfolios (
     company_id TEXT PRIMARY KEY,
     enabled INTEGER NOT NULL,
     generation INTEGER NOT NULL,
     duration_minutes INTEGER NOT NULL,
     sealed_key TEXT,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE tokens (
     token_id TEXT PRIMARY KEY,
     company_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     login TEXT NOT NULL,
     generation INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     revoked_at INTEGER,
     last_used_at INTEGER
   );
   CREATE INDEX tokens_by_user ON tokens(company_id, user_id);
   CREATE INDEX tokens_revoked ON tokens(revoked_at, expires_at) WHERE revoked_at IS NOT NULL;
   CREATE TABLE audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     company_id TEXT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     detail TEXT NOT NULL,
     client_address TEXT
   );
   CREATE INDEX audit_by_company ON audit(company_id, id);`,
  LOGIN_ATTEMPTS_MIGRATION,
  // Portal sessions (src/portal/), keyed by a hash of the session id.
  `CREATE TABLE sessions (
     id_hash TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     login TEXT NOT NULL,
     company_id TEXT NOT NULL,
     manager INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     last_seen_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX sessions_by_expiry ON sessions(expires_at);`,
  // Why a token or a generation was voided: voided tokens list with time and reason.
  `ALTER TABLE tokens ADD COLUMN revoked_reason TEXT;
   ALTER TABLE portfolios ADD COLUMN voids TEXT;`,
  // The operator's runtime allow/deny decisions, over the config's seed list.
  `CREATE TABLE portfolio_access (company_id TEXT PRIMARY KEY, allowed INTEGER NOT NULL, updated_at INTEGER NOT NULL);`,
  // identity.upstream: basic (src/identity/replay-credential.ts): ciphertext only.
  'ALTER TABLE tokens ADD COLUMN sealed_credential TEXT',
  // identity.upstream: assertion (src/identity/signing-keys.ts): the private key sealed by the master key.
  `CREATE TABLE signing_keys (
     kid TEXT PRIMARY KEY,
     alg TEXT NOT NULL,
     public_jwk TEXT NOT NULL,
     sealed_private_key TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     active_from INTEGER NOT NULL,
     retired_at INTEGER
   )`,
  // SSO (src/users/sso/): how a token's owner signed in; NULL = password.
  `ALTER TABLE tokens ADD COLUMN sign_in_provider TEXT;
   ALTER TABLE tokens ADD COLUMN sign_in_issuer TEXT;
   ALTER TABLE sessions ADD COLUMN sign_in_provider TEXT;
   ALTER TABLE sessions ADD COLUMN sign_in_issuer TEXT;`,
  // One-time records (putOnce/takeOnce): SSO pending sign-ins, seen SAML assertion ids.
  `CREATE TABLE once_records (
     kind TEXT NOT NULL,
     id_hash TEXT NOT NULL,
     value TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     PRIMARY KEY (kind, id_hash)
   );
   CREATE INDEX once_records_by_expiry ON once_records(expires_at);`,
  // The portfolio tree learned from the user source (src/state/portfolio-tree.ts): parent NULL = a root.
  `CREATE TABLE company_edges (
     company_id TEXT PRIMARY KEY,
     parent TEXT,
     version INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   )`,
  // The root a token was sealed for (TokenRecord.portfolioId): the start-up sweep of moved companies.
  'ALTER TABLE tokens ADD COLUMN portfolio_id TEXT',
  // What a portal session is bound to (SessionRecord.passwordMark), and its lookup by user.
  `ALTER TABLE sessions ADD COLUMN password_mark TEXT;
   CREATE INDEX sessions_by_user ON sessions(user_id);`,
  // Which source placed a learned edge (CompanyEdge.placedBy); NULL on older rows.
  'ALTER TABLE company_edges ADD COLUMN placed_by TEXT',
  // A login's sessions whatever user id they name (listSessionsOfLogin).
  'CREATE INDEX sessions_by_login ON sessions(login)',
  // The webhook outbox (Outbox role): entries by due time, and which (token, lead) got token.expiring.
  `CREATE TABLE outbox (
     id TEXT PRIMARY KEY,
     due_at INTEGER NOT NULL,
     entry TEXT NOT NULL
   );
   CREATE INDEX outbox_by_due ON outbox(due_at);
   CREATE TABLE expiring_sent (
     token_id TEXT NOT NULL,
     lead_minutes INTEGER NOT NULL,
     keep_until INTEGER NOT NULL,
     PRIMARY KEY (token_id, lead_minutes)
   );
   CREATE INDEX tokens_by_expiry ON tokens(expires_at) WHERE revoked_at IS NULL;`,
  // Named tokens (NULL name = the personal token), their scopes (space-separated; NULL = full), the
  // last use's client address, and the scopes a portfolio's users may choose (JSON; NULL = all).
  `ALTER TABLE tokens ADD COLUMN name TEXT;
   ALTER TABLE tokens ADD COLUMN scopes TEXT;
   ALTER TABLE tokens ADD COLUMN last_used_ip TEXT;
   ALTER TABLE portfolios ADD COLUMN allowed_scopes TEXT;`,
];

interface TokenRow {
  token_id: string; company_id: string; user_id: string; login: string; generation: number;
  created_at: number; expires_at: number; revoked_at: number | null; revoked_reason: RevokeReason | null; last_used_at: number | null;
  sealed_credential: string | null;
  sign_in_provider: string | null; sign_in_issuer: string | null;
  portfolio_id: string | null;
  name: string | null; scopes: string | null; last_used_ip: string | null;
}
/** The row an array of token columns stands for, by position (a literal: one shape, no per-key stores). */
function tokenRowOf(v: readonly unknown[]): TokenRow {
  return {
    token_id: v[0], company_id: v[1], user_id: v[2], login: v[3], generation: v[4], created_at: v[5], expires_at: v[6],
    revoked_at: v[7], revoked_reason: v[8], last_used_at: v[9], sealed_credential: v[10], sign_in_provider: v[11],
    sign_in_issuer: v[12], portfolio_id: v[13], name: v[14], scopes: v[15], last_used_ip: v[16],
  } satisfies Record<keyof TokenRow, unknown> as TokenRow;
}
/** The columns the issued-id read selects: tokenRowOf's keys, in its order (the one list of them). */
const TOKEN_COLUMNS = Object.keys(tokenRowOf([])).join(', ');
interface SessionRow {
  id_hash: string; user_id: string; login: string; company_id: string; manager: number;
  created_at: number; last_seen_at: number; expires_at: number;
  sign_in_provider: string | null; sign_in_issuer: string | null;
  password_mark: string | null;
}
interface PortfolioRow {
  company_id: string; enabled: number; generation: number; duration_minutes: number; sealed_key: string | null; updated_at: number; voids: string | null;
  allowed_scopes: string | null;
}

/** The memory map over the database file, and the page cache (KiB) of the main connection. */
const SQLITE_MMAP_BYTES = 256 * 1024 * 1024;
const SQLITE_CACHE_KIB = 32 * 1024;

/** The embedded store: one file, WAL, every acknowledged write fsynced (synchronous=FULL). */
export class SqliteStore implements Store {
  readonly type = 'sqlite' as const;
  private readonly db: SqlDatabase;
  private readonly listeners = new Set<(c: StateChange) => void>();
  /** Writes that may lose their last moments in a machine crash (failed-login budgets, last-use times): synchronous=NORMAL (see the constructor). */
  private readonly relaxedDb: SqlDatabase;
  private readonly logins: SqliteLoginAttempts;
  /** Prepared once: getToken runs on every token cache miss (only issued tokens are valid), and preparing costs more than the read. */
  private getTokenStatement: SqlQuery<[string], unknown[]> | undefined;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = openSqlite(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: a write acknowledged to a client survives a crash of the process and of the machine.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    // Every token cache miss reads one token row (the issued-id check): the file is read through
    // a memory map and a larger page cache rather than a read() per page (SQLite's defaults: no map,
    // a 2 MiB cache), measured on the bench's cold row. Address space, not memory: the kernel pages it.
    this.db.pragma(`mmap_size = ${SQLITE_MMAP_BYTES}`);
    this.db.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
    this.migrate();
    // A second connection to the same file with synchronous = NORMAL: in WAL mode its commits
    // skip the fsync, which would otherwise block the event loop for milliseconds on every failed
    // login. A process crash loses nothing; a machine crash can lose the last counts.
    this.relaxedDb = path === ':memory:' ? this.db : openSqlite(path);
    if (this.relaxedDb !== this.db) {
      this.relaxedDb.pragma('synchronous = NORMAL');
      this.relaxedDb.pragma('busy_timeout = 5000');
    }
    this.logins = new SqliteLoginAttempts(this.relaxedDb);
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.relaxedDb.open) this.relaxedDb.close();
    if (this.db.open) this.db.close();
  }

  async getPortfolio(companyId: string): Promise<PortfolioRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM portfolios WHERE company_id = ?').get(companyId) as PortfolioRow | undefined;
    return row && toPortfolio(row);
  }

  async listPortfolios(): Promise<PortfolioRecord[]> {
    return (this.db.prepare('SELECT * FROM portfolios').all() as PortfolioRow[]).map(toPortfolio);
  }

  async putPortfolio(r: PortfolioRecord, events: readonly OutboxEvent[] = []): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO portfolios (company_id, enabled, generation, duration_minutes, sealed_key, updated_at, voids, allowed_scopes)
           VALUES (@companyId, @enabled, @generation, @durationMinutes, @sealedKey, @updatedAt, @voids, @allowedScopes)
           ON CONFLICT(company_id) DO UPDATE SET enabled = excluded.enabled, generation = excluded.generation,
             duration_minutes = excluded.duration_minutes, sealed_key = excluded.sealed_key, updated_at = excluded.updated_at,
             voids = excluded.voids, allowed_scopes = excluded.allowed_scopes`,
        )
        .run({ ...r, enabled: r.enabled ? 1 : 0, voids: r.voids ? JSON.stringify(r.voids) : null, allowedScopes: r.allowedScopes ? JSON.stringify(r.allowedScopes) : null });
      this.enqueue(events);
    })();
    this.emit({ kind: 'portfolio', record: r });
  }

  async listAccess(): Promise<AccessRecord[]> {
    const rows = this.db.prepare('SELECT company_id, allowed, updated_at FROM portfolio_access').all() as { company_id: string; allowed: number; updated_at: number }[];
    return rows.map((r) => ({ companyId: r.company_id, allowed: r.allowed === 1, updatedAt: r.updated_at }));
  }

  async putAccess(r: AccessRecord): Promise<void> {
    this.db
      .prepare(`INSERT INTO portfolio_access (company_id, allowed, updated_at) VALUES (?, ?, ?)
                ON CONFLICT(company_id) DO UPDATE SET allowed = excluded.allowed, updated_at = excluded.updated_at`)
      .run(r.companyId, r.allowed ? 1 : 0, r.updatedAt);
    this.emit({ kind: 'access', record: r });
  }

  async insertToken(r: TokenRecord, opts: InsertTokenOptions): Promise<string[]> {
    // IMMEDIATE: the write lock from the first read, so two workers (or instances on one file)
    // cannot both count room for one more named token.
    const revoked = this.db.transaction(() => {
      let ids: TokenRow[] = [];
      if (r.name !== undefined) this.checkNamed(r, opts.maxNamed ?? Number.MAX_SAFE_INTEGER, opts.now);
      if (opts.revokePreviousOfUser) {
        const personal = 'company_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ? AND name IS NULL';
        ids = this.db.prepare(`SELECT * FROM tokens WHERE ${personal}`).all(r.companyId, r.userId, opts.now) as typeof ids;
        this.db.prepare(`UPDATE tokens SET revoked_at = ?, revoked_reason = 'renewed' WHERE ${personal}`).run(opts.now, r.companyId, r.userId, opts.now);
      }
      this.db
        .prepare(
          `INSERT INTO tokens (token_id, company_id, user_id, login, generation, created_at, expires_at, revoked_at, revoked_reason, last_used_at, sealed_credential, sign_in_provider, sign_in_issuer, portfolio_id, name, scopes, last_used_ip)
           VALUES (@tokenId, @companyId, @userId, @login, @generation, @createdAt, @expiresAt, @revokedAt, @revokedReason, @lastUsedAt, @sealedCredential, @signInProvider, @signInIssuer, @portfolioId, @name, @scopes, @lastUsedIp)`,
        )
        .run({
          ...withoutSignIn(r), revokedReason: r.revokedReason ?? null, sealedCredential: r.sealedCredential ?? null, signInProvider: r.signIn?.provider ?? null,
          signInIssuer: r.signIn?.issuer ?? null, portfolioId: r.portfolioId ?? null, name: r.name ?? null, scopes: r.scopes?.join(' ') ?? null, lastUsedIp: r.lastUsedIp ?? null,
        });
      const a = opts.announce;
      if (a) this.enqueue([...a.events, ...(a.renewedIdPrefix === undefined ? [] : ids.map((t) => renewedEvent(a.renewedIdPrefix!, toToken(t), opts.now)))]);
      return ids;
    }).immediate();
    for (const t of revoked) this.emit({ kind: 'revoked', tokenId: t.token_id, expiresAt: t.expires_at });
    return revoked.map((t) => t.token_id);
  }

  /** Inside insertToken's transaction: the user's live named tokens (of the current generation) leave room and the name free. */
  private checkNamed(r: TokenRecord, max: number, now: number): void {
    const live = this.db
      .prepare('SELECT name FROM tokens WHERE company_id = ? AND user_id = ? AND name IS NOT NULL AND revoked_at IS NULL AND expires_at > ? AND generation = ?')
      .all(r.companyId, r.userId, now, r.generation) as { name: string }[];
    if (live.some((t) => t.name === r.name)) throw new GatewayError('name_taken');
    if (live.length >= max) throw new GatewayError('too_many_tokens', `at most ${max}`);
  }

  async getToken(tokenId: string): Promise<TokenRecord | undefined> {
    return this.getTokenNow(tokenId);
  }

  /** An arrow (bound): the validator calls it without its object. Rows as arrays (SqlDatabase.prepareArrays). */
  readonly getTokenNow = (tokenId: string): TokenRecord | undefined => {
    this.getTokenStatement ??= this.db.prepareArrays(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE token_id = ?`);
    const values = this.getTokenStatement.get(tokenId);
    return values && toToken(tokenRowOf(values));
  };

  async listTokens(companyId: string, userId?: string): Promise<TokenRecord[]> {
    const rows = (userId === undefined
      ? this.db.prepare('SELECT * FROM tokens WHERE company_id = ? ORDER BY created_at DESC').all(companyId)
      : this.db.prepare('SELECT * FROM tokens WHERE company_id = ? AND user_id = ? ORDER BY created_at DESC').all(companyId, userId)) as TokenRow[];
    return rows.map(toToken);
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const rows = this.db.prepare('SELECT * FROM signing_keys ORDER BY active_from, kid').all() as {
      kid: string; alg: SigningKeyRecord['alg']; public_jwk: string; sealed_private_key: string; created_at: number; active_from: number; retired_at: number | null;
    }[];
    return rows.map((r) => ({
      kid: r.kid, alg: r.alg, publicJwk: r.public_jwk, sealedPrivateKey: r.sealed_private_key,
      createdAt: r.created_at, activeFrom: r.active_from, retiredAt: r.retired_at,
    }));
  }

  async putSigningKey(k: SigningKeyRecord): Promise<void> {
    this.db
      .prepare(`INSERT OR REPLACE INTO signing_keys (kid, alg, public_jwk, sealed_private_key, created_at, active_from, retired_at)
                VALUES (@kid, @alg, @publicJwk, @sealedPrivateKey, @createdAt, @activeFrom, @retiredAt)`)
      .run(k);
  }

  async revokeToken(tokenId: string, now: number, reason: RevokeReason = 'revoked', events: readonly OutboxEvent[] = []): Promise<boolean> {
    const row = this.db.transaction(() => {
      const done = this.db
        .prepare(`UPDATE tokens SET revoked_at = ?, revoked_reason = ? WHERE token_id = ? AND revoked_at IS NULL RETURNING expires_at`)
        .get(now, reason, tokenId) as { expires_at: number } | undefined;
      if (done) this.enqueue(events);
      return done;
    })();
    if (row) this.emit({ kind: 'revoked', tokenId, expiresAt: row.expires_at });
    return row !== undefined;
  }

  async listCompanyEdges(): Promise<CompanyEdge[]> {
    const rows = this.db.prepare('SELECT company_id, parent, placed_by, version, updated_at FROM company_edges').all() as { company_id: string; parent: string | null; placed_by: string | null; version: number; updated_at: number }[];
    return rows.map((r) => ({ companyId: r.company_id, parent: r.parent, ...(r.placed_by === null ? {} : { placedBy: r.placed_by }), version: r.version, updatedAt: r.updated_at }));
  }

  async putCompanyEdges(edges: readonly CompanyEdgeWrite[], now: number): Promise<CompanyEdge[]> {
    // One transaction: the chain is written whole, under a version above every one before
    // (workers sharing the file included: the write lock is held from the read on).
    const written = this.db.transaction(() => {
      const { v } = this.db.prepare('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM company_edges').get() as { v: number };
      const put = this.db.prepare(`INSERT INTO company_edges (company_id, parent, placed_by, version, updated_at) VALUES (?, ?, ?, ?, ?)
                                   ON CONFLICT(company_id) DO UPDATE SET parent = excluded.parent, placed_by = excluded.placed_by, version = excluded.version, updated_at = excluded.updated_at`);
      return edges.map((e) => {
        put.run(e.companyId, e.parent, e.placedBy ?? null, v, now);
        return { companyId: e.companyId, parent: e.parent, ...(e.placedBy === undefined ? {} : { placedBy: e.placedBy }), version: v, updatedAt: now };
      });
    }).immediate();
    this.emit({ kind: 'company', edges: written });
    return written;
  }

  async listRevoked(now: number): Promise<{ tokenId: string; expiresAt: number }[]> {
    const rows = this.db
      .prepare('SELECT token_id, expires_at FROM tokens WHERE revoked_at IS NOT NULL AND expires_at > ?')
      .all(now) as { token_id: string; expires_at: number }[];
    return rows.map((r) => ({ tokenId: r.token_id, expiresAt: r.expires_at }));
  }

  /**
   * On the NORMAL-synchronous connection, like the login counts: a last use is informational
   * (UsageRecorder already accepts losing one flush interval on a crash), and the fsync of a FULL
   * commit would block the event loop, and every request in flight, at each flush.
   */
  async touchTokens(lastUsed: ReadonlyMap<string, TokenUse>): Promise<void> {
    // The later use wins, with its address: an older batch (a retry) changes neither.
    const stmt = this.relaxedDb.prepare(`UPDATE tokens SET last_used_at = ?, last_used_ip = COALESCE(?, last_used_ip)
                                  WHERE token_id = ? AND COALESCE(last_used_at, 0) <= ?`);
    this.relaxedDb.transaction(() => {
      for (const [id, u] of lastUsed) stmt.run(u.at, u.ip, id, u.at);
    })();
  }

  async appendAudit(e: AuditEvent): Promise<void> {
    this.db
      .prepare('INSERT INTO audit (at, company_id, actor, action, detail, client_address) VALUES (?, ?, ?, ?, ?, ?)')
      .run(e.at, e.companyId, e.actor, e.action, JSON.stringify(e.detail), e.clientAddress);
  }

  async listAudit(companyId: string, opts: { limit: number; before?: number }) {
    const rows = this.db
      .prepare('SELECT * FROM audit WHERE company_id = ? AND id < ? ORDER BY id DESC LIMIT ?')
      .all(companyId, opts.before ?? Number.MAX_SAFE_INTEGER, opts.limit + 1) as {
      id: number; at: number; company_id: string; actor: string; action: AuditEvent['action']; detail: string; client_address: string | null;
    }[];
    const page = rows.slice(0, opts.limit);
    return {
      events: page.map((r) => ({
        id: r.id, at: r.at, companyId: r.company_id, actor: r.actor, action: r.action,
        detail: JSON.parse(r.detail) as Record<string, unknown>, clientAddress: r.client_address,
      })),
      next: rows.length > opts.limit ? page[page.length - 1]!.id : null,
    };
  }

  async reserveLoginAttempt(a: { member: string; budgets: readonly LoginBudget[]; now: number }): Promise<number> {
    return this.logins.reserve(a.member, a.budgets, a.now);
  }

  async settleLoginAttempt(a: { release: readonly { key: string; member: string }[]; clear: readonly string[] }): Promise<void> {
    this.logins.settle(a.release, a.clear);
  }

  async putSession(s: SessionRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO sessions (id_hash, user_id, login, company_id, manager, created_at, last_seen_at, expires_at, sign_in_provider, sign_in_issuer, password_mark)
         VALUES (@idHash, @userId, @login, @companyId, @manager, @createdAt, @lastSeenAt, @expiresAt, @signInProvider, @signInIssuer, @passwordMark)
         ON CONFLICT(id_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at, expires_at = excluded.expires_at`,
      )
      .run({
        ...withoutSignIn(s), manager: s.manager ? 1 : 0, signInProvider: s.signIn?.provider ?? null, signInIssuer: s.signIn?.issuer ?? null,
        passwordMark: s.passwordMark ?? null,
      });
  }

  async getSession(idHash: string): Promise<SessionRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id_hash = ?').get(idHash) as SessionRow | undefined;
    return r && sessionFromRow(r);
  }

  async listSessionsOfUser(userId: string): Promise<SessionRecord[]> {
    return (this.db.prepare('SELECT * FROM sessions WHERE user_id = ?').all(userId) as SessionRow[]).map(sessionFromRow);
  }

  async listSessionsOfLogin(login: string): Promise<SessionRecord[]> {
    return (this.db.prepare('SELECT * FROM sessions WHERE login = ?').all(login) as SessionRow[]).map(sessionFromRow);
  }

  async deleteSession(idHash: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(idHash).changes === 1;
  }

  async purgeSessions(now: number): Promise<number> {
    return this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now).changes;
  }

  async putOnce(kind: OnceKind, idHash: string, value: string, expiresAt: number, now: number): Promise<boolean> {
    // Sign-ins are rare: dropping the expired ones here keeps the table small without a timer.
    this.db.prepare('DELETE FROM once_records WHERE expires_at <= ?').run(now);
    return this.db
      .prepare(
        `INSERT INTO once_records (kind, id_hash, value, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(kind, id_hash) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at WHERE once_records.expires_at <= ?`,
      )
      .run(kind, idHash, value, expiresAt, now).changes === 1;
  }

  async takeOnce(kind: OnceKind, idHash: string, now: number): Promise<string | undefined> {
    // One statement: two workers taking the same record cannot both get it.
    const r = this.db.prepare('DELETE FROM once_records WHERE kind = ? AND id_hash = ? RETURNING value, expires_at').get(kind, idHash) as
      { value: string; expires_at: number } | undefined;
    return r !== undefined && r.expires_at > now ? r.value : undefined;
  }

  async claimOutbox(now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]> {
    // IMMEDIATE: the write lock from the read on, so two workers on the file never claim the same entry.
    return this.db.transaction(() => {
      const rows = this.db.prepare('SELECT id, entry FROM outbox WHERE due_at <= ? ORDER BY due_at LIMIT ?').all(now, limit) as { id: string; entry: string }[];
      const lease = this.db.prepare('UPDATE outbox SET due_at = ? WHERE id = ?');
      for (const r of rows) lease.run(now + leaseMs, r.id);
      return rows.map((r) => parseEntry(r.entry));
    }).immediate();
  }

  async settleOutbox(entry: OutboxEntry): Promise<void> {
    this.db.prepare('DELETE FROM outbox WHERE id = ?').run(entry.event.id);
  }

  async deferOutbox(entry: OutboxEntry, dueAt: number): Promise<void> {
    this.db.prepare('UPDATE outbox SET due_at = ?, entry = ? WHERE id = ?').run(dueAt, JSON.stringify(entry), entry.event.id);
  }

  async outboxDepth(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
  }

  async listExpiringTokens(now: number, withinMs: number): Promise<TokenRecord[]> {
    // The marks of tokens expired since are of no more use.
    this.db.prepare('DELETE FROM expiring_sent WHERE keep_until <= ?').run(now);
    const rows = this.db.prepare('SELECT * FROM tokens WHERE revoked_at IS NULL AND expires_at > ? AND expires_at <= ?').all(now, now + withinMs) as TokenRow[];
    return rows.map(toToken);
  }

  async enqueueOnce(mark: { tokenId: string; leadMinutes: number; keepUntil: number }, event: OutboxEvent): Promise<boolean> {
    return this.db.transaction(() => {
      const fresh = this.db.prepare('INSERT OR IGNORE INTO expiring_sent (token_id, lead_minutes, keep_until) VALUES (?, ?, ?)')
        .run(mark.tokenId, mark.leadMinutes, mark.keepUntil).changes === 1;
      if (fresh) this.enqueue([event]);
      return fresh;
    }).immediate();
  }

  /** Inside the caller's transaction: the events are written with the change or not at all. */
  private enqueue(events: readonly OutboxEvent[]): void {
    if (events.length === 0) return;
    const put = this.db.prepare('INSERT OR IGNORE INTO outbox (id, due_at, entry) VALUES (?, ?, ?)');
    for (const e of events) put.run(e.id, e.at, newEntryJson(e));
  }

  onChange(listener: (c: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(c: StateChange): void {
    for (const l of this.listeners) l(c);
  }
}

function toPortfolio(r: PortfolioRow): PortfolioRecord {
  return {
    companyId: r.company_id, enabled: r.enabled === 1, generation: r.generation,
    durationMinutes: r.duration_minutes, sealedKey: r.sealed_key, updatedAt: r.updated_at,
    ...(r.voids ? { voids: JSON.parse(r.voids) as GenerationVoid[] } : {}),
    ...(r.allowed_scopes ? { allowedScopes: JSON.parse(r.allowed_scopes) as string[] } : {}),
  };
}

function toToken(r: TokenRow): TokenRecord {
  const t: TokenRecord = {
    tokenId: r.token_id, companyId: r.company_id, userId: r.user_id, login: r.login, generation: r.generation,
    createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at, revokedReason: r.revoked_reason, lastUsedAt: r.last_used_at,
  };
  // Present only when there is one: records of other modes read exactly as before. Assigned, not
  // spread: this runs on every token cache miss (the issued-id check).
  if (r.sealed_credential) t.sealedCredential = r.sealed_credential;
  if (r.sign_in_provider !== null) t.signIn = { provider: r.sign_in_provider, issuer: r.sign_in_issuer ?? '' };
  if (r.portfolio_id !== null) t.portfolioId = r.portfolio_id;
  if (r.name !== null) t.name = r.name;
  if (r.scopes !== null) t.scopes = r.scopes.split(' ');
  if (r.last_used_ip !== null) t.lastUsedIp = r.last_used_ip;
  return t;
}

/** better-sqlite3 binds named parameters from plain values only: the nested sign-in goes in as two columns. */
function withoutSignIn<T extends { signIn?: unknown }>(r: T): Omit<T, 'signIn'> {
  const { signIn: _signIn, ...rest } = r;
  return rest;
}

function sessionFromRow(r: SessionRow): SessionRecord {
  return {
    idHash: r.id_hash, userId: r.user_id, login: r.login, companyId: r.company_id, manager: r.manager === 1,
    createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at,
    ...(r.sign_in_provider !== null ? { signIn: { provider: r.sign_in_provider, issuer: r.sign_in_issuer ?? '' } } : {}),
    ...(r.password_mark !== null ? { passwordMark: r.password_mark } : {}),
  };
}
