import { randomBytes } from 'node:crypto';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { RedisConnection, results, type ReplicaAcks, type Written } from './redis-connection.js';
import { RedisKeys, tokenFields, tokenFromHash } from './redis-keys.js';
import { reserveLogin, settleLogin } from './redis-login-attempts.js';
import { defineOutboxScripts, outboxArgs, RedisOutbox } from './redis-outbox.js';
import { APPEND_AUDIT_LUA, INDEX_SESSION_LUA, INSERT_TOKEN_LUA, PUT_COMPANY_EDGES_LUA, PUT_PORTFOLIO_LUA, RESERVE_LOGIN_LUA, REVOKE_LUA, TOUCH_LUA } from './redis-scripts.js';
import type { RedisTarget } from './redis-target.js';
import type { InsertTokenOptions, TokenUse, AccessRecord, AuditEvent, ChangeOrigin, CompanyEdge, CompanyEdgeWrite, LoginBudget, OnceKind, OutboxEntry, OutboxEvent, PortfolioRecord, RevokeReason, SessionRecord, SigningKeyRecord, StateChange, Store, TokenRecord } from './types.js';

type ChangeListener = (change: StateChange, origin?: ChangeOrigin) => void;

/**
 * The scripts, defined once per client and called by SHA (ioredis falls back to EVAL on
 * NOSCRIPT, per node in a Cluster); queued on pipelines, so a write and its WAIT travel together.
 */
interface Scripted extends ChainableCommander {
  hlgwPutPortfolio(portfolioKey: string, outboxKey: string, entriesKey: string, json: string, channel: string, message: string, ...events: string[]): Scripted;
  hlgwRevoke(tokenKey: string, revokedKey: string, outboxKey: string, entriesKey: string, now: string, tokenId: string, channel: string, origin: string, ts: string, reason: string, ...events: string[]): Scripted;
  hlgwPutCompanyEdges(edgesKey: string, ...args: string[]): Scripted;
  hlgwInsertToken(...args: string[]): Scripted;
  hlgwTouch(tokenKey: string, at: string, ip: string): Scripted;
  hlgwAppendAudit(seqKey: string, auditKey: string, json: string): Scripted;
}
/** Called on the client itself (no pipeline). */
interface IndexSession {
  hlgwIndexSession(indexKey: string, idHash: string, ttl: string): Promise<unknown>;
}
const scripted = (p: ChainableCommander) => p as Scripted;

export interface RedisStoreOptions {
  /** Where Redis is: a `redis://` URL (one server) or a target from the config (Sentinel, Cluster). */
  url?: string;
  target?: RedisTarget;
  /** store.minReplicasAcked / replicaAckTimeoutMs: WAIT after every acknowledged write. */
  acks?: ReplicaAcks;
  /** Key and channel prefix; several deployments (or test runs) can share one Redis. */
  prefix?: string;
  /** At start-up, keep trying this long before failing. */
  connectWaitSeconds?: number;
  log: Logger;
}

/**
 * The shared store: many instances, one Redis. Every write is acknowledged only once Redis has
 * executed it (with AOF, once it is in the log), and is published on the change channel in the
 * same atomic step; each instance applies the changes it receives (onChange) and resyncs in full
 * periodically and after a reconnect (src/state/state-freshness.ts).
 */
export class RedisStore implements Store {
  readonly type = 'redis' as const;
  /** This instance, to skip our own messages (our listeners already had them, synchronously). */
  private readonly origin = randomBytes(8).toString('hex');
  private readonly listeners = new Set<ChangeListener>();
  private readonly keys: RedisKeys;
  private conn!: RedisConnection;
  private outbox!: RedisOutbox;

  private constructor(prefix: string, private readonly log: Logger) {
    this.keys = new RedisKeys(prefix);
  }

