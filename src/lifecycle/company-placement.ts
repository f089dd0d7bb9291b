import { GatewayError, isGatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { PLACED_BY_FILE, type PlacementSource, type PortfolioTree } from '../state/portfolio-tree.js';
import type { PortfolioStore, TokenRecord, TokenStore } from '../store/types.js';
import type { AuditTrail } from './audit-trail.js';

export interface CompanyPlacementDeps {
  /** Writes the learned edges; reads a moved company's tokens (to revoke them). */
  store: Pick<PortfolioStore, 'putCompanyEdges'> & Pick<TokenStore, 'listTokens'>;
  tree: PortfolioTree;
  /** Revokes one token with reason `reparented`; true when this call revoked it. */
  revoke(tokenId: string): Promise<boolean>;
  audit: Pick<AuditTrail, 'record'>;
  now: () => number;
  log: Logger;
}

/** Who made the claim (for the audit of a refusal). */
export interface ClaimContext {
  userId: string;
  clientAddress: string | null;
}

/** Why a company's root changed: a sign-in taught another parent, or the users file was reloaded. */
export type ReparentCause = 'sign-in' | 'users file';

/**
 * Where companies sit, as sign-ins teach it, and what a move costs: a company whose root
 * changes has its live tokens revoked (`reparented`: they were sealed with the old root's key), on
 * every instance through the store, and audited. The cached copies stop at once anyway
 * (checkClaims compares the root they were opened for); the revocation makes it durable and visible.
 */
export class CompanyPlacement {
  constructor(private readonly d: CompanyPlacementDeps) {}

  /**
   * `source`'s chain for a sign-in (checked by readAncestors): writes the edges that differ, then
   * voids what moved. A chain that would move a company another source placed (the users file,
   * another identity provider, the upstream probe) is refused whole: audited in that company
   * (`company.claim_refused`) and thrown as `forbidden`; nothing is written.
   */
  async learn(source: PlacementSource, companyId: string, ancestors: readonly string[], who: ClaimContext): Promise<void> {
    const conflict = this.d.tree.conflictIn(source, companyId, ancestors);
    if (conflict !== undefined) {
      await this.d.audit.record({
        companyId: conflict.companyId, actor: 'system', action: 'company.claim_refused',
        detail: { source, userId: who.userId, company: companyId, parent: conflict.claimed, currentParent: conflict.current, placedBy: conflict.placedBy, reason: 'placed by another source' },
        clientAddress: who.clientAddress,
      });
      this.d.log.warn({ source, companyId: conflict.companyId, placedBy: conflict.placedBy }, 'refused a claim that would move a company another source placed');
      throw new GatewayError('forbidden', conflict.placedBy === PLACED_BY_FILE
        ? 'a company of this sign-in is placed by the users file; a sign-in may not move it'
        : 'a company of this sign-in was placed by another identity source; a sign-in may not move it');
    }
    const changes = this.d.tree.changesFor(source, companyId, ancestors);
    if (changes.length === 0) return;
    // Only companies below a changed edge can change root: the chain sets every parent up to its root.
    const before = this.d.tree.roots(new Set(changes.flatMap((e) => this.d.tree.subtree(e.companyId))));
    try {
      // The store applies the edges to this instance's tree before it resolves (StateSync).
      await this.d.store.putCompanyEdges(changes, this.d.now());
    } catch (err) {
      // Written and applied, only not confirmed by enough replicas: the move happened, void what moved.
      if (isGatewayError(err) && err.code === 'store_not_replicated') await this.voidMoved(before, 'sign-in');
      throw err;
    }
    const moved = await this.voidMoved(before, 'sign-in');
    if (moved.length > 0) this.d.log.info({ companies: moved }, 'a sign-in moved companies to another portfolio; their tokens were revoked');
  }

  /**
   * Compares each company's root with `before` (a snapshot from PortfolioTree.roots) and revokes the
   * live tokens of every company that moved. Idempotent: several instances reloading the same users
   * file revoke and audit each token once. Returns the companies that moved.
   */
  async voidMoved(before: ReadonlyMap<string, string>, cause: ReparentCause): Promise<string[]> {
    const moved: string[] = [];
    for (const [companyId, from] of before) {
      const to = this.d.tree.rootOf(companyId);
      if (to === from) continue;
      moved.push(companyId);
      await this.voidCompany(companyId, from, to, cause, () => true);
    }
    return moved;
  }

  /**
   * At start: the live tokens of `companies` sealed for a root their company no longer has, because
   * the users file (or the learned tree) changed while no gateway was running to see it. Only
   * those tokens: one issued since, by an instance that already knew the new tree, is sealed for
   * the new root and stays. Records written before TokenRecord.portfolioId existed are skipped (they
   * stop opening all the same). Returns the companies whose tokens were voided.
   */
  async voidSealedForOldRoots(companies: Iterable<string>): Promise<string[]> {
    const now = this.d.now();
    const moved: string[] = [];
    for (const companyId of new Set(companies)) {
      const to = this.d.tree.rootOf(companyId);
      const stale = (t: TokenRecord) => t.portfolioId !== undefined && t.portfolioId !== to;
      const old = (await this.d.store.listTokens(companyId)).find((t) => t.revokedAt === null && t.expiresAt > now && stale(t));
      if (old === undefined) continue;
      moved.push(companyId);
      await this.voidCompany(companyId, old.portfolioId!, to, 'users file', stale);
    }
    if (moved.length > 0) this.d.log.warn({ companies: moved }, 'companies moved to another portfolio while the gateway was stopped; their tokens were revoked');
    return moved;
  }

  /** Revokes (`reparented`) and audits the live tokens of one company that `voids`, then audits the move. */
  private async voidCompany(companyId: string, from: string, to: string, cause: ReparentCause, voids: (t: TokenRecord) => boolean): Promise<void> {
    const now = this.d.now();
    const revoked: string[] = [];
    for (const t of await this.d.store.listTokens(companyId)) {
      if (t.revokedAt !== null || t.expiresAt <= now || !voids(t) || !(await this.d.revoke(t.tokenId))) continue;
      revoked.push(t.tokenId);
      await this.d.audit.record({
        companyId, actor: 'system', action: 'token.revoke',
        detail: { tokenId: t.tokenId, userId: t.userId, reason: 'reparented' }, clientAddress: null,
      });
    }
    // A company seen for the first time (its own root until now, no tokens) has not moved for anyone.
    if (revoked.length > 0 || from !== companyId) {
      await this.d.audit.record({
        companyId, actor: 'system', action: 'company.reparent',
        detail: { from, to, parent: this.d.tree.parentOf(companyId) ?? null, cause, revoked: revoked.length }, clientAddress: null,
      });
    }
  }
}
