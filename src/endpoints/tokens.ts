import { GatewayError } from '../errors.js';
import type { TokenRecord } from '../store/types.js';
import type { AuthenticateCaller } from './authenticate-caller.js';
import type { EndpointDeps, EndpointHandler } from './context.js';
import { iso, sendEmpty, sendJson } from './respond.js';

/**
 * `GET {prefix}/tokens`: a manager sees every token of their company's sub-tree (a root manager:
 * the whole portfolio; a sub-company manager: their branch only), a user their own. Never the token itself.
 */
export function listTokensEndpoint(d: EndpointDeps, authenticate: AuthenticateCaller): EndpointHandler {
  return async ({ req, res, address }) => {
    const caller = await authenticate(req, address, { bearer: true });
    const records = caller.manager
      ? (await Promise.all(d.companies.subtreeOf(caller.companyId).map((c) => d.tokens.list(c)))).flat().sort((a, b) => b.createdAt - a.createdAt)
      : await d.tokens.list(caller.companyId, caller.userId);
    sendJson(res, 200, { tokens: records.map((r) => tokenView(d, r)) });
  };
}

/**
 * `DELETE {prefix}/tokens/{token_id}`: the owner or a manager of its portfolio revokes it.
 * Anyone else gets 404, exactly as for an unknown id: no probing other portfolios.
 */
export function revokeTokenEndpoint(d: EndpointDeps, authenticate: AuthenticateCaller): EndpointHandler {
  return async ({ req, res, address, params }) => {
    const caller = await authenticate(req, address, { bearer: true });
    const r = await d.tokens.get(params[0]!);
    const mine = r !== undefined && r.companyId === caller.companyId && r.userId === caller.userId;
    const managed = r !== undefined && caller.manager && d.companies.subtreeOf(caller.companyId).includes(r.companyId);
    if (!r || !(mine || managed)) throw new GatewayError('not_found');
    // The store applies the revocation to this instance's TokenState before this resolves.
    await d.audit.write(() => d.tokens.revoke(r.tokenId), (revoked) => (revoked === false ? undefined : {
      companyId: r.companyId, actor: caller.login, action: 'token.revoke',
      detail: { tokenId: r.tokenId, userId: r.userId, via: 'delete' }, clientAddress: address,
    }));
    sendEmpty(res, 204);
  };
}

function tokenView(d: EndpointDeps, r: TokenRecord) {
  const voided = d.tokens.voided(r);
  return {
    token_id: r.tokenId,
    user_id: r.userId,
    login: r.login,
    created_at: iso(r.createdAt),
    expires_at: iso(r.expiresAt),
    last_used_at: iso(r.lastUsedAt),
    // A token voided with its generation has no revokedAt of its own: the generation change's time.
    revoked_at: iso(voided?.at ?? null),
    revoked_reason: voided?.reason ?? null,
    status: d.tokens.status(r),
    /** `password`, or the SSO provider the token is bound to. */
    signed_in_with: r.signIn?.provider ?? 'password',
  };
}
