import type { IncomingMessage, ServerResponse } from 'node:http';
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  ATTR_CLIENT_ADDRESS, ATTR_DB_OPERATION_NAME, ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVER_ADDRESS, ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import { GatewayError } from '../errors.js';
import type { Forwarder } from '../proxy/forwarder.js';
import { redactPath } from '../secrets/redact-url.js';
import type { ValidationTrace } from '../token/validator.js';

/** What the request path validates with: TokenValidator, seen through the one call it makes. */
interface Validating<R> {
  validate(token: string, conn?: object, trace?: ValidationTrace): R | Promise<R>;
}

/** One request's spans: the root (the request on the proxy port) and the upstream call while it runs. */
interface RequestSpans {
  readonly root: Span;
  readonly context: Context;
  upstream: Span | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The gateway's traces, built by the composition root only when `tracing` is configured: with
 * tracing off nothing here exists and the request path makes no call into it.
 *
 * Trust (the W3C Trace Context header is client input): an incoming `traceparent`/`tracestate`
 * is continued only from `server.trustedProxies`; from any other peer both are removed and a new
 * trace starts, so a client can neither join a trace of its choosing nor force sampling (the
 * sampler, src/tracing/tracer-provider.ts, then sees no parent and applies our own ratio). The
 * upstream always receives a `traceparent` naming our upstream span, sampled or not.
 */
/** A request's spans, as a property of the request: a WeakMap entry per request is an ephemeron the GC walks at every scavenge. */
const SPANS = Symbol('hlgw.spans');
type Tagged = IncomingMessage & { [SPANS]?: RequestSpans | undefined };

export class RequestTracer {
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(
    private readonly tracer: Tracer,
    private readonly trustedProxies: ReadonlySet<string>,
    private readonly upstreamHost: string,
  ) {}

  /** `handler` with a root span around each request, ended when the response closes. */
  wrap(handler: Handler): Handler {
    return (req, res) => {
      this.start(req, res);
      handler(req, res);
    };
  }

  /** Step 6 with a child span: `hlgw.token.cache` (hit, miss, negative_hit), the refusal's code, the store read on a miss. */
  verify<R>(req: IncomingMessage, validator: Validating<R>, token: string): R | Promise<R> {
    const r = (req as Tagged)[SPANS];
    if (r === undefined) return validator.validate(token, req.socket);
    const span = this.tracer.startSpan('token verify', { kind: SpanKind.INTERNAL }, r.context);
    const context = trace.setSpan(r.context, span);
    const probe: ValidationTrace = {
      cache: (outcome) => span.setAttribute('hlgw.token.cache', outcome),
      storeRead: (read) => this.storeRead(read, context),
    };
    let out: R | Promise<R>;
    try {
      out = validator.validate(token, req.socket, probe);
    } catch (err) {
      endFailed(span, err);
      throw err;
    }
    if (!(out instanceof Promise)) return endVerdict(span, out);
    return out.then((v) => endVerdict(span, v), (err: unknown) => {
      endFailed(span, err);
      throw err;
    });
  }

  /** `inner` whose forward starts the upstream span and sends its `traceparent` (req.headers are copied by the forwarder). */
  forwarder(inner: Forwarder): Forwarder {
    return {
      name: inner.name,
      close: () => inner.close(),
      forward: (req, res, framing, auth, startedAt) => {
        this.startUpstream(req);
        inner.forward(req, res, framing, auth, startedAt);
      },
    };
  }

  /** The upstream's response headers arrived: its span ends (as hlgw_upstream_duration_seconds measures). */
  upstreamAnswered(req: IncomingMessage, status: number): void {
    const r = (req as Tagged)[SPANS];
    if (r?.upstream === undefined) return;
    r.upstream.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (status >= 500) r.upstream.setStatus({ code: SpanStatusCode.ERROR });
    r.upstream.end();
    r.upstream = undefined;
  }

  /** The upstream call failed (`kind`: timeout, unreachable, reset, request, tls). */
  upstreamFailed(req: IncomingMessage, kind: string): void {
    const r = (req as Tagged)[SPANS];
    if (r?.upstream === undefined) return;
    r.upstream.setAttribute(ATTR_ERROR_TYPE, kind);
    r.upstream.setStatus({ code: SpanStatusCode.ERROR, message: kind });
    r.upstream.end();
    r.upstream = undefined;
  }

  /** A refusal or failure of this request: noted on its root span; returns its trace id for the log line. */
  noteError(req: IncomingMessage, code: string): string | undefined {
    const r = (req as Tagged)[SPANS];
    if (r === undefined) return undefined;
    r.root.setAttribute('hlgw.error.code', code);
    return r.root.spanContext().traceId;
  }

  private start(req: IncomingMessage, res: ServerResponse): void {
    const h = req.headers;
    const peer = req.socket.remoteAddress ?? '';
    const parent = this.trustedProxies.has(peer) ? this.propagator.extract(ROOT_CONTEXT, h, defaultTextMapGetter) : ROOT_CONTEXT;
    // Never forwarded as the client sent them: the upstream gets ours (startUpstream).
    if (h.traceparent !== undefined) delete h.traceparent;
    if (h.tracestate !== undefined) delete h.tracestate;
    const root = this.tracer.startSpan(req.method ?? 'HTTP', {
      kind: SpanKind.SERVER,
      // redactPath: no query string and no token-shaped path segment in a span (the access log's rule).
      attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method ?? '', [ATTR_URL_PATH]: redactPath(req.url), [ATTR_CLIENT_ADDRESS]: peer },
    }, parent);
    const r: RequestSpans = { root, context: trace.setSpan(ROOT_CONTEXT, root), upstream: undefined };
    (req as Tagged)[SPANS] = r;
    res.once('close', () => this.end(req, res, r));
  }

  private startUpstream(req: IncomingMessage): void {
    const r = (req as Tagged)[SPANS];
    if (r === undefined) return;
    const span = this.tracer.startSpan('upstream', {
      kind: SpanKind.CLIENT,
      attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method ?? '', [ATTR_SERVER_ADDRESS]: this.upstreamHost },
    }, r.context);
    r.upstream = span;
    this.propagator.inject(trace.setSpan(ROOT_CONTEXT, span), req.headers, defaultTextMapSetter);
  }

  private storeRead<R>(read: () => R, context: Context): R {
    const span = this.tracer.startSpan('store getToken', { kind: SpanKind.CLIENT, attributes: { [ATTR_DB_OPERATION_NAME]: 'getToken' } }, context);
    let out: R;
    try {
      out = read();
    } catch (err) {
      endFailed(span, err);
      throw err;
    }
    // A synchronous store (SQLite) has answered already; a promise ends the span when it settles.
    if (out instanceof Promise) out.then(() => span.end(), (err: unknown) => endFailed(span, err));
    else span.end();
    return out;
  }

  private end(req: IncomingMessage, res: ServerResponse, r: RequestSpans): void {
    if (r.upstream !== undefined) this.upstreamFailed(req, 'client_closed'); // the client left before the upstream answered
    const requestId = req.headers['x-request-id'];
    if (typeof requestId === 'string') r.root.setAttribute('hlgw.request_id', requestId);
    r.root.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
    if (res.statusCode >= 500 || !res.writableFinished) r.root.setStatus({ code: SpanStatusCode.ERROR });
    r.root.end();
    (req as Tagged)[SPANS] = undefined;
  }
}

function endVerdict<R>(span: Span, verdict: R): R {
  if (verdict instanceof GatewayError) span.setAttribute('hlgw.error.code', verdict.code);
  span.end();
  return verdict;
}

function endFailed(span: Span, err: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  span.end();
}
