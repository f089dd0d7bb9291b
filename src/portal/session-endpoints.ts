import { GatewayError } from '../errors.js';
import type { Exchange } from '../endpoints/context.js';
import { readFields } from '../endpoints/read-body.js';
import type { PortalContext } from './context.js';
import { sendPortalEmpty, sendPortalJson } from './respond.js';
import { arrivedOverTls, clearedCookie, readSessionCookie, sessionCookie } from './session-cookie.js';
import { isManager, requireCsrfToken, sessionOf } from './session-caller.js';
import { csrfTokenOf, type Session } from './sessions.js';

/** What the page learns about its session: who, what they may do, and the CSRF token for its calls. */
function sessionView(p: PortalContext, s: Session, manager: boolean) {
  const r = s.record;
  return {
    login: r.login, userId: r.userId, companyId: r.companyId, manager,
    signedInWith: r.signIn?.provider ?? 'password',
    csrfToken: csrfTokenOf(s.id),
    idleMinutes: p.idleMinutes,
    // identity.upstream: basic: the page asks for the password again to generate a token.
    confirmPassword: p.replaysCredential(r.companyId, r.signIn !== undefined),
    expiresAt: new Date(r.expiresAt).toISOString(),
  };
}

/**
 * `POST {prefix}/ui/api/session` {login, password}: signs in against the configured user source,
 * through the same failed-login limiter as the API. Any session the browser still had is ended
 * and a new id is issued (no fixation: an id planted before sign-in is worth nothing after).
 */
export function signInEndpoint(p: PortalContext, passwordAllowed = true) {
  return async ({ req, res, address }: Exchange): Promise<void> => {
    // users.sso.only: the identity provider is the only way in (its MFA, its offboarding).
    if (!passwordAllowed) throw new GatewayError('forbidden', 'password sign-in is disabled: use single sign-on');
    const body = await readFields(req, p.d.maxBodyBytes, ['json']);
    const { login, password } = body;
    if (typeof login !== 'string' || login === '' || typeof password !== 'string' || password === '') {
      throw new GatewayError('validation_failed', 'login and password: expected non-empty strings');
    }
    const tls = arrivedOverTls(req, p.d.trustedProxies);
    await p.sessions.end(readSessionCookie(req.headers, tls));
    const who = await p.login(login, address, () => p.d.users.verify(login, password));
    const manager = who.roles.includes(p.d.managerRole);
    const s = await p.sessions.create(who, manager);
    p.d.log.info({ login: who.login, companyId: who.companyId, clientAddress: address }, 'portal sign-in');
    sendPortalJson(res, 200, sessionView(p, s, manager), { 'set-cookie': sessionCookie(s.id, tls, p.d.prefix) });
  };
}

/** `GET {prefix}/ui/api/session`: the current session (after a reload the page needs its CSRF token again). */
export function currentSessionEndpoint(p: PortalContext) {
  return async ({ req, res }: Exchange): Promise<void> => {
    const s = await sessionOf(p, req);
    sendPortalJson(res, 200, sessionView(p, s, isManager(p, s)));
  };
}

/**
 * `GET {prefix}/ui/api/session-probe`: what the page asks on every load. 200 with the session as
 * `GET session` gives it, or 204 when there is none (no cookie, an expired or ended one): being
 * signed out is the answer the page expects, not an error, so the browser's console stays quiet.
 * `GET session` keeps answering 401 for scripts that want a failure status.
 */
export function sessionProbeEndpoint(p: PortalContext) {
  return async ({ req, res }: Exchange): Promise<void> => {
    let s: Session;
    try {
      s = await sessionOf(p, req);
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'session_required') return sendPortalEmpty(res);
      throw err;
    }
    sendPortalJson(res, 200, sessionView(p, s, isManager(p, s)));
  };
}

/**
 * `DELETE {prefix}/ui/api/session`: signs out. The session is deleted in the store, so the old
 * cookie is refused on every instance, not merely forgotten by this browser.
 */
export function signOutEndpoint(p: PortalContext) {
  return async ({ req, res }: Exchange): Promise<void> => {
    const tls = arrivedOverTls(req, p.d.trustedProxies);
    const s = await sessionOf(p, req);
    requireCsrfToken(req, s);
    await p.sessions.end(s.id);
    sendPortalJson(res, 200, { signedOut: true }, { 'set-cookie': clearedCookie(tls, p.d.prefix) });
  };
}
