import type { PortfolioRuntime, TokenState } from '../state/token-state.js';

/**
 * What the endpoints may ask about companies, read from the in-memory state every instance keeps
 * equal to the store: where a company sits, whether its portfolio may use tokens, the policy in
 * force. Read-only: the endpoints change nothing through it.
 */
export class CompanyDirectory {
  constructor(private readonly state: Pick<TokenState, 'portfolioIdOf' | 'isAllowed' | 'subtreeOf' | 'portfolio'>) {}

  /** The company's root: the portfolio whose policy and key it uses. */
  rootOf(companyId: string): string {
    return this.state.portfolioIdOf(companyId);
  }

  /** The operator allows this company's portfolio to use tokens (config seed or decision). */
  isAllowed(companyId: string): boolean {
    return this.state.isAllowed(companyId);
  }

  /** The company and every company below it. */
  subtreeOf(companyId: string): string[] {
    return this.state.subtreeOf(companyId);
  }

  /** The policy in force for the company's portfolio; undefined when it has none. */
  policyInForce(companyId: string): PortfolioRuntime | undefined {
    return this.state.portfolio(companyId);
  }
}
