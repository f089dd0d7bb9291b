import { GatewayError } from '../errors.js';
import { replayableAuthorization } from '../identity/basic-mode.js';
import { DURATION_MAX_MINUTES } from '../lifecycle/portfolio-service.js';
import type { AuthenticateCaller } from './authenticate-caller.js';
import type { Caller, EndpointDeps, EndpointHandler, Exchange } from './context.js';
import { readFields, type Fields } from './read-body.js';
import { sendJson } from './respond.js';

/**
 * The credential to seal into the token for `identity.upstream: basic` (TokenService ignores it in
 * the other modes). The API's default: the Basic that authenticate just verified. The portal's
 * (src/portal/confirm-password.ts): one built from the session's login and a password confirmed again.
 */
export type CredentialFor = (x: Exchange, caller: Caller, body: Fields) => Promise<string | undefined>;

export const verifiedBasic: CredentialFor = async ({ req }) => replayableAuthorization(req.headers.authorization);

/**
 * `GET|POST {prefix}/oauth/authorize`: a user of an enabled portfolio gets a personal token.
 * Calling again renews it: a new token, the previous one revoked. Basic only: a token that
 * could mint its own successor would never have to die.
 */
export function authorizeEndpoint(d: EndpointDeps, authenticate: AuthenticateCaller, credentialFor: CredentialFor = verifiedBasic): EndpointHandler {
  return async (x) => {
    const { req, res, url, address } = x;
    const caller = await authenticate(req, address, { bearer: false });
    const body = req.method === 'POST' ? await readFields(req, d.maxBodyBytes, ['json', 'form']) : {};
    const validity = parseValidity(url.searchParams, body);
    // Sealed into the token when identity.upstream is basic (TokenService).
    const credential = await credentialFor(x, caller, body);
    const issued = await d.audit.write(
      () => d.tokens.issue({ userId: caller.userId, login: caller.login, companyId: caller.companyId, ...(caller.signIn ? { signIn: caller.signIn } : {}) }, validity, credential),
      (i) => ({
        companyId: caller.companyId,
        actor: caller.login,
        action: i !== undefined && i.revoked.length > 0 ? 'token.renew' : 'token.issue',
        // Without a result (store_not_replicated) the new token was never handed out: only who asked.
        detail: i === undefined
          ? { userId: caller.userId }
          : { tokenId: i.record.tokenId, userId: i.record.userId, signedInWith: i.record.signIn?.provider ?? 'password', expiresAt: new Date(i.record.expiresAt).toISOString(), ...(i.revoked.length > 0 ? { revoked: i.revoked } : {}) },
        clientAddress: address,
      }),
    );
    const r = issued.record;
    // RFC 6749 §5.1 shape; token_id lets the holder find it in the list.
    sendJson(res, 200, {
      access_token: issued.token,
      token_type: 'Bearer',
      expires_in: Math.round((r.expiresAt - r.createdAt) / 1000),
      expires_at: new Date(r.expiresAt).toISOString(),
      token_id: r.tokenId,
      signed_in_with: r.signIn?.provider ?? 'password',
    });
  };
}

const VALIDITY_PROBLEM = `validity: expected an integer number of minutes from 1 to ${DURATION_MAX_MINUTES}`;

/** `validity` in minutes from the query string or the body (not both); undefined = the portfolio's duration. */
function parseValidity(query: URLSearchParams, body: Fields): number | undefined {
  const inQuery = query.getAll('validity');
  const inBody = body.validity;
  if (inQuery.length > 1 || (inQuery.length === 1 && inBody !== undefined)) throw new GatewayError('validation_failed', 'validity: given more than once');
  const v: unknown = inQuery.length === 1 ? inQuery[0] : inBody;
  if (v === undefined) return undefined;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^[0-9]{1,9}$/.test(v)) n = Number(v);
  else throw new GatewayError('validation_failed', VALIDITY_PROBLEM);
  if (!Number.isInteger(n) || n < 1 || n > DURATION_MAX_MINUTES) throw new GatewayError('validation_failed', VALIDITY_PROBLEM);
  return n;
}
