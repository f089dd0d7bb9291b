import type { Logger } from 'pino';
import { MasterKeyMismatch, masterKeyMismatchMessage, type MasterKey } from '../secrets/master-key.js';
import type { ChangeFeed, PortfolioRecord, PortfolioStore, StateChange, TokenStore } from '../store/types.js';
import { tokenKey } from '../token/derive-key.js';
import type { PortfolioTree } from './portfolio-tree.js';
import type { PortfolioRuntime, TokenState } from './token-state.js';

/**
 * Keeps TokenState equal to the store: a full load at start (and on every resync), then the
 * store's change events. Everything here is off the request path.
 */
export class StateSync {
  private unsubscribe: (() => void) | undefined;
  /** Milliseconds since the epoch of the last full load (for lag metrics). */
  lastFullLoadAt = 0;
  /**
   * Portfolios whose sealed key does not open with this master key (MasterKeyMismatch): every
   * Bearer of theirs would be refused, so the instance is not ready while any is left.
   */
  readonly unsealable = new Set<string>();
  private reported = new Set<string>();

  constructor(
    /** Reads portfolios, access, edges and revocations; follows the change feed. */
    private readonly store: PortfolioStore & Pick<TokenStore, 'listRevoked'> & ChangeFeed,
    private readonly state: TokenState,
    private readonly masterKey: MasterKey,
    private readonly log: Logger,
    private readonly now: () => number,
    /** Learned company edges land here (src/state/portfolio-tree.ts). */
    private readonly tree?: PortfolioTree,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = this.store.onChange((c) => this.apply(c));
    await this.fullLoad();
  }

  stop(): void {
    this.unsubscribe?.();
  }

  async fullLoad(): Promise<void> {
    const [portfolios, revoked, access, edges] = await Promise.all([
      this.store.listPortfolios(), this.store.listRevoked(this.now()), this.store.listAccess(), this.tree ? this.store.listCompanyEdges() : [],
    ]);
    // The tree first: a policy's root and a revocation's company are read through it.
    for (const e of edges) this.tree?.apply(e);
    for (const a of access) this.state.setAccess(a.companyId, a.allowed);
    for (const p of portfolios) this.applyPortfolio(p);
    for (const r of revoked) this.state.revoke(r.tokenId, r.expiresAt / 1000);
    this.lastFullLoadAt = this.now();
    this.reportUnsealable();
  }

  apply(c: StateChange): void {
    if (c.kind === 'portfolio') {
      this.applyPortfolio(c.record);
      this.reportUnsealable();
    } else if (c.kind === 'access') this.state.setAccess(c.record.companyId, c.record.allowed);
    else if (c.kind === 'company') for (const e of c.edges) this.tree?.apply(e);
    else this.state.revoke(c.tokenId, c.expiresAt / 1000);
  }

  /** One error line naming every portfolio whose key does not open, when that list gained one (not per portfolio, not per resync). */
  private reportUnsealable(): void {
    const fresh = [...this.unsealable].some((id) => !this.reported.has(id));
    this.reported = new Set(this.unsealable);
    if (fresh) this.log.error({ companyIds: [...this.unsealable] }, masterKeyMismatchMessage([...this.unsealable]));
  }

  private applyPortfolio(r: PortfolioRecord): void {
    const current = this.state.ownPortfolio(r.companyId);
    // Never step back: a late or replayed message must not resurrect an older generation.
    if (current && current.generation > r.generation) return;
    this.unsealable.delete(r.companyId);
    this.state.setPortfolio(toRuntime(r, this.masterKey, () => this.unsealable.add(r.companyId)));
  }
}

function toRuntime(r: PortfolioRecord, masterKey: MasterKey, onMismatch: (err: MasterKeyMismatch) => void): PortfolioRuntime {
  let key: PortfolioRuntime['key'];
  if (r.sealedKey) {
    try {
      // The stored value is the stretched pass phrase; the key of this generation is derived here.
      const stretched = masterKey.unseal(r.sealedKey, r.companyId);
      key = tokenKey(stretched, masterKey, r.companyId, r.generation);
      stretched.fill(0);
    } catch (err) {
      if (!(err instanceof MasterKeyMismatch)) throw err;
      // Tokens of this portfolio are refused until the key is restored or a new pass phrase is set.
      onMismatch(err);
    }
  }
  return { companyId: r.companyId, enabled: r.enabled, generation: r.generation, durationMinutes: r.durationMinutes, key, voids: r.voids };
}
