import type { PortfolioRuntime, VerificationState } from '../token/verification-state.js';

export type { PortfolioRuntime };

/** Where companies sit: their root (portfolio) and the companies below them. */
export interface CompanyPlacement {
  rootOf(companyId: string): string;
  subtree(companyId: string): string[];
}

/**
 * The in-memory truth the request path reads: portfolio policies and revoked token ids.
 * It is filled from the store at start and kept current by store change events, so a
 * request never waits for the store (STYLE habit 10).
 */
export class TokenState implements VerificationState {
  private readonly portfolios = new Map<string, PortfolioRuntime>();
  /** Revoked token id → its expiry (seconds): once expired, the entry is no longer needed. */
  private readonly revoked = new Map<string, number>();
  private allowAll = false;
  private allowed: ReadonlySet<string> = new Set();
  /** The operator's runtime decisions (store), which win over the seed list. */
  private readonly decisions = new Map<string, boolean>();

  /** The portfolio tree (src/state/portfolio-tree.ts); every company its own root until useTree is called. */
  private tree: CompanyPlacement = { rootOf: (c) => c, subtree: (c) => [c] };
  private rootOf(companyId: string): string {
    return this.tree.rootOf(companyId);
  }

  constructor(allowed: '*' | readonly string[]) {
    this.setAllowed(allowed);
  }

  /** A config reload: checked on every request, cache hit or not, so it applies to the next one. */
  setAllowed(allowed: '*' | readonly string[]): void {
    this.allowAll = allowed === '*';
    this.allowed = new Set(allowed === '*' ? [] : allowed);
  }

  /** The operator's decision for this portfolio if there is one, else the config's seed list (`portfolios.allowed`). */
  isAllowed(companyId: string): boolean {
    const root = this.rootOf(companyId); // the allow-list names roots (src/users/company-tree.ts)
    return this.decisions.get(root) ?? (this.allowAll || this.allowed.has(root));
  }

  isDeniedByOperator(companyId: string): boolean {
    return this.decisions.get(this.rootOf(companyId)) === false;
  }

  /** Where isAllowed's answer comes from: like isAllowed, the decision on the company's root counts. */
  accessSource(companyId: string): 'operator' | 'config' {
    return this.decisions.has(this.rootOf(companyId)) ? 'operator' : 'config';
  }

  setAccess(companyId: string, allowed: boolean): void {
    this.decisions.set(companyId, allowed);
  }

  /** Companies with an operator decision, plus the seed list (for listing). */
  knownAccess(): string[] {
    return [...new Set([...this.allowed, ...this.decisions.keys()])].sort();
  }

  get seedAllowsAll(): boolean {
    return this.allowAll;
  }

  /**
   * The portfolio tree (src/state/portfolio-tree.ts: the users file's companies and the learned
   * edges), set once at start: from then on a company's policy, key and allow-listing are its
   * root's. A token names its owner's company; moved under another root, it meets another key and
   * no longer opens, and a cached one no longer matches the root it was opened for (checkClaims).
   */
  useTree(tree: CompanyPlacement): void {
    this.tree = tree;
  }

  /** `companyId` and every company below it. */
  subtreeOf(companyId: string): string[] {
    return this.tree.subtree(companyId);
  }

  /** The policy of the portfolio `companyId` belongs to. */
  portfolio(companyId: string): PortfolioRuntime | undefined {
    return this.portfolios.get(this.rootOf(companyId));
  }

  /** The policy stored under exactly this company id (no tree walk): StateSync's generation guard. */
  ownPortfolio(companyId: string): PortfolioRuntime | undefined {
    return this.portfolios.get(companyId);
  }

  /** The root company of `companyId` (its portfolio id). */
  portfolioIdOf(companyId: string): string {
    return this.rootOf(companyId);
  }

  setPortfolio(p: PortfolioRuntime): void {
    this.portfolios.set(p.companyId, p);
  }

  isRevoked(tokenId: string): boolean {
    return this.revoked.has(tokenId);
  }

  revoke(tokenId: string, expiresAt: number): void {
    this.revoked.set(tokenId, expiresAt);
  }

  get revokedCount(): number {
    return this.revoked.size;
  }

  /** Drops revocations of tokens that have expired anyway (plus the skew), keeping memory bounded. */
  pruneRevoked(nowSeconds: number, skewSeconds: number): void {
    for (const [id, exp] of this.revoked) if (exp + skewSeconds < nowSeconds) this.revoked.delete(id);
  }
}
