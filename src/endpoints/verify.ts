import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { classifyAuthorization } from '../auth/classify-authorization.js';
import { GatewayError, rejection } from '../errors.js';
import { hasTokenInUrl } from '../http/token-in-url.js';
import type { UpstreamIdentity } from '../identity/upstream-identity.js';
import type { DecisionLabel } from '../metrics/metrics.js';
import type { TokenValidator, VerifiedToken } from '../token/validator.js';
import type { EndpointHandler } from './context.js';

/** The answer header that tells the ingress which decision it got (deploy/nginx/hlgw.conf maps on it). */
const DECISION_HEADER = 'x-hlgw-decision';

/** What `{prefix}/verify` is made of: the proxy path's own pieces (src/gateway/handle-request.ts). */
export interface VerifyDeps {
  maxTokenBytes: number;
  /** Peers whose X-Original-* / X-Forwarded-Method/-Uri headers are believed (`server.trustedProxies`). */
  trustedProxies: ReadonlySet<string>;
  validator: TokenValidator<UpstreamIdentity>;
  /** Step 7 of the request path, here into an empty header object: the answer's headers. */
  injectIdentity(headers: IncomingHttpHeaders, identity: UpstreamIdentity): void;
  isStateStale?(): boolean;
  onTokenUse?(tokenId: string, address: string): void;
  /** The scopes that would allow a request (the insufficient_scope challenge's `scope`). */
  scopesAllowing?(method: string | undefined, url: string): readonly string[];
  /** Renders the insufficient_scope answer (ErrorResponder.insufficientScope). */
  insufficientScope?(res: Parameters<EndpointHandler>[0]['res'], allowing: readonly string[]): void;
  onDecision?(decision: DecisionLabel): void;
}

/** The request the ingress is deciding about, as its sub-request names it. */
interface OriginalRequest {
  method: string | undefined;
  uri: string | undefined;
}

/**
 * The decision mode (docs/OPERATIONS.md, "Behind nginx (decision mode)"): an ingress (nginx
 * `auth_request`, Traefik `forwardAuth`) asks before it forwards. The answer is the proxy's:
 * 200 with the identity the API would receive for a valid Bearer token, 200 with no identity for
 * Basic, other schemes and anonymous requests (the ingress forwards them as they came), and the
 * proxy's 400/401/403/503 answers, `WWW-Authenticate` challenges included, for everything else.
 * The client's own identity headers are never read, so never echoed: the answer is built empty.
 */
export function verifyEndpoint(d: VerifyDeps): EndpointHandler {
  return async ({ req, res, url, address }) => {
    const original = originalRequest(req, d.trustedProxies);
    try {
      // RFC 6750 §5.3: a token in the URL is refused, in the sub-request's and in the original one.
      if (hasTokenInUrl(url.search) || (original.uri !== undefined && hasTokenInUrl(original.uri))) throw rejection('token_in_query');
      const credential = classifyAuthorization(req.headers.authorization, d.maxTokenBytes);
      if (credential.kind === 'malformed') throw rejection(credential.code);
      if (credential.kind !== 'bearer') {
        d.onDecision?.('pass');
        res.writeHead(200, { [DECISION_HEADER]: 'pass', 'cache-control': 'no-store', 'content-length': '0' });
        return void res.end();
      }
      if (d.isStateStale?.()) throw rejection('token_store_stale');
      const r = await d.validator.validate(credential.token, req.socket);
      if (r instanceof GatewayError) throw r;
      if (r.scope !== undefined && !(original.method !== undefined && original.uri !== undefined && r.scope.allows(original.method, original.uri))) {
        // A scoped token is allowed only for a request the ingress named (from a trusted peer) and its scopes cover.
        d.onDecision?.('deny');
        if (d.insufficientScope === undefined) throw rejection('insufficient_scope');
        return d.insufficientScope(res, original.uri === undefined ? ['full'] : d.scopesAllowing?.(original.method, original.uri) ?? ['full']);
      }
      allow(d, r, res, address);
    } catch (err) {
      d.onDecision?.('deny');
      throw err;
    }
  };
}

function allow(d: VerifyDeps, r: VerifiedToken<UpstreamIdentity>, res: Parameters<EndpointHandler>[0]['res'], address: string): void {
  const identity: IncomingHttpHeaders = {};
  d.injectIdentity(identity, r.extra);
  d.onTokenUse?.(r.claims.tokenId, address);
  d.onDecision?.('allow');
  res.writeHead(200, { ...identity, [DECISION_HEADER]: 'allow', 'cache-control': 'no-store', 'content-length': '0' });
  res.end();
}

/**
 * nginx sends `X-Original-Method`/`X-Original-URI` (deploy/nginx/hlgw.conf sets them), Traefik
 * `X-Forwarded-Method`/`X-Forwarded-Uri`. Believed only from `server.trustedProxies`: from anyone
 * else they are the client's words, and nothing is decided on them.
 */
function originalRequest(req: IncomingMessage, trusted: ReadonlySet<string>): OriginalRequest {
  if (!trusted.has(req.socket.remoteAddress ?? '')) return { method: undefined, uri: undefined };
  const h = req.headers;
  return { method: one(h['x-original-method'] ?? h['x-forwarded-method']), uri: one(h['x-original-uri'] ?? h['x-forwarded-uri']) };
}

function one(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
