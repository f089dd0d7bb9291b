import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, isGatewayError } from '../errors.js';
import { redactPath } from '../secrets/redact-url.js';
import { clientAddress } from '../http/forwarded-headers.js';
import { auditEndpoint } from './audit.js';
import { createCallerAuthenticator } from './authenticate-caller.js';
import { authorizeEndpoint, verifiedBasic } from './authorize.js';
import type { EndpointDeps, EndpointHandler, PortalRoutes } from './context.js';
import { oauthIntrospectEndpoint } from './oauth-introspect.js';
import { oauthRevokeEndpoint } from './oauth-revoke.js';
import { sendJson } from './respond.js';
import { getPolicyEndpoint, putPolicyEndpoint } from './token-policy.js';
import { jwksEndpoint } from './jwks.js';
import { createTokenEndpoint, listTokensEndpoint, revokeTokenEndpoint } from './tokens.js';

interface Route {
  /** Path below the prefix; `([^/]+)` segments become params. */
  pattern: RegExp;
  methods: Readonly<Record<string, EndpointHandler>>;
}

/**
 * The gateway's own endpoints under `prefix` (default /auth). They answer here and never
 * reach the upstream. Unknown paths under the prefix are 404, known paths with another
 * method 405 with Allow; every failure is rendered by the one ErrorResponder.
 */
export function createEndpoints(d: EndpointDeps, parts: { openApi: Record<string, unknown>; verify: EndpointHandler; portal?: PortalRoutes }) {
  const auth = createCallerAuthenticator(d);
  const { openApi, portal, verify } = parts;
  const routes: Route[] = [
    { pattern: /^\/oauth\/authorize$/, methods: { GET: authorizeEndpoint(d, auth), POST: authorizeEndpoint(d, auth) } },
    { pattern: /^\/oauth\/revoke$/, methods: { POST: oauthRevokeEndpoint(d, auth) } },
    { pattern: /^\/oauth\/introspect$/, methods: { POST: oauthIntrospectEndpoint(d, auth) } },
    { pattern: /^\/tokens$/, methods: { GET: listTokensEndpoint(d, auth), POST: createTokenEndpoint(d, auth, verifiedBasic) } },
    { pattern: /^\/tokens\/([^/]+)$/, methods: { DELETE: revokeTokenEndpoint(d, auth) } },
    { pattern: /^\/portfolios\/([^/]+)\/token-policy$/, methods: { GET: getPolicyEndpoint(d, auth), PUT: putPolicyEndpoint(d, auth) } },
    { pattern: /^\/portfolios\/([^/]+)\/audit$/, methods: { GET: auditEndpoint(d, auth) } },
    // The decision mode: an ingress's sub-request (src/endpoints/verify.ts); nginx's auth_request sends GET.
    { pattern: /^\/verify$/, methods: { GET: verify, HEAD: verify } },
    { pattern: /^\/openapi\.json$/, methods: { GET: async ({ res }) => sendJson(res, 200, openApi) } },
  ];
  if (d.jwks) routes.push({ pattern: /^\/\.well-known\/jwks\.json$/, methods: { GET: jwksEndpoint(d.jwks) } });
  const prefix = d.prefix;

  function matches(url: string): boolean {
    if (!url.startsWith(prefix)) return false;
    const next = url.charCodeAt(prefix.length);
    return Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */;
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const path = url.pathname.slice(prefix.length);
    if (portal && (path === '/ui' || path.startsWith('/ui/'))) return portal.dispatch(req, res, url, path);
    for (const route of routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      const handler = route.methods[req.method ?? ''];
      if (!handler) {
        d.onError?.(req, 'method_not_allowed');
        return d.errors.send(res, new GatewayError('method_not_allowed'), { allow: Object.keys(route.methods).join(', ') });
      }
      const params = m.slice(1).map(decodeParam);
      const address = clientAddress(req, d.trustedProxies);
      return handler({ req, res, url, address, params });
    }
    throw new GatewayError('not_found');
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    dispatch(req, res).catch((err: unknown) => {
      if (!isGatewayError(err)) {
        d.log.error({ err: err instanceof Error ? err.message : String(err), path: redactPath(req.url) }, 'endpoint failed');
        d.onError?.(req, 'internal');
        return d.errors.send(res, new GatewayError('internal'));
      }
      d.onError?.(req, err.code);
      if (err.code === 'user_source_unavailable') {
        d.log.warn({ reason: err.cause instanceof Error ? err.cause.message : undefined }, 'user directory unavailable');
      }
      // An unread body would be drained before the next request: close instead.
      d.errors.send(res, err, err.code === 'payload_too_large' ? { connection: 'close' } : undefined);
    }).catch((err: unknown) => {
      // Rendering the error failed too: close rather than leave a rejection unhandled.
      d.log.error({ err: err instanceof Error ? err.message : String(err), path: redactPath(req.url) }, 'endpoint failed to answer');
      res.destroy();
    });
  }

  return { matches, handle };
}

function decodeParam(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new GatewayError('not_found');
  }
}
