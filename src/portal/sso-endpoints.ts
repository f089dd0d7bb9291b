import type { IncomingMessage } from 'node:http';
import type { SsoConfig } from '../config/sso-schema.js';
import { SSO_DEFAULTS } from '../config/sso-schema.js';
import { readBody } from '../endpoints/read-body.js';
import { GatewayError, isGatewayError } from '../errors.js';
import type { Exchange } from '../endpoints/context.js';
import { OidcClient } from '../users/sso/oidc-client.js';
import type { PendingSignIns } from '../users/sso/pending-sign-ins.js';
import { SamlClient } from '../users/sso/saml-client.js';
import type { SeenAssertionIds } from '../users/sso/seen-assertions.js';
import type { SsoClient } from '../users/sso/sso-client.js';
import type { UserIdentity } from '../users/types.js';
import type { PortalContext } from './context.js';
import { sendPortalJson } from './respond.js';
import { sendSamlRelayPage } from './saml-relay-page.js';
import { crossSiteProblem } from './same-origin.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { arrivedOverTls, readSessionCookie, sessionCookie } from './session-cookie.js';
import { clearedSsoCookie, readSsoCookie, ssoCookie } from './sso-cookie.js';
import { sendSsoErrorPage } from './sso-error-page.js';
import { SsoStartLimit } from './sso-start-limit.js';

export interface SsoOptions {
  config: SsoConfig;
  /** Sign-ins started and not yet finished, shared by every instance (one-time records). */
  pending: PendingSignIns;
  /** The SAML replay cache: assertion ids already accepted, shared by every instance. */
  seen: SeenAssertionIds;
  /**
   * Admits a sign-in's identity before any session (src/lifecycle/sso-admission.ts): the
   * provider's companies, then its claim's place in the portfolio tree. Throws `sso_failed`.
   */
  admit(provider: string, who: UserIdentity, clientAddress: string | null): Promise<void>;
  /** Where client secrets are read from (`clientSecretFromEnv`). */
  env: NodeJS.ProcessEnv;
}

/** A SAML Response is a few KiB (more with many attributes and a certificate in KeyInfo); generous, bounded. */
const ACS_BODY_LIMIT = 256 * 1024;

/**
 * The portal's SSO sign-in: `GET {prefix}/ui/api/sign-in-options` tells the page
 * which buttons to draw; `GET {prefix}/ui/sso/{name}/start` sends the browser to the provider
 * with a fresh pre-session cookie; the provider sends it back to `GET .../callback` (OIDC) or
 * `POST .../acs` (SAML), which checks the answer and opens an ordinary portal session. A refusal
 * is a page with one reason; nothing is created. `GET .../metadata` is a SAML SP's metadata.
 */
export function createSsoEndpoints(p: PortalContext, o: SsoOptions) {
  const sso = o.config;
  const s = buildSso(p, o);
  const { clients, prefix } = s;

  return {
    passwordAllowed: !sso.only,

    options: async ({ res }: Exchange): Promise<void> => {
      sendPortalJson(res, 200, {
        password: !sso.only,
        providers: [...clients.values()].map((c) => ({ name: c.name, displayName: c.displayName, url: `${prefix}/ui/sso/${c.name}/start` })),
      });
    },

    start: async ({ req, res, params, address }: Exchange): Promise<void> => {
      const c = clientOf(s, params[0]);
      // Before anything is written: an unauthenticated call must not fill the store.
      s.starts.take(address);
      const tls = arrivedOverTls(req, p.d.trustedProxies);
      const { url, pending: pend } = await c.start(baseUrl(s, req, c, tls));
      const cookie = await s.pending.begin(pend);
      res.writeHead(303, { ...SECURITY_HEADERS, location: url, 'set-cookie': ssoCookie(cookie, tls, prefix, PENDING_TTL_SECONDS), 'content-length': '0' });
      res.end();
    },

    /** OIDC: the provider redirects back with the code in the query. */
    callback: (x: Exchange): Promise<void> => complete(s, x, async () => x.url.searchParams, 'callback'),

    /**
     * SAML: the IdP's page POSTs the Response here. That first hop is cross-site, so it carries
     * no pre-session cookie (SameSite=Lax) and is only relayed: our page re-posts it from our
     * origin. Only a same-origin POST is checked and can sign in (login CSRF stays impossible:
     * the pending sign-in is bound to the cookie, the assertion to its request id).
     */
    acs: async (x: Exchange): Promise<void> => {
      const c = clientOf(s, x.params[0]);
      if (c.returnStep !== 'acs') throw new GatewayError('not_found');
      const form = await readForm(x.req);
      if (crossSiteProblem(x.req, p.d.trustedProxies) !== undefined) {
        const relayed: Record<string, string> = {};
        for (const k of ['SAMLResponse', 'RelayState']) { const v = form.get(k); if (v !== null) relayed[k] = v; }
        return sendSamlRelayPage(x.res, x.url.pathname, relayed);
      }
      return complete(s, x, async () => form, 'acs');
    },

    /** SAML: our SP metadata, for the IdP's admin (entity id, ACS URL, signed assertions wanted). */
    metadata: async ({ req, res, params }: Exchange): Promise<void> => {
      const c = clientOf(s, params[0]);
      if (!(c instanceof SamlClient)) throw new GatewayError('not_found');
      const body = Buffer.from(c.metadata(baseUrl(s, req, c, arrivedOverTls(req, p.d.trustedProxies))));
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/samlmetadata+xml', 'content-length': String(body.length) });
      res.end(body);
    },
  };
}

