import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createIdentityStripper } from '../auth/strip-identity.js';
import { DEFAULTS } from '../config/schema.js';
import { createFramingCheck } from '../http/check-framing.js';
import { ConnectionDrain } from '../http/drain.js';
import { clientAddress, createForwardedHeaders, FORWARDING_HEADERS } from '../http/forwarded-headers.js';
import { createProxyListener } from '../http/server-tls.js';
import { ReplayRejections } from '../identity/replay-rejections.js';
import { stripSessionCookie } from '../portal/session-cookie.js';
import { redactPath } from '../secrets/redact-url.js';
import type { ForwarderName } from '../proxy/forwarder.js';
import type { GatewayContext } from './context.js';
import type { Endpoints } from './endpoints-part.js';
import { createRequestHandler } from './handle-request.js';
import type { IdentityPart } from './identity-part.js';
import type { ObservabilityPart } from './observability-part.js';
import { buildForwarder } from './forwarder-part.js';
import type { ServicesPart } from './services-part.js';
import type { StatePart } from './state-part.js';
import type { TracingPart } from './tracing-part.js';

/** The proxy port: the request path of src/gateway/handle-request.ts behind its listener. */
export interface EdgePart {
  readonly proxyServer: Server;
  readonly drain: ConnectionDrain;
  readonly forwarderName: ForwarderName;
  stop(drainMs: number): Promise<void>;
}

export function buildEdge(
  ctx: GatewayContext, s: StatePart, id: IdentityPart, services: ServicesPart, obs: ObservabilityPart, endpoints: Endpoints, forwarderName: ForwarderName,
  { tracer }: TracingPart,
): EdgePart {
  const { config, log, errors } = ctx;
  const { metrics, accessLog } = obs;
  const replays = id.upstreamIdentity.used.has('basic')
    ? new ReplayRejections(id.validator, errors, config.identity.rejectedCredentialSeconds, (req) => {
      metrics.result('credential_rejected');
      accessLog.refused(req, 'credential_rejected');
    })
    : undefined;
  const forwarder = buildForwarder(ctx, obs, forwarderName, replays, tracer);
  const identityNames = [...Object.values(config.identity.headers), ...config.identity.alsoStrip, config.identity.assertion.header];
  const handler = createRequestHandler({
    maxTokenBytes: config.tokens.maxTokenBytes,
    checkFraming: createFramingCheck({ maxHeaders: config.server.maxHeaders, identityNames }),
    stripIdentity: stripIdentityAndSession(createIdentityStripper(identityNames, FORWARDING_HEADERS)),
    setForwardedHeaders: createForwardedHeaders({
      trustedProxies: config.server.trustedProxies,
      upstreamHost: config.upstream.preserveHost ? undefined : new URL(config.upstream.url).host,
    }),
    injectIdentity: id.injectIdentity,
    validator: id.validator, scopesAllowing: (method, url) => id.scopes.allowing(method, url), forwarder: tracer ? tracer.forwarder(forwarder) : forwarder, errors, metrics,
    ...(tracer ? { tracer } : {}),
    ...(replays ? { trackReplay: (req: IncomingMessage, entry: Parameters<ReplayRejections['track']>[1]) => replays.track(req, entry) } : {}),
    onTokenUse(req, claims) {
      if (services.usage.wants(claims.tokenId)) services.usage.touch(claims.tokenId, clientAddress(req, ctx.trustedProxies));
      accessLog.identified(req, claims);
    },
    endpoints,
    isStateStale: s.freshness ? () => s.freshness!.isStale() : undefined,
    onFailure(req, code, err) {
      metrics.requestFailure(code === 'signing_key_unusable' ? code : 'internal');
      // The signing key logs once, when it is found (SigningKeyRing); anything else is a bug worth a line each time.
      const traceId = tracer?.noteError(req, code);
      if (code !== 'signing_key_unusable') log.error({ requestId: req.headers['x-request-id'], trace_id: traceId, path: redactPath(req.url), code, err: err instanceof Error ? err.message : String(err) }, 'request failed in the gateway');
    },
    onReject(req, code) {
      accessLog.refused(req, code);
      const traceId = tracer?.noteError(req, code);
      // redactPath: no query string, no token-shaped part of the path (the access log's rule).
      if (log.isLevelEnabled('debug')) log.debug({ requestId: req.headers['x-request-id'], trace_id: traceId, method: req.method, path: redactPath(req.url), code }, 'request rejected');
    },
  });
  const proxyServer = createListener(ctx, accessLog.wrap(tracer ? tracer.wrap(handler) : handler));
  const drain = new ConnectionDrain(proxyServer);
  return {
    proxyServer, drain, forwarderName,
    async stop(drainMs) {
      await drain.close(drainMs);
      await forwarder.close();
    },
  };
}

/** HTTPS with server.tls (certificates re-read by reloadTls), else clear text. */
function createListener(ctx: GatewayContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const { config, errors } = ctx;
  const server = createProxyListener(config.server, handler, { maxHeaderSize: DEFAULTS.maxHeaderBytes });
  // Node keeps this many headers in req.headers; step 0a refuses requests that carry more.
  server.maxHeadersCount = config.server.maxHeaders;
  // A request Node's parser refuses (bad framing, obs-fold, bare LF, head too large) never
  // reaches the handler: answer it in our JSON shape and close (RFC 9112 §11.2).
  const answers = { overflow: errors.raw('header_fields_too_large'), malformed: errors.raw('request_malformed') };
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // As Node's own handler: never write into a response already under way (bytes pipelined
    // after `Connection: close`, a broken chunked body): that would corrupt it for the client.
    const inFlight = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    if (!socket.writable || err.code === 'ECONNRESET' || inFlight?.headersSent) return socket.destroy();
    socket.end(err.code === 'HPE_HEADER_OVERFLOW' ? answers.overflow : answers.malformed);
  });
  return server;
}

/** Step 3 also drops the portal's session cookie: the upstream never sees a portal session. */
function stripIdentityAndSession(stripIdentity: (h: IncomingMessage['headers']) => void): (h: IncomingMessage['headers']) => void {
  return (h) => {
    stripIdentity(h);
    if (h.cookie !== undefined) stripSessionCookie(h);
  };
}