  static async open(o: RedisStoreOptions): Promise<RedisStore> {
    const store = new RedisStore(o.prefix ?? 'hlgw', o.log);
    const target: RedisTarget = o.target ?? { kind: 'single', url: o.url! };
    store.conn = await RedisConnection.open(target, store.keys.channel, (t) => store.receive(t), o.log, o.connectWaitSeconds ?? 0, o.acks);
    const r = store.conn.cmd;
    r.defineCommand('hlgwPutPortfolio', { numberOfKeys: 3, lua: PUT_PORTFOLIO_LUA });
    r.defineCommand('hlgwRevoke', { numberOfKeys: 4, lua: REVOKE_LUA });
    r.defineCommand('hlgwInsertToken', { numberOfKeys: 7, lua: INSERT_TOKEN_LUA });
    defineOutboxScripts(r);
    store.outbox = new RedisOutbox(store.conn, store.keys);
    r.defineCommand('hlgwTouch', { numberOfKeys: 1, lua: TOUCH_LUA });
    r.defineCommand('hlgwAppendAudit', { numberOfKeys: 2, lua: APPEND_AUDIT_LUA });
    r.defineCommand('hlgwReserveLogin', { numberOfKeys: 1, lua: RESERVE_LOGIN_LUA });
    r.defineCommand('hlgwPutCompanyEdges', { numberOfKeys: 1, lua: PUT_COMPANY_EDGES_LUA });
    r.defineCommand('hlgwIndexSession', { numberOfKeys: 1, lua: INDEX_SESSION_LUA });
    return store;
  }

  get connection(): RedisConnection {
    return this.conn;
  }

  private get r(): Redis | Cluster {
    return this.conn.cmd;
  }

  async ping(): Promise<void> {
    await this.conn.run(() => this.r.ping());
  }

  async close(): Promise<void> {
    this.conn.close();
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const all = await this.conn.run(() => this.r.hvals(this.keys.signingKeys));
    return all.map((j) => JSON.parse(j) as SigningKeyRecord).sort((a, b) => a.activeFrom - b.activeFrom || (a.kid < b.kid ? -1 : 1));
  }

  async putSigningKey(record: SigningKeyRecord): Promise<void> {
    confirmed(await this.conn.write((p) => p.hset(this.keys.signingKeys, record.kid, JSON.stringify(record))));
  }

  async getPortfolio(companyId: string): Promise<PortfolioRecord | undefined> {
    const json = await this.conn.run(() => this.r.get(this.keys.portfolio(companyId)));
    return json === null ? undefined : (JSON.parse(json) as PortfolioRecord);
  }

  async listPortfolios(): Promise<PortfolioRecord[]> {
    return this.conn.run(async () => {
      const ids = await this.r.smembers(this.keys.portfolios);
      const json = await this.conn.many<string | null>(ids.length, (p, i) => p.get(this.keys.portfolio(ids[i]!)));
      return json.flatMap((j) => (j === null ? [] : [JSON.parse(j) as PortfolioRecord]));
    });
  }

  async putPortfolio(record: PortfolioRecord, events: readonly OutboxEvent[] = []): Promise<void> {
    // The index first (idempotent): a reader that sees the record also finds it in the index.
    // Every step is written before a shortfall of replicas is reported: the change is whole on the primary.
    const index = await this.conn.write((p) => p.sadd(this.keys.portfolios, record.companyId));
    // SET, PUBLISH and the outbox in one script: written, announced and queued together.
    const c = record.companyId;
    const w = await this.conn.write((p) => scripted(p).hlgwPutPortfolio(
      this.keys.portfolio(c), this.keys.outbox(c), this.keys.outboxEntries(c), JSON.stringify(record), this.keys.channel,
      this.message([{ kind: 'portfolio', record }]), ...outboxArgs(events),
    ));
    this.emit({ kind: 'portfolio', record });
    confirmed(index, w);
  }

