import { Agent, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import httpProxy from 'http-proxy';
import type { Framing } from '../http/check-framing.js';
import { endToEndHeaders } from '../http/forwarded-headers.js';
import type { AuthLabel } from '../metrics/metrics.js';
import { upstreamErrorKind, type Forwarder, type ForwarderOptions } from './forwarder.js';
import { setFramingHeaders } from './framing-headers.js';

/**
 * Per request: the metrics labels handed to forward(), and when the upstream request left. A
 * property of the request, not a WeakMap entry: a WeakMap keyed by every request is an ephemeron
 * table the garbage collector walks at each scavenge (the profile showed GC at ten times
 * bare http-proxy's; bench/RESULTS.md, "Where the time goes").
 */
const EXCHANGE = Symbol('hlgw.exchange');
type Tagged = IncomingMessage & { [EXCHANGE]?: { auth: AuthLabel; startedAt: number; sentAt: number } | undefined };

/**
 * Forwarding with http-proxy (the package the design card names). It has had no release
 * since 2020, so it stays behind this one file. It copies req.headers when it builds the
 * upstream request: the gateway has rewritten them before `forward` is called.
 */
export function createHttpProxyForwarder(o: ForwarderOptions): Forwarder {
  const { proxy, agent } = buildProxy(o);

  proxy.on('proxyReq', (proxyReq, req, res) => {
    const x = (req as Tagged)[EXCHANGE];
    if (x) x.sentAt = performance.now();
    // http-proxy only listens for 'aborted', which a request whose body has ended never emits.
    // `on`, not `once`: a response closes once, and `once` allocates a wrapper per request.
    res.on('close', () => {
      if (!res.writableFinished) proxyReq.destroy();
      if (x) o.onDone(x.auth, x.startedAt, res.statusCode);
    });
    // The idle timeout is armed once per socket by the Agent (`timeout`); here only the reaction.
    proxyReq.on('timeout', onUpstreamTimeout);
  });

  proxy.on('proxyRes', (proxyRes, req, res) => {
    const x = (req as Tagged)[EXCHANGE];
    if (x) o.onUpstreamResponse((performance.now() - x.sentAt) / 1000, req);
    // Answered here: http-proxy neither copies headers nor pipes into a finished response; drain the upstream's.
    if (o.onUpstreamStatus?.(req, res, proxyRes.statusCode ?? 0)) {
      proxyRes.resume();
      return;
    }
    rewriteResponseHeaders(proxyRes, req, res);
    // The upstream died mid-body: headers are out, so closing the client connection is the only signal left.
    proxyRes.on('aborted', () => res.destroy());
  });

  proxy.on('error', (err, req, res) => {
    const response = res as ServerResponse;
    if (response.headersSent) {
      response.destroy();
      return;
    }
    o.onFailure(req, response, upstreamErrorKind(err), err);
  });

  return {
    name: 'http-proxy',
    forward(req: IncomingMessage, res: ServerResponse, framing: Framing, auth: AuthLabel, startedAt: number) {
      // Node's ClientRequest frames from these: Content-Length as given, chunked when the
      // header says so, nothing for a bodyless GET/DELETE (whose request stream is empty).
      setFramingHeaders(req.headers, framing, true);
      // Headers removed earlier on the path hold `undefined` (src/http/forwarded-headers.ts); Node's
      // setHeader refuses those. A new object with the others, not `delete`: http-proxy copies it
      // once more and Node's ClientRequest walks it, both faster on an object that is no hash table.
      req.headers = definedOnly(req.headers);
      (req as Tagged)[EXCHANGE] = { auth, startedAt, sentAt: startedAt };
      try {
        proxy.web(req, res);
      } catch {
        // http.request() validates header values synchronously; a throw here would otherwise
        // escape the server's 'request' listener and end the process.
        (req as Tagged)[EXCHANGE] = undefined; // the exchange ends here: no proxyReq listener reports it again
        if (res.headersSent) res.destroy();
        else o.onFailure(req, res, 'request');
        o.onDone(auth, startedAt, res.statusCode);
      }
    },
    async close() {
      proxy.close();
      agent.destroy();
    },
  };
}

/** The http-proxy server and its keep-alive Agent, with the passes this file relies on checked. */
function buildProxy(o: ForwarderOptions): { proxy: httpProxy; agent: Agent } {
  const agentOptions = { keepAlive: true, maxSockets: o.connections, maxFreeSockets: o.connections, scheduling: 'lifo' as const, timeout: o.timeoutMs };
  // An https:// target needs an https Agent; its TLS options win over http-proxy's per request.
  const agent = o.target.protocol === 'https:' ? new HttpsAgent({ ...agentOptions, ...o.tls }) : new Agent(agentOptions);
  const proxy = httpProxy.createProxyServer({
    target: o.target.origin, agent, xfwd: false, changeOrigin: false, ws: false,
    // http-proxy sets rejectUnauthorized from `secure` on every request.
    secure: o.tls?.rejectUnauthorized ?? true,
  });
  // http-proxy's `deleteLength` pass turns a DELETE/OPTIONS without Content-Length into
  // `Content-Length: 0` and drops Transfer-Encoding, then pipes the body anyway: a chunked
  // DELETE's body would reach the upstream unframed, as the next request. Framing is ours.
  const passes = proxy as unknown as { webPasses: Array<(...args: unknown[]) => unknown> };
  passes.webPasses = passes.webPasses.filter((pass) => pass.name !== 'deleteLength');
  // http-proxy is frozen at 1.18 (no release since 2020); a different one needs this reviewed.
  if (passes.webPasses.map((p) => p.name).join() !== 'timeout,XHeaders,stream') throw new Error('http-proxy: unexpected web passes; review src/proxy/http-proxy-forwarder.ts');
  return { proxy, agent };
}

/** The request stops at its first timeout (its destroy ends the exchange). No closure per request. */
function onUpstreamTimeout(this: ClientRequest): void {
  this.destroy(Object.assign(new Error('upstream timeout'), { code: 'HLGW_UPSTREAM_TIMEOUT' }));
}

function definedOnly(h: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const name in h) if (h[name] !== undefined) out[name] = h[name];
  return out;
}

/** The upstream's response headers as the client gets them (a new proxyRes.headers): http-proxy copies them into the response after 'proxyRes'. */
function rewriteResponseHeaders(proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse): void {
  const out: IncomingHttpHeaders = endToEndHeaders(proxyRes.headers);
  // http-proxy's setConnection pass writes `Connection: keep-alive` when the header is absent,
  // which overrides Node's decision: a client's `Connection: close` (RFC 9112 §9.6) and the
  // drain's (src/http/drain.ts) would be answered with keep-alive. Node's decision stands.
  if (!res.shouldKeepAlive) out.connection = 'close';
  out['x-request-id'] = req.headers['x-request-id'];
  proxyRes.headers = out;
}
