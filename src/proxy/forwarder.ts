import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Framing } from '../http/check-framing.js';
import type { AuthLabel, UpstreamErrorKind } from '../metrics/metrics.js';
import { isTlsFailure, type UpstreamTls } from './upstream-tls.js';

/**
 * The forwarding seam: send a request whose headers are already rewritten to the upstream
 * and stream the answer back. Two implementations, chosen by `upstream.client`.
 *
 * Both must behave alike: status and reason kept, repeated headers kept, hop-by-hop headers
 * dropped both ways, bodies streamed with backpressure, client gone → upstream request
 * aborted, failure before response headers → `onFailure` (the gateway answers 502/504),
 * failure after → the client connection is closed. The body goes upstream framed exactly as
 * Node parsed it (`framing`, RFC 9112 §6.3), never as `req.headers` may say by then. A
 * synchronous throw (an invalid header value reaching the HTTP client) is a failure like any
 * other: `onFailure` with kind `request`, never an exception out of `forward`.
 */
export interface Forwarder {
  readonly name: ForwarderName;
  /** `auth` and `startedAt` are handed back to `onDone` once the exchange is over (request metrics). */
  forward(req: IncomingMessage, res: ServerResponse, framing: Framing, auth: AuthLabel, startedAt: number): void;
  close(): Promise<void>;
}

export type ForwarderName = 'undici' | 'http-proxy';

export interface ForwarderOptions {
  target: URL;
  timeoutMs: number;
  connections: number;
  /** For an https:// target: CA, expected name, client certificate (upstream.tls). */
  tls?: UpstreamTls;
  /** The client connection is done with this exchange (finished, failed or aborted); `status`: res.statusCode then. */
  onDone(auth: AuthLabel, startedAt: number, status: number): void;

  /** Response headers of `req`'s upstream request arrived after `seconds` (metrics, access log). */
  onUpstreamResponse(seconds: number, req: IncomingMessage): void;
  /**
   * Response headers arrived, nothing is written to `res` yet. True = the caller answered the
   * client itself: the upstream response is drained and dropped (src/identity/replay-rejections.ts).
   */
  onUpstreamStatus?(req: IncomingMessage, res: ServerResponse, status: number): boolean;
  /** The upstream failed; `res.headersSent` tells whether the client can still get an error body. `err` is the cause (for the log). */
  onFailure(req: IncomingMessage, res: ServerResponse, kind: UpstreamErrorKind, err?: unknown): void;
}

/** Classifies a transport error from either client. */
export function upstreamErrorKind(err: unknown): UpstreamErrorKind {
  const code = (err as { code?: string } | undefined)?.code ?? '';
  if (isTlsFailure(code)) return 'tls';
  // The request could not be built (a header value the HTTP client refuses): nothing was sent.
  if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN' ||
      code === 'ERR_HTTP_INVALID_HEADER_VALUE') return 'request';
  if (code === 'HLGW_UPSTREAM_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
  return 'unreachable';
}