  async listAccess(): Promise<AccessRecord[]> {
    const all = await this.conn.run(() => this.r.hgetall(this.keys.access));
    return Object.values(all).map((j) => JSON.parse(j) as AccessRecord);
  }

  /** Written, then announced, in one pipeline (one slot on a Cluster), with WAIT like every write. */
  async putAccess(record: AccessRecord): Promise<void> {
    const w = await this.conn.write((p) => p
      .hset(this.keys.access, record.companyId, JSON.stringify(record))
      .publish(this.keys.channel, this.message([{ kind: 'access', record }])));
    this.emit({ kind: 'access', record });
    confirmed(w);
  }

  async insertToken(record: TokenRecord, opts: InsertTokenOptions): Promise<string[]> {
    const c = record.companyId;
    // The global indexes first (two slots of their own in a Cluster), then the portfolio's slot.
    const indexes = await Promise.all([
      this.conn.write((p) => p.sadd(this.keys.portfolios, c)),
      this.conn.write((p) => p.hset(this.keys.tokenPortfolio, record.tokenId, c)),
    ]);
    const events = opts.announce?.events ?? [];
    let w: Written;
    try {
      w = await this.conn.write((p) => scripted(p).hlgwInsertToken(
        this.keys.token(c, record.tokenId), this.keys.user(c, record.userId), this.keys.revoked(c), this.keys.tokens(c),
        this.keys.expiry(c), this.keys.outbox(c), this.keys.outboxEntries(c),
        opts.revokePreviousOfUser ? '1' : '0', String(opts.now), record.tokenId, String(record.createdAt),
        this.keys.tokenPrefix(c), this.keys.channel, this.origin, String(Date.now()),
        String(events.length), opts.announce?.renewedIdPrefix ?? '',
        record.name ?? '', String(opts.maxNamed ?? Number.MAX_SAFE_INTEGER), String(record.generation), ...outboxArgs(events), ...tokenFields(record),
      ));
    } catch (err) {
      throw await this.refusedInsert(err, record.tokenId);
    }
    const revoked = w.results[0] as string[];
    const ids: string[] = [];
    for (let i = 0; i + 1 < revoked.length; i += 2) {
      ids.push(revoked[i]!);
      this.emit({ kind: 'revoked', tokenId: revoked[i]!, expiresAt: Number(revoked[i + 1]) });
    }
    confirmed(...indexes, w);
    return ids;
  }

  /** A named token refused by the script: its id leaves the global index again; the refusal as a GatewayError. */
  private async refusedInsert(err: unknown, tokenId: string): Promise<unknown> {
    const message = err instanceof Error ? err.message : '';
    const code = message.includes('HLGW_NAME_TAKEN') ? 'name_taken' : message.includes('HLGW_LIMIT') ? 'too_many_tokens' : undefined;
    if (code === undefined) return err;
    await this.conn.write((p) => p.hdel(this.keys.tokenPortfolio, tokenId));
    return new GatewayError(code);
  }

  async getToken(tokenId: string): Promise<TokenRecord | undefined> {
    return this.conn.run(async () => {
      const c = await this.r.hget(this.keys.tokenPortfolio, tokenId);
      if (c === null) return undefined;
      return tokenFromHash(await this.r.hgetall(this.keys.token(c, tokenId)));
    });
  }

  async listTokens(companyId: string, userId?: string): Promise<TokenRecord[]> {
    return this.conn.run(async () => {
      const ids = userId === undefined
        ? await this.r.zrange(this.keys.tokens(companyId), '0', '-1')
        : await this.r.smembers(this.keys.user(companyId, userId));
      // One portfolio, one slot: one pipeline even on a Cluster.
      const p = this.r.pipeline();
      for (const id of ids) p.hgetall(this.keys.token(companyId, id));
      const records = (ids.length === 0 ? [] : results<Record<string, string>>(await p.exec())).flatMap((h) => { const t = tokenFromHash(h); return t ? [t] : []; });
      return records.sort((a, b) => b.createdAt - a.createdAt || (a.tokenId < b.tokenId ? 1 : -1));
    });
  }