const PENDING_TTL_SECONDS = SSO_DEFAULTS.pendingMinutes * 60;

/** What the SSO endpoints share: the portal, the options, one client per provider, the pending sign-ins. */
interface Sso {
  p: PortalContext;
  o: SsoOptions;
  prefix: string;
  clients: ReadonlyMap<string, SsoClient>;
  publicUrls: ReadonlyMap<string, string | undefined>;
  pending: PendingSignIns;
  starts: SsoStartLimit;
}

function buildSso(p: PortalContext, o: SsoOptions): Sso {
  const providers = o.config.providers;
  return {
    p, o, prefix: p.d.prefix,
    clients: new Map<string, SsoClient>(providers.map((c) => [c.name,
      c.type === 'oidc' ? new OidcClient(c, o.env) : SamlClient.fromConfig(c, p.d.clock, o.seen)])),
    publicUrls: new Map(providers.map((c) => [c.name, c.publicUrl])),
    pending: o.pending,
    starts: new SsoStartLimit(p.d.clock, o.config.startsPerMinutePerAddress),
  };
}

function clientOf(s: Sso, name: string | undefined): SsoClient {
  const c = name === undefined ? undefined : s.clients.get(name);
  if (c === undefined) throw new GatewayError('not_found');
  return c;
}

/** Our URL for this provider, {origin}{prefix}/ui/sso/{name}; from publicUrl, else from this request's Host (loopback, trials). */
function baseUrl(s: Sso, req: IncomingMessage, c: SsoClient, tls: boolean): string {
  const path = `${s.prefix}/ui/sso/${c.name}`;
  const configured = s.publicUrls.get(c.name);
  if (configured !== undefined) return configured + path;
  const host = req.headers.host ?? '';
  if (!/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/.test(host)) throw new GatewayError('validation_failed', 'Host');
  return `${tls ? 'https' : 'http'}://${host}${path}`;
}

/**
 * The return step of either protocol: take this browser's pending sign-in out (one attempt per
 * start, whatever the outcome), let the client check the provider's answer, open a session.
 */
async function complete(s: Sso, { req, res, params, address }: Exchange, answer: () => Promise<URLSearchParams>, step: SsoClient['returnStep']): Promise<void> {
  const { p, o, prefix } = s;
  const tls = arrivedOverTls(req, p.d.trustedProxies);
  const cleared = { 'set-cookie': clearedSsoCookie(tls, prefix) };
  try {
    const c = clientOf(s, params[0]);
    if (c.returnStep !== step) throw new GatewayError('not_found');
    const pend = await s.pending.take(readSsoCookie(req.headers, tls));
    if (pend === undefined || pend.provider !== c.name) {
      throw new GatewayError('sso_failed', 'this sign-in was not started in this browser, was already used, or took too long; start again');
    }
    const { who, manager } = await c.finish(await answer(), pend);
    // The provider speaks only for its companies; its claim's ancestors place the company
    // (where no other source placed it) before anything is issued for it.
    await o.admit(c.name, who, address);
    await p.sessions.end(readSessionCookie(req.headers, tls));
    const session = await p.sessions.create(who, manager, { provider: c.name, issuer: c.issuer });
    p.d.log.info({ login: who.login, companyId: who.companyId, provider: c.name, clientAddress: address }, 'portal sign-in');
    res.setHeader('set-cookie', [cleared['set-cookie'], sessionCookie(session.id, tls, prefix)]);
    res.writeHead(303, { ...SECURITY_HEADERS, location: `${prefix}/ui/`, 'content-length': '0' });
    res.end();
  } catch (err) {
    const e = isGatewayError(err) ? err : new GatewayError('internal', undefined, { cause: err });
    if (e.code === 'internal') p.d.log.error({ err: String(err) }, 'SSO sign-in failed');
    else p.d.log.info({ code: e.code, reason: e.detail, provider: params[0], clientAddress: address }, 'portal SSO sign-in refused');
    sendSsoErrorPage(res, e, `${prefix}/ui/`, cleared);
  }
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new GatewayError('validation_failed', 'content-type: expected application/x-www-form-urlencoded');
  return new URLSearchParams((await readBody(req, ACS_BODY_LIMIT)).toString('utf8'));
}
