import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { endToEndHeaders } from '../http/forwarded-headers.js';
import type { AuthLabel } from '../metrics/metrics.js';
import { upstreamErrorKind, type Forwarder, type ForwarderOptions } from './forwarder.js';
import { setFramingHeaders } from './framing-headers.js';
import { tlsConnector } from './upstream-tls.js';

/**
 * Forwarding with an undici Pool driven by dispatch(): no intermediate stream objects, the
 * handler writes straight into the client response. Measured at about twice http-proxy's
 * throughput on this machine class (bench/RESULTS.md), hence the default.
 */
export function createUndiciForwarder(o: ForwarderOptions): Forwarder {
  const tls = o.tls ? tlsConnector(o.tls) : undefined;
  const pool = new Pool(o.target.origin, {
    connections: o.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: o.timeoutMs,
    bodyTimeout: o.timeoutMs,
    connectTimeout: Math.min(o.timeoutMs, 10_000),
    ...(tls ? { connect: tls.connect } : {}),
  });
  const basePath = o.target.pathname === '/' ? '' : o.target.pathname.replace(/\/$/, '');

  return {
    name: 'undici',
    forward(req, res, framing, auth, startedAt) {
      // RFC 9112 §6.3: the body Node parsed, framed as Node parsed it. undici frames a stream
      // body itself: with the Content-Length given (exactly that many bytes, strictContentLength),
      // else chunked; it refuses a Transfer-Encoding header. It sends a body on a GET or DELETE
      // too, framed, and then closes that upstream connection (a body on those methods has no
      // defined meaning, RFC 9110 §9.3.1); a request Node parsed without one gets `body: null`.
      const h = req.headers;
      setFramingHeaders(h, framing, false);
      const handler = new ResponseHandler(req, res, o, auth, startedAt, tls?.causeOf);
      try {
        pool.dispatch(
          {
            origin: o.target.origin,
            path: basePath + (req.url ?? '/'),
            method: req.method as Dispatcher.HttpMethod,
            headers: h as Record<string, string | string[]>,
            body: framing === 'none' || framing === '0' ? null : req,
          },
          handler,
        );
      } catch (err) {
        // undici reports an invalid request through the handler; a throw is still never let
        // out of the server's 'request' listener, where it would end the process.
        handler.onResponseError(undefined, err instanceof Error ? err : new Error(String(err)), 'request');
      }
    },
    async close() {
      await pool.close();
    },
  };
}

/** One per request: relays status, headers and body chunks into `res`, honouring backpressure. */
class ResponseHandler implements Dispatcher.DispatchHandler {
  private readonly t0 = performance.now();
  private controller: Dispatcher.DispatchController | undefined;
  private done = false;
  /** onUpstreamStatus answered the client: the upstream body is read and dropped. */
  private answered = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly o: ForwarderOptions,
    auth: AuthLabel,
    startedAt: number,
    private readonly tlsCauseOf?: (err: unknown) => Error | undefined,
  ) {
    // The one listener per request: client gone before the response ended → stop the upstream
    // request too; either way the exchange is over. `on`, not `once`: a response closes once, and
    // `once` allocates a wrapper per request.
    res.on('close', () => {
      if (!this.done) this.controller?.abort(new Error('client closed the connection'));
      o.onDone(auth, startedAt, res.statusCode);
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.res.destroyed) controller.abort(new Error('client closed the connection'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    this.o.onUpstreamResponse((performance.now() - this.t0) / 1000, this.req);
    if (this.o.onUpstreamStatus?.(this.req, this.res, statusCode)) {
      this.answered = true;
      return;
    }
    const out: OutgoingHttpHeaders = endToEndHeaders(headers);
    const requestId = this.req.headers['x-request-id'];
    if (requestId !== undefined) out['x-request-id'] = requestId;
    this.res.writeHead(statusCode, statusMessage || undefined, out);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.answered) return;
    // Backpressure: stop reading the upstream until the client has drained.
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.done = true;
    if (!this.answered) this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error, kind = upstreamErrorKind(err)): void {
    if (this.done) return;
    this.done = true;
    if (this.answered) return;
    if (this.res.headersSent || this.res.destroyed) {
      this.res.destroy();
      return;
    }
    // An upstream refusing our client certificate shows as "other side closed": the connector kept why.
    const cause = this.tlsCauseOf?.(err) ?? err;
    this.o.onFailure(this.req, this.res, cause === err ? kind : upstreamErrorKind(cause), cause);
  }
}