  async revokeToken(tokenId: string, now: number, reason: RevokeReason = 'revoked', events: readonly OutboxEvent[] = []): Promise<boolean> {
    const c = await this.conn.run(() => this.r.hget(this.keys.tokenPortfolio, tokenId));
    if (c === null) return false;
    const w = await this.conn.write((p) => scripted(p).hlgwRevoke(
      this.keys.token(c, tokenId), this.keys.revoked(c), this.keys.outbox(c), this.keys.outboxEntries(c),
      String(now), tokenId, this.keys.channel, this.origin, String(Date.now()), reason, ...outboxArgs(events),
    ));
    const result = w.results[0] as string | null;
    // Applied here before any error: the write is on the primary and announced to the others.
    if (result !== null) this.emit({ kind: 'revoked', tokenId, expiresAt: Number(result) });
    confirmed(w);
    return result !== null;
  }

  async listCompanyEdges(): Promise<CompanyEdge[]> {
    const all = await this.conn.run(() => this.r.hgetall(this.keys.companyEdges));
    return Object.entries(all).flatMap(([k, j]) => (k.startsWith('#') ? [] : [JSON.parse(j) as CompanyEdge]));
  }

  /** Written, versioned and announced by one script (one key: one slot on a Cluster), with WAIT like every write. */
  async putCompanyEdges(edges: readonly CompanyEdgeWrite[], now: number): Promise<CompanyEdge[]> {
    const w = await this.conn.write((p) => scripted(p).hlgwPutCompanyEdges(
      this.keys.companyEdges, this.keys.channel, this.origin, String(Date.now()), String(now),
      ...edges.flatMap((e) => [e.companyId, e.parent ?? '', e.placedBy ?? '']),
    ));
    const version = Number(w.results[0]);
    const written = edges.map((e) => ({ companyId: e.companyId, parent: e.parent, ...(e.placedBy === undefined ? {} : { placedBy: e.placedBy }), version, updatedAt: now }));
    this.emit({ kind: 'company', edges: written });
    confirmed(w);
    return written;
  }

  async listRevoked(now: number): Promise<{ tokenId: string; expiresAt: number }[]> {
    return this.conn.run(async () => {
      const ids = await this.r.smembers(this.keys.portfolios);
      const all = await this.conn.many<string[]>(ids.length, (p, i) => p.zrangebyscore(this.keys.revoked(ids[i]!), `(${now}`, '+inf', 'WITHSCORES'));
      const out: { tokenId: string; expiresAt: number }[] = [];
      for (const flat of all) {
        for (let i = 0; i + 1 < flat.length; i += 2) out.push({ tokenId: flat[i]!, expiresAt: Number(flat[i + 1]) });
      }
      return out;
    });
  }

  async touchTokens(lastUsed: ReadonlyMap<string, TokenUse>): Promise<void> {
    if (lastUsed.size === 0) return;
    await this.conn.run(async () => {
      const ids = [...lastUsed.keys()];
      const companies = await this.r.hmget(this.keys.tokenPortfolio, ...ids);
      const known = ids.flatMap((id, i) => (companies[i] ? [[id, companies[i]!] as const] : []));
      // Not WAITed for: last-use times are bookkeeping nobody was promised.
      await this.conn.many(known.length, (p, i) => {
        const u = lastUsed.get(known[i]![0])!;
        return scripted(p).hlgwTouch(this.keys.token(known[i]![1], known[i]![0]), String(u.at), u.ip ?? '');
      });
    });
  }

  async appendAudit(e: AuditEvent): Promise<void> {
    const json = JSON.stringify({ at: e.at, companyId: e.companyId, actor: e.actor, action: e.action, detail: e.detail, clientAddress: e.clientAddress });
    confirmed(await this.conn.write((p) => scripted(p).hlgwAppendAudit(this.keys.auditSeq(e.companyId), this.keys.audit(e.companyId), json)));
  }

