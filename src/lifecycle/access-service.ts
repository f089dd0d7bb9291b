import { GatewayError } from '../errors.js';
import type { TokenState } from '../state/token-state.js';
import type { PortfolioStore } from '../store/types.js';
import { COMPANY_ID_RE } from '../token/format.js';
import type { AuditTrail } from './audit-trail.js';
import { recordVoid } from './portfolio-service.js';

export interface AccessView {
  companyId: string;
  allowed: boolean;
  /** `operator`: decided at runtime (operator API); `config`: from the seed list `portfolios.allowed`. */
  source: 'operator' | 'config';
}

/**
 * The operator's switch per portfolio ("activated for each client by CAST"): may this company
 * use user tokens at all. Decisions live in the store, so every instance follows them like a
 * revocation; the config's `portfolios.allowed` is only the seed for companies without one.
 */
export class AccessService {
  constructor(
    private readonly store: PortfolioStore,
    private readonly state: TokenState,
    private readonly audit: AuditTrail,
    private readonly now: () => number,
  ) {}

  view(companyId: string): AccessView {
    checkId(companyId);
    return { companyId, allowed: this.state.isAllowed(companyId), source: this.state.accessSource(companyId) };
  }

  /** Every company with a decision or in the seed list; `seed: "*"` means all others are allowed too. */
  list(): { seed: '*' | 'list'; portfolios: AccessView[] } {
    return { seed: this.state.seedAllowsAll ? '*' : 'list', portfolios: this.state.knownAccess().map((c) => this.view(c)) };
  }

  async allow(companyId: string, clientAddress: string | null): Promise<AccessView> {
    this.checkRoot(companyId);
    await this.store.putAccess({ companyId, allowed: true, updatedAt: this.now() });
    await this.audit.record({ companyId, actor: 'operator', action: 'portfolio.allow', detail: {}, clientAddress });
    return this.view(companyId);
  }

  /**
   * Denies the portfolio, and voids its tokens for good: the key generation moves on (reason
   * `denied`), so allowing it again later does not bring old tokens back.
   */
  async deny(companyId: string, clientAddress: string | null): Promise<AccessView> {
    this.checkRoot(companyId);
    const at = this.now();
    await this.store.putAccess({ companyId, allowed: false, updatedAt: at });
    const p = await this.store.getPortfolio(companyId);
    if (p) {
      const generation = p.generation + 1;
      await this.store.putPortfolio({ ...p, generation, updatedAt: at, voids: recordVoid(p.voids, generation, at, 'denied') });
    }
    await this.audit.record({ companyId, actor: 'operator', action: 'portfolio.deny', detail: { tokensVoided: p !== undefined }, clientAddress });
    return this.view(companyId);
  }

  /**
   * Access is read at a company's root (TokenState.isAllowed), so a decision stored for a company
   * below one would be audited and answered yet change nothing: refused, naming the root to decide for.
   */
  private checkRoot(companyId: string): void {
    checkId(companyId);
    const root = this.state.portfolioIdOf(companyId);
    if (root !== companyId) throw new GatewayError('company_not_root', `${companyId} belongs to portfolio ${root}; allow or deny ${root}`);
  }
}

function checkId(companyId: string): void {
  if (!COMPANY_ID_RE.test(companyId)) throw new GatewayError('validation_failed', 'companyId: expected 1 to 64 letters, digits, _ or -');
}
