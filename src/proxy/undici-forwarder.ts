import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { HOP_BY_HOP, connectionListed } from '../http/forwarded-headers.js';
import type { AuthLabel } from '../metrics/metrics.js';
import { upstreamErrorKind, type Forwarder, type ForwarderOptions } from './forwarder.js';

/**
 * Forwarding with an undici Pool driven by dispatch(): no intermediate stream objects, the
 * handler writes straight into the client response. Measured at about twice http-proxy's
 * throughput on this machine class (bench/RESULTS.md), hence the default.
 */
export function createUndiciForwarder(o: ForwarderOptions): Forwarder {
  const pool = new Pool(o.target.origin, {
    connections: o.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: o.timeoutMs,
    bodyTimeout: o.timeoutMs,
    connectTimeout: Math.min(o.timeoutMs, 10_000),
  });
  const basePath = o.target.pathname === '/' ? '' : o.target.pathname.replace(/\/$/, '');

  return {
    name: 'undici',
    forward(req, res, auth, startedAt) {
      // RFC 9112 §6.3: a request has a body iff it has Content-Length or Transfer-Encoding.
      // undici frames the body itself and refuses a transfer-encoding header.
      const h = req.headers;
      const chunked = h['transfer-encoding'] !== undefined;
      if (chunked) delete h['transfer-encoding'];
      const hasBody = chunked || (h['content-length'] !== undefined && h['content-length'] !== '0');
      const handler = new ResponseHandler(req, res, o, auth, startedAt);
      pool.dispatch(
        {
          origin: o.target.origin,
          path: basePath + (req.url ?? '/'),
          method: req.method as Dispatcher.HttpMethod,
          headers: h as Record<string, string | string[]>,
          body: hasBody ? req : null,
        },
        handler,
      );
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

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly o: ForwarderOptions,
    auth: AuthLabel,
    startedAt: number,
  ) {
    // The one listener per request: client gone before the response ended → stop the upstream
    // request too; either way the exchange is over.
    res.once('close', () => {
      if (!this.done) this.controller?.abort(new Error('client closed the connection'));
      o.onDone(auth, startedAt);
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.res.destroyed) controller.abort(new Error('client closed the connection'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    this.o.onUpstreamResponse((performance.now() - this.t0) / 1000);
    const out: OutgoingHttpHeaders = {};
    const listed = connectionListed(headers.connection);
    for (const name in headers) {
      if (HOP_BY_HOP.has(name) || listed.includes(name)) continue;
      out[name] = headers[name];
    }
    out['x-request-id'] = this.req.headers['x-request-id'];
    this.res.writeHead(statusCode, statusMessage || undefined, out);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // Backpressure: stop reading the upstream until the client has drained.
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.done = true;
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.done = true;
    if (this.res.headersSent || this.res.destroyed) {
      this.res.destroy();
      return;
    }
    this.o.onFailure(this.req, this.res, upstreamErrorKind(err));
  }
}