  async listAudit(companyId: string, opts: { limit: number; before?: number }) {
    const members = await this.conn.run(() =>
      this.r.zrevrangebyscore(this.keys.audit(companyId), opts.before === undefined ? '+inf' : `(${opts.before}`, '-inf', 'LIMIT', 0, opts.limit + 1),
    );
    const events = members.slice(0, opts.limit).map((m) => {
      const bar = m.indexOf('|');
      return { id: Number(m.slice(0, bar)), ...(JSON.parse(m.slice(bar + 1)) as AuditEvent) };
    });
    return { events, next: members.length > opts.limit ? events[events.length - 1]!.id : null };
  }

  async reserveLoginAttempt(a: { member: string; budgets: readonly LoginBudget[]; now: number }): Promise<number> {
    return reserveLogin(this.conn, this.keys, a.member, a.budgets, a.now);
  }

  async settleLoginAttempt(a: { release: readonly { key: string; member: string }[]; clear: readonly string[] }): Promise<void> {
    await settleLogin(this.conn, this.keys, a.release, a.clear);
  }

  /**
   * Sessions expire in Redis itself (PEXPIRE = the session's remaining life by the gateway's clock),
   * so every instance sees the same session and nothing needs purging.
   */
  async putSession(s: SessionRecord): Promise<void> {
    const ttl = Math.max(1, s.expiresAt - s.lastSeenAt);
    await this.conn.run(() => this.r.set(this.keys.session(s.idHash), JSON.stringify(s), 'PX', ttl));
    // A separate key (another Cluster slot): indexed after the write, so the index never lacks a live session.
    const index = this.r as unknown as IndexSession;
    for (const key of [this.keys.userSessions(s.userId), this.keys.loginSessions(s.login)]) {
      await this.conn.run(() => index.hlgwIndexSession(key, s.idHash, String(ttl)));
    }
  }

  listSessionsOfUser(userId: string): Promise<SessionRecord[]> {
    return this.listIndexedSessions(this.keys.userSessions(userId), (r) => r.userId === userId);
  }

  listSessionsOfLogin(login: string): Promise<SessionRecord[]> {
    return this.listIndexedSessions(this.keys.loginSessions(login), (r) => r.login === login);
  }

  /** The sessions an index names that are still there and still `belong` to it. */
  private listIndexedSessions(index: string, belong: (r: SessionRecord) => boolean): Promise<SessionRecord[]> {
    return this.conn.run(async () => {
      const ids = await this.r.smembers(index);
      const json = await this.conn.many<string | null>(ids.length, (p, i) => p.get(this.keys.session(ids[i]!)));
      // Ended or expired sessions leave their id behind: drop those from the index.
      const gone = ids.filter((_, i) => json[i] === null);
      if (gone.length > 0) await this.r.srem(index, ...gone);
      return json.flatMap((j) => (j === null ? [] : [JSON.parse(j) as SessionRecord])).filter(belong);
    });
  }

  async getSession(idHash: string): Promise<SessionRecord | undefined> {
    const json = await this.conn.run(() => this.r.get(this.keys.session(idHash)));
    return json === null ? undefined : (JSON.parse(json) as SessionRecord);
  }

  async deleteSession(idHash: string): Promise<boolean> {
    return (await this.conn.run(() => this.r.del(this.keys.session(idHash)))) === 1;
  }

  async purgeSessions(): Promise<number> {
    return 0;
  }

