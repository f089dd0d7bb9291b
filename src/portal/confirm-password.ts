import { GatewayError } from '../errors.js';
import type { CredentialFor } from '../endpoints/authorize.js';
import type { PortalContext } from './context.js';

/**
 * `identity.upstream: basic`: a token must carry its owner's own `Authorization: Basic` to be
 * replayed, and the portal keeps no password after sign-in. So "Generate Access Token" asks for
 * it again (`password` in the body of `POST ui/api/oauth/authorize`): checked against the user
 * source for the session's login, through the same failed-login limiter as sign-in (a wrong one
 * counts, and answers 401 login_failed with nothing issued), then sealed into the token exactly
 * as authorize seals the Basic it verified. The password is never stored, logged or echoed.
 *
 * In the other modes nothing is asked and a `password` field is ignored.
 */
export function confirmedBasic(p: PortalContext): CredentialFor {
  return async ({ address }, caller, body) => {
    if (!p.replaysCredential(caller.companyId, caller.signIn !== undefined)) return undefined;
    const password = body.password;
    if (typeof password !== 'string' || password === '') {
      throw new GatewayError('validation_failed', 'password: confirm your password to generate a token (it is replayed to the API as your own Basic credential)');
    }
    // RFC 7617 §2: a user-id with a colon cannot be sent as Basic.
    if (caller.login.includes(':')) throw new GatewayError('validation_failed', 'login: contains ":" and cannot be replayed as Basic');
    const who = await p.login(caller.login, address, () => p.d.users.verify(caller.login, password));
    // The password must be this session's user's, not another account that shares the login.
    if (who.userId !== caller.userId || who.companyId !== caller.companyId) throw new GatewayError('login_failed');
    return `Basic ${Buffer.from(`${caller.login}:${password}`, 'utf8').toString('base64')}`;
  };
}
