import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';
import type { ReplayRejections } from '../identity/replay-rejections.js';
import type { UpstreamErrorKind } from '../metrics/metrics.js';
import type { Forwarder, ForwarderName, ForwarderOptions } from '../proxy/forwarder.js';
import { createHttpProxyForwarder } from '../proxy/http-proxy-forwarder.js';
import { upstreamCause, upstreamTls } from '../proxy/upstream-cause.js';
import { createUndiciForwarder } from '../proxy/undici-forwarder.js';
import type { RequestTracer } from '../tracing/request-tracer.js';
import type { GatewayContext } from './context.js';
import type { ObservabilityPart } from './observability-part.js';

const UPSTREAM_FAILURE: Record<UpstreamErrorKind, 'upstream_timeout' | 'upstream_unreachable' | 'forward_failed'> = {
  timeout: 'upstream_timeout',
  unreachable: 'upstream_unreachable',
  reset: 'upstream_unreachable',
  request: 'forward_failed',
  tls: 'upstream_unreachable',
};

/** The upstream client (`upstream.client`: undici or http-proxy), with what it reports wired to metrics and the access log. */
export function buildForwarder(
  ctx: GatewayContext, obs: ObservabilityPart, name: ForwarderName, replays: ReplayRejections | undefined, tracer: RequestTracer | undefined,
): Forwarder {
  const { config, log, errors } = ctx;
  const { metrics, accessLog } = obs;
  const options: ForwarderOptions = {
    target: new URL(config.upstream.url),
    timeoutMs: config.upstream.timeoutMs,
    connections: config.upstream.connections,
    tls: upstreamTls(config, log),
    onDone: (auth, startedAt, status) => metrics.request(auth, 'forwarded', status, (performance.now() - startedAt) / 1000),
    onUpstreamResponse(s, req) {
      metrics.upstreamDuration.observe(s);
      accessLog.upstream(req, s);
    },
    ...upstreamStatusHook(replays, tracer),
    onFailure(req: IncomingMessage, res: ServerResponse, kind: UpstreamErrorKind, err?: unknown) {
      metrics.upstreamError(kind);
      accessLog.refused(req, UPSTREAM_FAILURE[kind]);
      tracer?.upstreamFailed(req, kind);
      const traceId = tracer?.noteError(req, UPSTREAM_FAILURE[kind]);
      // The cause (CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, ECONNREFUSED...) is what an operator acts on.
      log.warn({ requestId: req.headers['x-request-id'], trace_id: traceId, kind, ...upstreamCause(err) }, kind === 'tls' ? 'upstream TLS handshake failed' : 'upstream request failed');
      errors.send(res, new GatewayError(UPSTREAM_FAILURE[kind]));
    },
  };
  return name === 'undici' ? createUndiciForwarder(options) : createHttpProxyForwarder(options);
}

/**
 * onUpstreamStatus only when something needs it (a forwarder skips the call without one): the
 * replayed-credential verdict (basic mode), and with tracing the end of the upstream span.
 */
function upstreamStatusHook(replays: ReplayRejections | undefined, tracer: RequestTracer | undefined): Pick<ForwarderOptions, 'onUpstreamStatus'> {
  if (tracer === undefined) return replays ? { onUpstreamStatus: replays.onUpstreamStatus } : {};
  return {
    onUpstreamStatus(req, res, status) {
      tracer.upstreamAnswered(req, status);
      return replays?.onUpstreamStatus(req, res, status) ?? false;
    },
  };
}
