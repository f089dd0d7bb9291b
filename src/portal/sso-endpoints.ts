import type { IncomingMessage } from 'node:http';
import type { SsoConfig } from '../config/sso-schema.js';
import { GatewayError, isGatewayError } from '../errors.js';
import type { Exchange } from '../endpoints/context.js';
import { mapClaims } from '../users/sso/claim-mapping.js';
import { OidcClient } from '../users/sso/oidc-client.js';
import { PendingSignIns } from '../users/sso/pending-sign-ins.js';
import { SSO_DEFAULTS } from '../config/sso-schema.js';
import type { PortalContext } from './context.js';
import { sendPortalJson } from './respond.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { arrivedOverTls, readSessionCookie, sessionCookie } from './session-cookie.js';
import { clearedSsoCookie, readSsoCookie, ssoCookie } from './sso-cookie.js';
import { sendSsoErrorPage } from './sso-error-page.js';

export interface SsoOptions {
  config: SsoConfig;
  /** Where client secrets are read from (`clientSecretFromEnv`). */
  env: NodeJS.ProcessEnv;
}

/**
 * The portal's SSO sign-in (issue 12): `GET {prefix}/ui/api/sign-in-options` tells the page
 * which buttons to draw; `GET {prefix}/ui/sso/{name}/start` sends the browser to the provider
 * with a fresh pre-session cookie; `GET {prefix}/ui/sso/{name}/callback` checks the answer and
 * opens an ordinary portal session. A refusal is a page with one reason; nothing is created.
 */
export function createSsoEndpoints(p: PortalContext, o: SsoOptions | undefined) {
  const sso = o?.config ?? { only: false, providers: [] };
  const clients = new Map(sso.providers.map((c) => [c.name, new OidcClient(c, o?.env ?? {})]));
  const pending = new PendingSignIns(p.d.clock, SSO_DEFAULTS.pendingMinutes * 60_000);
  const prefix = p.d.prefix;
  const ttlSeconds = SSO_DEFAULTS.pendingMinutes * 60;

  function clientOf(name: string | undefined): OidcClient {
    const c = name === undefined ? undefined : clients.get(name);
    if (c === undefined) throw new GatewayError('not_found');
    return c;
  }

  /** Our callback URL for this provider; from publicUrl, else from this request's Host (loopback, trials). */
  function redirectUri(req: IncomingMessage, c: OidcClient, tls: boolean): string {
    const path = `${prefix}/ui/sso/${c.p.name}/callback`;
    if (c.p.publicUrl !== undefined) return c.p.publicUrl + path;
    const host = req.headers.host ?? '';
    if (!/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/.test(host)) throw new GatewayError('validation_failed', 'Host');
    return `${tls ? 'https' : 'http'}://${host}${path}`;
  }

  return {
    passwordAllowed: !sso.only,

    options: async ({ res }: Exchange): Promise<void> => {
      sendPortalJson(res, 200, {
        password: !sso.only,
        providers: sso.providers.map((c) => ({ name: c.name, displayName: c.displayName, url: `${prefix}/ui/sso/${c.name}/start` })),
      });
    },

    start: async ({ req, res, params }: Exchange): Promise<void> => {
      const c = clientOf(params[0]);
      const tls = arrivedOverTls(req, p.d.trustedProxies);
      const { url, pending: pend } = await c.start(redirectUri(req, c, tls));
      const cookie = pending.begin(pend);
      res.writeHead(303, { ...SECURITY_HEADERS, location: url, 'set-cookie': ssoCookie(cookie, tls, prefix, ttlSeconds), 'content-length': '0' });
      res.end();
    },

    callback: async ({ req, res, url, params, address }: Exchange): Promise<void> => {
      const tls = arrivedOverTls(req, p.d.trustedProxies);
      const cleared = { 'set-cookie': clearedSsoCookie(tls, prefix) };
      try {
        const c = clientOf(params[0]);
        // Taken out whatever happens next: one attempt per started sign-in.
        const pend = pending.take(readSsoCookie(req.headers, tls));
        if (pend === undefined || pend.provider !== c.p.name) {
          throw new GatewayError('sso_failed', 'this sign-in was not started in this browser, was already used, or took too long; start again');
        }
        const error = url.searchParams.get('error');
        if (error !== null) throw new GatewayError('sso_failed', `the identity provider answered ${error.replace(/[^A-Za-z0-9_]/g, '').slice(0, 64)}`);
        const claims = await c.finish(url.searchParams, pend);
        const { who, manager } = mapClaims(claims, c.p);
        // The claim's ancestors place the company (issue 12) before anything is issued for it.
        if (who.ancestors !== undefined) await p.d.placeCompany?.(who.companyId, who.ancestors);
        await p.sessions.end(readSessionCookie(req.headers, tls));
        const s = await p.sessions.create(who, manager, { provider: c.p.name, issuer: c.p.issuer });
        p.d.log.info({ login: who.login, companyId: who.companyId, provider: c.p.name, clientAddress: address }, 'portal sign-in');
        res.setHeader('set-cookie', [cleared['set-cookie'], sessionCookie(s.id, tls, prefix)]);
        res.writeHead(303, { ...SECURITY_HEADERS, location: `${prefix}/ui/`, 'content-length': '0' });
        res.end();
      } catch (err) {
        const e = isGatewayError(err) ? err : new GatewayError('internal', undefined, { cause: err });
        if (e.code === 'internal') p.d.log.error({ err: String(err) }, 'SSO callback failed');
        else p.d.log.info({ code: e.code, reason: e.detail, provider: params[0], clientAddress: address }, 'portal SSO sign-in refused');
        sendSsoErrorPage(res, e, `${prefix}/ui/`, cleared);
      }
    },
  };
}

export type SsoEndpoints = ReturnType<typeof createSsoEndpoints>;
