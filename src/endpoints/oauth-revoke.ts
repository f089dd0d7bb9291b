import { GatewayError } from '../errors.js';
import type { TokenClaims } from '../token/format.js';
import type { AuthenticateCaller } from './authenticate-caller.js';
import type { Caller, EndpointDeps, EndpointHandler, Exchange } from './context.js';
import { readFields } from './read-body.js';
import { sendEmpty } from './respond.js';

/** The `token` form field (RFC 7009 §2.1, RFC 7662 §2.1), required. */
export async function tokenParameter(d: EndpointDeps, x: Exchange): Promise<string> {
  const form = await readFields(x.req, d.maxBodyBytes, ['form']);
  const token = form.token;
  if (typeof token !== 'string' || token === '') throw new GatewayError('validation_failed', 'token: required');
  return token;
}

/** Claims of a token that is valid right now, else undefined (never says why). */
export async function openIfValid(d: EndpointDeps, token: string): Promise<TokenClaims | undefined> {
  if (token.length > d.maxTokenBytes) return undefined;
  const v = await d.validator.validate(token);
  return v instanceof GatewayError ? undefined : v.claims;
}

/**
 * `POST {prefix}/oauth/revoke`, RFC 7009. Whoever holds a token may revoke it (RFC 7009 §2.1
 * leaves client authentication to the server; holding it is proof enough: whoever holds it can
 * use it); credentials may also be sent, and when sent they must be valid. The answer is 200
 * also for an unknown or already invalid token (§2.2), so it tells nothing about the token.
 *
 * The audit event goes to the token's portfolio, so its actor is the caller only when the caller
 * belongs to that portfolio; credentials of another portfolio are ignored (the event is recorded
 * as by the token's holder, with `foreignCredentials`), so one company's audit trail never shows
 * another company's login.
 */
export function oauthRevokeEndpoint(d: EndpointDeps, authenticate: AuthenticateCaller): EndpointHandler {
  return async (x) => {
    const token = await tokenParameter(d, x);
    const caller: Caller | undefined = x.req.headers.authorization
      ? await authenticate(x.req, x.address, { bearer: true, formEncodedBasic: true })
      : undefined;
    const claims = await openIfValid(d, token);
    if (claims !== undefined) {
      const sameCompany = caller !== undefined && caller.companyId === claims.companyId;
      await d.audit.write(() => d.tokens.revoke(claims.tokenId), (revoked) => (revoked === false ? undefined : {
        companyId: claims.companyId, actor: sameCompany ? caller.login : claims.login, action: 'token.revoke',
        detail: { tokenId: claims.tokenId, userId: claims.userId, via: 'rfc7009', ...(caller !== undefined && !sameCompany ? { foreignCredentials: true } : {}) },
        clientAddress: x.address,
      }));
    }
    sendEmpty(x.res, 200);
  };
}