  claimOutbox(now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]> { return this.outbox.claim(now, leaseMs, limit); }
  settleOutbox(entry: OutboxEntry): Promise<void> { return this.outbox.settle(entry); }
  deferOutbox(entry: OutboxEntry, dueAt: number): Promise<void> { return this.outbox.defer(entry, dueAt); }
  outboxDepth(): Promise<number> { return this.outbox.depth(); }
  listExpiringTokens(now: number, withinMs: number): Promise<TokenRecord[]> { return this.outbox.listExpiring(now, withinMs); }
  enqueueOnce(mark: { tokenId: string; leadMinutes: number; keepUntil: number }, event: OutboxEvent): Promise<boolean> { return this.outbox.enqueueOnce(mark, event); }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * SET NX with the record's remaining life by the gateway's clock: Redis drops it itself. The
   * expiry also travels in the value, so a take checks it against the same clock as SQLite does.
   */
  async putOnce(kind: OnceKind, idHash: string, value: string, expiresAt: number, now: number): Promise<boolean> {
    const ttl = Math.max(1, expiresAt - now);
    return (await this.conn.run(() => this.r.set(this.keys.once(kind, idHash), `${expiresAt}|${value}`, 'PX', ttl, 'NX'))) === 'OK';
  }

  /** GETDEL (Redis 6.2): read and remove in one command, so only one taker gets the record. */
  async takeOnce(kind: OnceKind, idHash: string, now: number): Promise<string | undefined> {
    const raw = await this.conn.run(() => this.r.getdel(this.keys.once(kind, idHash)));
    if (raw === null) return undefined;
    const bar = raw.indexOf('|');
    return Number(raw.slice(0, bar)) > now ? raw.slice(bar + 1) : undefined;
  }

  private message(changes: StateChange[]): string {
    return JSON.stringify({ v: 1, origin: this.origin, ts: Date.now(), changes });
  }

  /** A message from the change channel (ours included: skipped, our listeners already had it). */
  private receive(text: string): void {
    let m: { v?: unknown; origin?: unknown; ts?: unknown; changes?: unknown };
    try {
      m = JSON.parse(text) as typeof m;
    } catch {
      return this.log.warn('ignored a malformed message on the change channel');
    }
    if (m.v !== 1 || m.origin === this.origin || !Array.isArray(m.changes)) return;
    const origin: ChangeOrigin = { publishedAt: typeof m.ts === 'number' ? m.ts : Date.now() };
    for (const c of m.changes as unknown[]) {
      if (isStateChange(c)) this.emit(c, origin);
      else this.log.warn('ignored a malformed change on the change channel');
    }
  }

  private emit(c: StateChange, origin?: ChangeOrigin): void {
    for (const l of this.listeners) {
      try {
        l(c, origin);
      } catch (err) {
        this.log.error({ err: String(err) }, 'state change listener failed');
      }
    }
  }
}

/** Throws store_not_replicated when too few replicas confirmed any of the writes (store.minReplicasAcked). */
function confirmed(...ws: Written[]): void {
  const short = ws.find((w) => w.unconfirmed);
  if (short) throw short.unconfirmed;
}

function isStateChange(c: unknown): c is StateChange {
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string, unknown>;
  if (o.kind === 'access') {
    const r = o.record as Record<string, unknown> | null;
    return typeof r === 'object' && r !== null && typeof r.companyId === 'string' && typeof r.allowed === 'boolean';
  }
  if (o.kind === 'revoked') return typeof o.tokenId === 'string' && typeof o.expiresAt === 'number';
  if (o.kind === 'company') {
    return Array.isArray(o.edges) && o.edges.every((e: unknown) => {
      const r = e as Record<string, unknown> | null;
      return typeof r === 'object' && r !== null && typeof r.companyId === 'string' && (r.parent === null || typeof r.parent === 'string')
        && (r.placedBy === undefined || typeof r.placedBy === 'string') && typeof r.version === 'number';
    });
  }
  if (o.kind === 'portfolio') {
    const r = o.record as Record<string, unknown> | null;
    return typeof r === 'object' && r !== null && typeof r.companyId === 'string' && typeof r.generation === 'number' && typeof r.enabled === 'boolean';
  }
  return false;
}
