import { GatewayError } from '../errors.js';
import { effectiveExpiry } from '../token/check-claims.js';
import type { AuthenticateCaller } from './authenticate-caller.js';
import type { EndpointDeps, EndpointHandler } from './context.js';
import { openIfValid, tokenParameter } from './oauth-revoke.js';
import { sendJson } from './respond.js';

/**
 * `POST {prefix}/oauth/introspect`, RFC 7662: portfolio managers only, and only about their
 * portfolio's tokens. Anything else (unknown, expired, revoked, another portfolio's) is
 * `{"active":false}` and nothing more (§2.2).
 */
export function oauthIntrospectEndpoint(d: EndpointDeps, authenticate: AuthenticateCaller): EndpointHandler {
  return async (x) => {
    const caller = await authenticate(x.req, x.address, { bearer: true, formEncodedBasic: true });
    if (!caller.manager) throw new GatewayError('forbidden');
    const token = await tokenParameter(d, x);
    const c = await openIfValid(d, token);
    const p = c && d.companies.policyInForce(c.companyId);
    if (c === undefined || p === undefined || c.companyId !== caller.companyId) return sendJson(x.res, 200, { active: false });
    sendJson(x.res, 200, {
      active: true,
      token_type: 'Bearer',
      sub: c.userId,
      username: c.login,
      company_id: c.companyId,
      jti: c.tokenId,
      iat: c.issuedAt,
      exp: effectiveExpiry(c, p), // the duration in force caps the sealed exp
    });
  };
}
