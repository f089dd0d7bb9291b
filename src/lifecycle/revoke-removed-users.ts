import type { Logger } from '../log.js';
import type { PortfolioStore, TokenStore } from '../store/types.js';
import type { AuditTrail } from './audit-trail.js';
import type { TokenOwner } from './token-service.js';

/** A user list that can be enumerated: `users.source: file`. An upstream source cannot say who is gone. */
interface UserDirectory {
  /** Whether this login still exists with this user id in this company. */
  contains(owner: TokenOwner): boolean;
  /** The company tree: a portfolio's tokens are filed under each of its companies. */
  readonly tree?: { subtree(companyId: string): string[] };
}

export interface RemovedUsersDeps {
  /** Reads only: revocations go through `revoke`. */
  store: Pick<PortfolioStore, 'listPortfolios'> & Pick<TokenStore, 'listTokens'>;
  users: UserDirectory;
  /** Revokes one token; true when this call revoked it (TokenService.revoke). */
  revoke(tokenId: string): Promise<boolean>;
  audit: Pick<AuditTrail, 'record'>;
  now: () => number;
  log: Logger;
  /** The audit actor: `system` at start, `operator` for a reload an operator asked for. */
  actor: 'system' | 'operator';
}

const REMOVED_USER_REASON = 'user no longer in the users file';

/**
 * Revokes every live token whose owner (login, user id, company) is no longer in the users file,
 * and audits each revocation in the token's portfolio. Run at start and on every reload of the
 * users file. Idempotent: a token already revoked is neither revoked nor audited again, so many
 * instances or workers starting at once record each revocation once (the store's revoke is atomic).
 * A user whose user id or company changed counts as removed: the token names the old identity.
 */
export async function revokeTokensOfRemovedUsers(d: RemovedUsersDeps): Promise<{ revoked: string[] }> {
  const now = d.now();
  const revoked: string[] = [];
  for (const p of await d.store.listPortfolios()) {
    const companies = d.users.tree?.subtree(p.companyId) ?? [p.companyId];
    for (const t of (await Promise.all(companies.map((c) => d.store.listTokens(c)))).flat()) {
      // SSO users are not in the users file (their identity provider vouches for them): never "removed".
      if (t.revokedAt !== null || t.expiresAt <= now || t.signIn !== undefined || d.users.contains(t)) continue;
      if (!(await d.revoke(t.tokenId))) continue;
      revoked.push(t.tokenId);
      await d.audit.record({
        companyId: t.companyId, actor: d.actor, action: 'token.revoke',
        detail: { tokenId: t.tokenId, userId: t.userId, reason: REMOVED_USER_REASON }, clientAddress: null,
      });
    }
  }
  if (revoked.length > 0) d.log.warn({ count: revoked.length }, 'revoked the tokens of users no longer in the users file');
  return { revoked };
}
