import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.js';
import type { Caller } from '../endpoints/context.js';
import type { AuthenticateCaller } from '../endpoints/authenticate-caller.js';
import type { PortalContext } from './context.js';
import { arrivedOverTls, readSessionCookie } from './session-cookie.js';
import { csrfMatches, type Session } from './sessions.js';
import { isSafeMethod } from './same-origin.js';

/** The session a portal request carries (its idle clock restarted), or `session_required`. */
export async function sessionOf(p: PortalContext, req: IncomingMessage): Promise<Session> {
  return p.sessions.resume(readSessionCookie(req.headers, arrivedOverTls(req, p.d.trustedProxies)));
}

/**
 * The portal's stand-in for the /auth API's caller authenticator: the same endpoint handlers
 * (src/endpoints/*) run behind it, so the page and the API share one code path and one audit
 * trail. A state-changing call must also carry the session's CSRF token in `X-CSRF-Token`
 * (the same-origin check has already run in the router).
 */
export function createSessionAuthenticator(p: PortalContext): AuthenticateCaller {
  return async (req): Promise<Caller> => {
    const s = await sessionOf(p, req);
    if (!isSafeMethod(req.method)) requireCsrfToken(req, s);
    const r = s.record;
    return { userId: r.userId, login: r.login, companyId: r.companyId, manager: isManager(p, s), via: 'session', ...(r.signIn ? { signIn: r.signIn } : {}) };
  };
}

/** A state-changing call carries the session's CSRF token in `X-CSRF-Token`; throws `csrf_rejected`. */
export function requireCsrfToken(req: IncomingMessage, s: Session): void {
  const given = req.headers['x-csrf-token'];
  if (!csrfMatches(s.id, typeof given === 'string' ? given : undefined)) throw new GatewayError('csrf_rejected', 'X-CSRF-Token missing or wrong');
}

/**
 * With a file directory the roles are read again on every call (a manager demoted in the file
 * loses the screens at once); an upstream directory tells roles only at sign-in, so the
 * session keeps what it said then (for at most the absolute timeout). So does an SSO session:
 * the identity provider's groups claim said it, and the users file does not know that user.
 */
export function isManager(p: PortalContext, s: Session): boolean {
  const r = s.record;
  if (p.d.users.kind !== 'file' || r.signIn) return r.manager;
  return p.d.users.rolesOf(r.userId, r.login, r.companyId).includes(p.d.managerRole);
}
