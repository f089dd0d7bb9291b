import type { IncomingMessage, ServerResponse } from 'node:http';
import { classifyAuthorization } from '../auth/classify-authorization.js';
import type { UpstreamIdentity as UpstreamIdentity } from '../identity/upstream-identity.js';
import { GatewayError, rejection, type ErrorCode } from '../errors.js';
import type { Framing } from '../http/check-framing.js';
import type { ErrorResponder } from '../http/error-responses.js';
import { requestIdOf } from '../http/forwarded-headers.js';
import { hasTokenInUrl } from '../http/token-in-url.js';
import type { AuthLabel, GatewayMetrics } from '../metrics/metrics.js';
import type { Forwarder } from '../proxy/forwarder.js';
import type { RequestTracer } from '../tracing/request-tracer.js';
import type { TokenClaims } from '../token/format.js';
import type { TokenValidator, VerifiedToken } from '../token/validator.js';

export interface RequestPathDeps {
  maxTokenBytes: number;
  /** Step 0a: refuses framing the upstream could read differently (src/http/check-framing.ts). */
  checkFraming(req: IncomingMessage): Framing | GatewayError;
  stripIdentity(headers: IncomingMessage['headers']): void;
  setForwardedHeaders(req: IncomingMessage): void;
  injectIdentity(headers: IncomingMessage['headers'], identity: UpstreamIdentity): void;
  validator: TokenValidator<UpstreamIdentity>;
  /** Step 6b's refusal: the scopes that would allow this request (the challenge's `scope`). */
  scopesAllowing(method: string | undefined, url: string): readonly string[];
  /** Only with `tracing` on (src/tracing/): step 6 as a child span of the request's. */
  tracer?: Pick<RequestTracer, 'verify'>;
  forwarder: Forwarder;
  errors: ErrorResponder;
  metrics: GatewayMetrics;
  /** Basic mode: remember that this request replays the entry's credential (src/identity/replay-rejections.ts). */
  trackReplay?(req: IncomingMessage, entry: VerifiedToken<UpstreamIdentity>): void;
  /** Called for each successful Bearer use (last_used_at, batched off the hot path; the access log's who). */
  onTokenUse?(req: IncomingMessage, claims: TokenClaims): void;
  /** Every rejection (the access log notes its code; with log.level debug, a log line). */
  onReject?(req: IncomingMessage, code: ErrorCode): void;
  /**
   * A step threw (or a promise it returned rejected): the request was answered 500 (`internal`) or
   * with the GatewayError's own code (e.g. 503 `signing_key_unusable`). Count and log it here.
   */
  onFailure?(req: IncomingMessage, code: ErrorCode, err: unknown): void;
  /** When the token state is too stale to trust (store down too long), Bearer requests get 503. */
  isStateStale?(): boolean;
  /** The gateway's own endpoints (/auth/...), tried before proxying. */
  endpoints?: { matches(url: string): boolean; handle(req: IncomingMessage, res: ServerResponse): void };
}

/**
 * The hot path, as a fixed sequence of named steps (docs/ARCHITECTURE.md, "The request path"):
 *   0. framing (0a) and origin-form request target (0b)   1. the gateway's own endpoints   2. classify the credential
 *   3. strip spoofed identity   4. set X-Forwarded-* / X-Request-Id   5. refuse tokens in URLs
 *   6. authenticate (Bearer only)   6b. the token's scopes   7. inject identity   8. forward
 * Basic, other schemes and anonymous requests skip 6 and 7: the upstream decides as before.
 */
