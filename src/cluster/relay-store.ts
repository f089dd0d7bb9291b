import type { InsertTokenOptions, TokenUse, AccessRecord, AuditEvent, ChangeOrigin, CompanyEdge, CompanyEdgeWrite, RevokeReason, LoginBudget, OnceKind, OutboxEntry, OutboxEvent, PortfolioRecord, SessionRecord, SigningKeyRecord, StateChange, Store, TokenRecord } from '../store/types.js';
import { isHlgwMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';

type Listener = (change: StateChange, origin?: ChangeOrigin) => void;

/**
 * SQLite under `server.workers`: every worker opens the same database file (WAL is safe across
 * processes), but SQLite has no change feed. This wrapper sends each change its worker wrote to
 * the primary, which passes it to every other worker (src/cluster/primary.ts); changes arriving
 * that way reach this worker's listeners like a Redis push. Everything else is the inner store.
 */
export class ClusterRelayStore implements Store {
  readonly type: Store['type'];
  private readonly listeners = new Set<Listener>();
  private readonly onMessage = (m: unknown) => {
    if (!isHlgwMessage<PrimaryMessage>(m) || m.hlgw !== 'change') return;
    this.emit(m.change, { publishedAt: m.publishedAt });
  };
  private readonly unsubscribeInner: () => void;

  constructor(private readonly inner: Store, private readonly send: (m: WorkerMessage) => void, private readonly channel: NodeJS.Process = process) {
    this.type = inner.type;
    this.unsubscribeInner = inner.onChange((change, origin) => {
      this.emit(change, origin);
      if (!origin) this.send({ hlgw: 'change', change, publishedAt: Date.now() });
    });
    channel.on('message', this.onMessage);
  }

  ping(): Promise<void> { return this.inner.ping(); }
  async close(): Promise<void> {
    this.channel.off('message', this.onMessage);
    this.unsubscribeInner();
    await this.inner.close();
  }
  getPortfolio(companyId: string): Promise<PortfolioRecord | undefined> { return this.inner.getPortfolio(companyId); }
  listPortfolios(): Promise<PortfolioRecord[]> { return this.inner.listPortfolios(); }
  putPortfolio(record: PortfolioRecord, events?: readonly OutboxEvent[]): Promise<void> { return this.inner.putPortfolio(record, events); }
  listAccess(): Promise<AccessRecord[]> { return this.inner.listAccess(); }
  putAccess(record: AccessRecord): Promise<void> { return this.inner.putAccess(record); }
  insertToken(record: TokenRecord, opts: InsertTokenOptions): Promise<string[]> { return this.inner.insertToken(record, opts); }
  listSigningKeys(): Promise<SigningKeyRecord[]> { return this.inner.listSigningKeys(); }
  putSigningKey(record: SigningKeyRecord): Promise<void> { return this.inner.putSigningKey(record); }
  getToken(tokenId: string): Promise<TokenRecord | undefined> { return this.inner.getToken(tokenId); }
  get getTokenNow(): Store['getTokenNow'] { return this.inner.getTokenNow; }
  listTokens(companyId: string, userId?: string): Promise<TokenRecord[]> { return this.inner.listTokens(companyId, userId); }
  revokeToken(tokenId: string, now: number, reason?: RevokeReason, events?: readonly OutboxEvent[]): Promise<boolean> { return this.inner.revokeToken(tokenId, now, reason, events); }
  listCompanyEdges(): Promise<CompanyEdge[]> { return this.inner.listCompanyEdges(); }
  putCompanyEdges(edges: readonly CompanyEdgeWrite[], now: number): Promise<CompanyEdge[]> { return this.inner.putCompanyEdges(edges, now); }
  listRevoked(now: number): Promise<{ tokenId: string; expiresAt: number }[]> { return this.inner.listRevoked(now); }
  touchTokens(lastUsed: ReadonlyMap<string, TokenUse>): Promise<void> { return this.inner.touchTokens(lastUsed); }
  appendAudit(event: AuditEvent): Promise<void> { return this.inner.appendAudit(event); }
  listAudit(companyId: string, opts: { limit: number; before?: number }) { return this.inner.listAudit(companyId, opts); }
  // The shared database file is the shared count: every worker reserves in the same table.
  reserveLoginAttempt(a: { member: string; budgets: readonly LoginBudget[]; now: number }): Promise<number> { return this.inner.reserveLoginAttempt(a); }
  settleLoginAttempt(a: { release: readonly { key: string; member: string }[]; clear: readonly string[] }): Promise<void> { return this.inner.settleLoginAttempt(a); }
  putSession(s: SessionRecord): Promise<void> { return this.inner.putSession(s); }
  getSession(idHash: string): Promise<SessionRecord | undefined> { return this.inner.getSession(idHash); }
  deleteSession(idHash: string): Promise<boolean> { return this.inner.deleteSession(idHash); }
  listSessionsOfUser(userId: string): Promise<SessionRecord[]> { return this.inner.listSessionsOfUser(userId); }
  listSessionsOfLogin(login: string): Promise<SessionRecord[]> { return this.inner.listSessionsOfLogin(login); }
  purgeSessions(now: number): Promise<number> { return this.inner.purgeSessions(now); }
  // The shared file: a sign-in started on one worker finishes on any.
  putOnce(kind: OnceKind, idHash: string, value: string, expiresAt: number, now: number): Promise<boolean> { return this.inner.putOnce(kind, idHash, value, expiresAt, now); }
  takeOnce(kind: OnceKind, idHash: string, now: number): Promise<string | undefined> { return this.inner.takeOnce(kind, idHash, now); }
  // The shared file's outbox: claims are atomic in it, so any worker may deliver.
  claimOutbox(now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]> { return this.inner.claimOutbox(now, leaseMs, limit); }
  settleOutbox(entry: OutboxEntry): Promise<void> { return this.inner.settleOutbox(entry); }
  deferOutbox(entry: OutboxEntry, dueAt: number): Promise<void> { return this.inner.deferOutbox(entry, dueAt); }
  outboxDepth(): Promise<number> { return this.inner.outboxDepth(); }
  listExpiringTokens(now: number, withinMs: number): Promise<TokenRecord[]> { return this.inner.listExpiringTokens(now, withinMs); }
  enqueueOnce(mark: { tokenId: string; leadMinutes: number; keepUntil: number }, event: OutboxEvent): Promise<boolean> { return this.inner.enqueueOnce(mark, event); }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: StateChange, origin?: ChangeOrigin): void {
    for (const l of this.listeners) l(change, origin);
  }
}
