import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';
import { auditEndpoint } from '../endpoints/audit.js';
import { authorizeEndpoint } from '../endpoints/authorize.js';
import type { EndpointDeps, Exchange, PortalRoutes } from '../endpoints/context.js';
import { getPolicyEndpoint, putPolicyEndpoint } from '../endpoints/token-policy.js';
import { createTokenEndpoint, listTokensEndpoint, revokeTokenEndpoint } from '../endpoints/tokens.js';
import { clientAddress } from '../http/forwarded-headers.js';
import type { PortalContext } from './context.js';
import { confirmedBasic } from './confirm-password.js';
import { createLoginGate } from './login-gate.js';
import { redirect, sendAsset } from './respond.js';
import { isSafeMethod, requireSameOrigin } from './same-origin.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { createSessionAuthenticator } from './session-caller.js';
import { currentSessionEndpoint, sessionProbeEndpoint, signInEndpoint, signOutEndpoint } from './session-endpoints.js';
import type { SessionManager } from './sessions.js';
import { createSsoEndpoints, type SsoOptions } from './sso-endpoints.js';
import { loadStaticAssets, type StaticAssets } from './static-assets.js';
import { tokenScopesEndpoint } from './token-scopes-endpoint.js';

export interface PortalOptions {
  sessions: SessionManager;
  idleMinutes: number;
  /** SSO providers (users.sso: none = password sign-in only) and what their sign-ins need. */
  sso: SsoOptions;
  /** `identity.upstream: basic` for this company's portfolio: a generated token carries the user's own Basic, so the password is confirmed. */
  replaysCredential?: (companyId: string, viaSso: boolean) => boolean;
  /** The page's files; read from the build output when absent. */
  assets?: StaticAssets;
}

type Handler = (x: Exchange) => Promise<void>;
interface Route { pattern: RegExp; methods: Readonly<Record<string, Handler>> }

/**
 * The Token Management portal under `{prefix}/ui/`: the page's files and, under `/ui/api/`, the
 * calls it makes. Those are the /auth API's own handlers (src/endpoints/*) with the session
 * standing in for Basic, so both write the same audit trail. Every state-changing call must
 * come from our own origin (src/portal/same-origin.ts) and carry the session's CSRF token.
 */
export function createPortal(d: EndpointDeps, o: PortalOptions): PortalRoutes {
  const assets = o.assets ?? loadStaticAssets();
  if (!assets.has('index.html')) d.log.warn('the portal page is not built (dist/portal/web missing): run npm run build');
  const p: PortalContext = { d, sessions: o.sessions, login: createLoginGate(d.limiter), assets, idleMinutes: o.idleMinutes, replaysCredential: o.replaysCredential ?? (() => false) };
  const viaSession = createSessionAuthenticator(p);
  const sso = createSsoEndpoints(p, o.sso);
  const api: Route[] = [
    { pattern: /^\/session$/, methods: { GET: currentSessionEndpoint(p), POST: signInEndpoint(p, sso.passwordAllowed), DELETE: signOutEndpoint(p) } },
    { pattern: /^\/session-probe$/, methods: { GET: sessionProbeEndpoint(p) } },
    { pattern: /^\/sign-in-options$/, methods: { GET: sso.options } },
    { pattern: /^\/oauth\/authorize$/, methods: { POST: authorizeEndpoint(d, viaSession, confirmedBasic(p)) } },
    { pattern: /^\/tokens$/, methods: { GET: listTokensEndpoint(d, viaSession), POST: createTokenEndpoint(d, viaSession, confirmedBasic(p)) } },
    { pattern: /^\/token-scopes$/, methods: { GET: tokenScopesEndpoint(d, viaSession) } },
    { pattern: /^\/tokens\/([^/]+)$/, methods: { DELETE: revokeTokenEndpoint(d, viaSession) } },
    { pattern: /^\/portfolios\/([^/]+)\/token-policy$/, methods: { GET: getPolicyEndpoint(d, viaSession), PUT: putPolicyEndpoint(d, viaSession) } },
    { pattern: /^\/portfolios\/([^/]+)\/audit$/, methods: { GET: auditEndpoint(d, viaSession) } },
  ];

  /** `path` is below the endpoints prefix and starts with /ui. */
  async function dispatch(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
    // On every portal answer, errors included (they are written by the shared ErrorResponder).
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const method = req.method ?? '';
    if (path === '/ui') return redirect(res, `${d.prefix}/ui/`);
    if (path.startsWith('/ui/api/')) {
      const sub = path.slice('/ui/api'.length);
      for (const route of api) {
        const m = route.pattern.exec(sub);
        if (!m) continue;
        const handler = route.methods[method];
        if (!handler) return d.errors.send(res, new GatewayError('method_not_allowed'), { allow: Object.keys(route.methods).join(', ') });
        // Before reading anything else: a cross-site call is refused whatever it carries.
        if (!isSafeMethod(method)) requireSameOrigin(req, d.trustedProxies);
        const params = m.slice(1).map(decodeParam);
        return handler({ req, res, url, address: clientAddress(req, d.trustedProxies), params });
      }
      throw new GatewayError('not_found');
    }
    // The SSO steps: top-level navigations (from our page, then back from the provider). Only
    // the SAML ACS takes a POST, and it checks nothing cross-site (sso-endpoints.ts, acs).
    const ssoStep = /^\/ui\/sso\/([a-z0-9-]{1,32})\/(start|callback|acs|metadata)$/.exec(path);
    if (ssoStep) {
      const step = ssoStep[2]!;
      const allowed = step === 'acs' ? 'POST' : 'GET';
      if (method !== allowed) return d.errors.send(res, new GatewayError('method_not_allowed'), { allow: allowed });
      const x = { req, res, url, address: clientAddress(req, d.trustedProxies), params: [ssoStep[1]!] };
      return step === 'start' ? sso.start(x) : step === 'callback' ? sso.callback(x) : step === 'acs' ? sso.acs(x) : sso.metadata(x);
    }
    const name = path === '/ui/' ? 'index.html' : path.slice('/ui/'.length);
    const asset = assets.get(name);
    if (asset === undefined) throw new GatewayError('not_found');
    if (!isSafeMethod(method)) return d.errors.send(res, new GatewayError('method_not_allowed'), { allow: 'GET, HEAD' });
    sendAsset(res, asset.type, asset.body, method === 'HEAD');
  }

  return { dispatch };
}

function decodeParam(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new GatewayError('not_found');
  }
}