export function createRequestHandler(d: RequestPathDeps) {
  const { validator, forwarder, metrics } = d;
  /** Connections that close after a framing refusal: Node still parses what was pipelined behind it. */
  const closing = new WeakSet<object>();

  return function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const t0 = performance.now();
    let auth: AuthLabel = 'none';
    try {
      // 0a. RFC 9112 §9.6: once a connection is closing, no further (pipelined) request on it is processed.
      if (closing.has(req.socket)) return reject(d, req, res, 'none', 'request_framing_invalid', t0);
      const framing = d.checkFraming(req);
      if (framing instanceof GatewayError) {
        // A request whose framing is refused ends its connection after the answer (RFC 9112 §11.2).
        res.shouldKeepAlive = false;
        closing.add(req.socket);
        return reject(d, req, res, 'none', framing, t0);
      }
      let url = req.url ?? '/';
      if (url.charCodeAt(0) !== 47 /* / */) { // 0b
        // RFC 9112 §3.2.2: absolute-form is accepted and reduced to origin-form, so it can neither
        // dodge the /auth prefix nor name another host upstream; anything else (`*`, authority-form) is refused.
        const origin = toOriginForm(url);
        if (origin === undefined) return reject(d, req, res, 'none', 'request_target_invalid', t0);
        url = req.url = origin;
      }
      if (d.endpoints !== undefined && d.endpoints.matches(url)) { // 1
        // The proxy path's X-Request-Id rule (step 4) holds for these answers too.
        req.headers['x-request-id'] = requestIdOf(req.headers['x-request-id']);
        // Labelled by the credential the caller brought (Basic to log in, Bearer to list), like proxied requests.
        const kind = classifyAuthorization(req.headers.authorization, d.maxTokenBytes).kind;
        res.once('close', () => metrics.request(kind, 'endpoint', res.statusCode, (performance.now() - t0) / 1000));
        return d.endpoints.handle(req, res);
      }

      const credential = classifyAuthorization(req.headers.authorization, d.maxTokenBytes); // 2
      d.stripIdentity(req.headers); // 3
      auth = credential.kind;
      d.setForwardedHeaders(req); // 4, before any answer: rejections carry the request id too
      if (hasTokenInUrl(url)) return reject(d, req, res, auth, 'token_in_query', t0); // 5, RFC 6750 §5.3, any spelling

      switch (credential.kind) {
        case 'malformed':
          return reject(d, req, res, 'malformed', credential.code, t0);
        case 'bearer': {
          if (d.isStateStale?.()) return reject(d, req, res, 'bearer', 'token_store_stale', t0);
          const r = d.tracer === undefined ? validator.validate(credential.token, req.socket) : d.tracer.verify(req, validator, credential.token); // 6
          if (r instanceof Promise) {
            r.then((v) => {
              try {
                authenticated(d, req, res, framing, v, t0);
              } catch (err) {
                failed(d, req, res, 'bearer', err, t0);
              }
            }, (err: unknown) => failed(d, req, res, 'bearer', err, t0));
            return;
          }
          return authenticated(d, req, res, framing, r, t0); // 7, 8
        }
        default:
          return forwarder.forward(req, res, framing, auth, t0); // 8: Authorization untouched
      }
    } catch (err) {
      failed(d, req, res, auth, err, t0);
    }
  };
}

// The helpers below take the deps as their first argument instead of closing over them: they are
// created once with the module, and the request path makes exactly the calls it made as closures.

// Rejections are answered synchronously: measured at once, no listener. Forwarded exchanges
// are measured by the forwarder (ForwarderOptions.onDone), which already watches the response.
function reject(d: RequestPathDeps, req: IncomingMessage, res: ServerResponse, auth: AuthLabel, code: ErrorCode | GatewayError, t0: number): void {
  const err = typeof code === 'string' ? rejection(code) : code;
  d.onReject?.(req, err.code);
  d.errors.send(res, err);
  d.metrics.request(auth, 'rejected', res.statusCode, (performance.now() - t0) / 1000);
}

// Whatever a step throws becomes an answer from the one error table, never an uncaught
// exception or an unhandled rejection that would end the process for every client.
function failed(d: RequestPathDeps, req: IncomingMessage, res: ServerResponse, auth: AuthLabel, err: unknown, t0: number): void {
  const e = err instanceof GatewayError ? err : rejection('internal');
  d.onFailure?.(req, e.code, err);
  if (res.destroyed) return;
  reject(d, req, res, auth, e, t0);
}

/** Steps 7 and 8 once the token is verified (or refused). */
function authenticated(d: RequestPathDeps, req: IncomingMessage, res: ServerResponse, framing: Framing, r: VerifiedToken<UpstreamIdentity> | GatewayError, t0: number): void {
  if (r instanceof GatewayError) return reject(d, req, res, 'bearer', r, t0);
  if (res.destroyed) return; // the client left while we verified
  // 6b. RFC 6750 §3.1: outside the token's scopes, 403 insufficient_scope; never forwarded. The
  // checker was built with the cache entry; `full` has none.
  if (r.scope !== undefined && !r.scope.allows(req.method, req.url!)) return refuseScope(d, req, res, t0);
  d.injectIdentity(req.headers, r.extra);
  d.trackReplay?.(req, r);
  d.onTokenUse?.(req, r.claims);
  d.forwarder.forward(req, res, framing, 'bearer', t0);
}

function refuseScope(d: RequestPathDeps, req: IncomingMessage, res: ServerResponse, t0: number): void {
  d.onReject?.(req, 'insufficient_scope');
  d.errors.insufficientScope(res, d.scopesAllowing(req.method, req.url!));
  d.metrics.request('bearer', 'rejected', res.statusCode, (performance.now() - t0) / 1000);
}

/** `http://host/p?q` → `/p?q`; undefined for anything that is not absolute-form. */
function toOriginForm(target: string): string | undefined {
  if (!/^https?:\/\//i.test(target) || !URL.canParse(target)) return undefined;
  const u = new URL(target);
  return u.pathname + u.search;
}
