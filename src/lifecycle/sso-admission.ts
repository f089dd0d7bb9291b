import type { SsoProviderConfig } from '../config/sso-schema.js';
import { GatewayError, isGatewayError } from '../errors.js';
import type { PlacementSource, PortfolioTree } from '../state/portfolio-tree.js';
import { namedBy, outsideScope, parseScope, type ProviderScope } from '../users/sso/provider-scope.js';
import type { UserIdentity } from '../users/types.js';
import type { AuditTrail } from './audit-trail.js';
import type { CompanyPlacement } from './company-placement.js';

export interface SsoAdmissionDeps {
  providers: readonly SsoProviderConfig[];
  tree: PortfolioTree;
  placement: Pick<CompanyPlacement, 'learn'>;
  audit: Pick<AuditTrail, 'record'>;
}

/**
 * The last check of an SSO sign-in, before any session: the provider speaks only for its companies
 * (every company of the chain: the claim's ancestors, or the tree's, and the user's company), and
 * its claim places the company only where no other source placed it otherwise. A refusal is
 * audited in the company concerned and thrown as `sso_failed` (the sign-in's refusal page).
 */
export class SsoAdmission {
  private readonly scopes: ReadonlyMap<string, { scope: ProviderScope | undefined; namedElsewhere: ReadonlySet<string> }>;

  constructor(private readonly d: SsoAdmissionDeps) {
    const parsed = d.providers.map((p) => [p.name, parseScope(p.companies)] as const);
    this.scopes = new Map(parsed.map(([name, scope]) => [name, { scope, namedElsewhere: namedBy(parsed.filter(([n]) => n !== name).map(([, s]) => s)) }]));
  }

  async admit(provider: string, who: UserIdentity, clientAddress: string | null): Promise<void> {
    const source: PlacementSource = `sso:${provider}`;
    const s = this.scopes.get(provider);
    if (s === undefined) throw new GatewayError('not_found');
    const chain = [...(who.ancestors ?? this.d.tree.ancestorsOf(who.companyId)), who.companyId];
    const outside = outsideScope(chain, { source, ...s, placedBy: (c) => this.d.tree.placedBy(c) });
    if (outside !== undefined) {
      await this.d.audit.record({
        companyId: outside, actor: 'system', action: 'company.claim_refused',
        detail: { source, userId: who.userId, company: who.companyId, reason: 'outside the provider\'s companies' },
        clientAddress,
      });
      throw new GatewayError('sso_failed', 'this identity provider is not trusted for this company (or one of its ancestors): see users.sso.providers[].companies');
    }
    if (who.ancestors === undefined) return;
    try {
      await this.d.placement.learn(source, who.companyId, who.ancestors, { userId: who.userId, clientAddress });
    } catch (err) {
      if (isGatewayError(err) && err.code === 'forbidden') throw new GatewayError('sso_failed', err.detail);
      throw err;
    }
  }
}
