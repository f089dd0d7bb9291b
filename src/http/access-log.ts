import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { classifyAuthorization, type Credential } from '../auth/classify-authorization.js';
import type { ErrorCode } from '../errors.js';
import { createAccessLogger, type AccessLogger, type Logger } from '../log.js';
import { TurnBatch } from '../turn-batch.js';
import { accessLine, type AccessFields } from './access-line.js';
import { redactPath } from '../secrets/redact-url.js';
import type { TokenClaims } from '../token/format.js';
import { clientAddress } from './forwarded-headers.js';

export type AccessMode = 'off' | 'all' | 'sampled';
export interface AccessSettings { access: AccessMode; accessSampleRate: number; accessUserIds: boolean }
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** What one request has told the log so far; written once its response is done. */
interface Entry {
  t0: number;
  socket: Socket;
  read0: number;
  written0: number;
  auth: Credential['kind'];
  body: number | 'chunked';
  client: string;
  code: ErrorCode | undefined;
  upstreamMs: number | undefined;
  /** The verified Bearer token's claims (a reference: read when the line is written). */
  token: TokenClaims | undefined;
}

const ENTRY = Symbol('hlgw.accessLog');
type Tagged = IncomingMessage & { [ENTRY]?: Entry };
const UPSTREAM_FAILURES: ReadonlySet<ErrorCode> = new Set(['upstream_unreachable', 'upstream_timeout']);
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** The longest a line waits in the buffer on a quiet gateway. */
const FLUSH_MS = 1000;

/**
 * The access log (`log.access`): one JSON line per request (pino's line shape, src/http/access-line.ts) on the proxy port, after its
 * response is done. Fields: time, requestId, method, path (redactPath: never the query string; a
 * token-shaped segment is replaced by `[token]`), status, auth (none|basic|bearer|other|malformed), outcome
 * (forwarded|rejected|endpoint), reason (the error code when the gateway refused or failed),
 * upstreamStatus and upstreamMs (when the upstream answered), durationMs, bytesIn (the request
 * body: its Content-Length, or what was read from the connection for a chunked one), bytesOut
 * (written to the connection for the response, head and body), client (the address after
 * server.trustedProxies), aborted (the client left before the answer was complete); for a
 * Bearer request whose token was verified, tokenId and companyId (who: not secrets, they cannot
 * open anything) and, with `log.accessUserIds`, userId. Nothing else of the request is read: no
 * Authorization, cookie, token, password or query string can reach it.
 *
 * Off, it costs one comparison per request. On, one `close` listener and one log line per logged
 * request; its cost is measured in bench/RESULTS.md. Settings change at runtime (SIGHUP).
 */
export class AccessLog {
  private mode: AccessMode = 'off';
  private rate = 0;
  private userIds = false;
  private readonly sink: AccessLogger;
  /** Pushes buffered lines out at least every FLUSH_MS, whatever the traffic. */
  private readonly timer: NodeJS.Timeout;
  /** Fields of finished responses: their lines are built and written together at the end of the turn. */
  private readonly pending = new TurnBatch<AccessFields>((fields) => this.writeLines(fields));

  constructor(
    log: Logger,
    settings: AccessSettings,
    private readonly o: { trustedProxies: ReadonlySet<string>; maxTokenBytes: number; isEndpoint(url: string): boolean },
  ) {
    // Written whatever log.level says: turning the access log on is the operator's explicit ask.
    this.sink = createAccessLogger(log);
    this.timer = setInterval(() => this.sink.flush(false), FLUSH_MS);
    this.timer.unref();
    this.configure(settings);
  }

  /** At shutdown: the pending and buffered lines are written before the process ends. */
  close(): void {
    clearInterval(this.timer);
    this.pending.flush();
    this.sink.flush(true);
  }

  configure(s: AccessSettings): void {
    this.mode = s.access;
    this.rate = s.accessSampleRate;
    this.userIds = s.accessUserIds;
  }

  /** `handler`, with a line for each chosen request. */
  wrap(handler: Handler): Handler {
    return (req, res) => {
      if (this.mode === 'off' || (this.mode === 'sampled' && Math.random() >= this.rate)) return handler(req, res);
      // Read before the handler rewrites Authorization and X-Forwarded-For.
      const socket = req.socket;
      const entry: Entry = {
        t0: performance.now(), socket, read0: socket.bytesRead, written0: socket.bytesWritten,
        auth: classifyAuthorization(req.headers.authorization, this.o.maxTokenBytes).kind,
        body: declaredBody(req.headers),
        client: clientAddress(req, this.o.trustedProxies), code: undefined, upstreamMs: undefined, token: undefined,
      };
      (req as Tagged)[ENTRY] = entry;
      res.once('close', () => this.write(req, res, entry));
      handler(req, res);
    };
  }

  /** The gateway answered `req` itself with `code` (a rejection, an endpoint error, an upstream failure). */
  refused(req: IncomingMessage, code: ErrorCode): void {
    const e = (req as Tagged)[ENTRY];
    if (e !== undefined) e.code = code;
  }

  /**
   * `req`'s Bearer token was verified: its claims are kept by reference (no copy), for the line.
   * Access log off: one property read that finds nothing.
   */
  identified(req: IncomingMessage, claims: TokenClaims): void {
    const e = (req as Tagged)[ENTRY];
    if (e !== undefined) e.token = claims;
  }

  /** The upstream's response headers for `req` arrived after `seconds`. */
  upstream(req: IncomingMessage, seconds: number): void {
    const e = (req as Tagged)[ENTRY];
    if (e !== undefined) e.upstreamMs = round(seconds * 1000);
  }

  /**
   * The response is done: its fields are read now (they change as the connection goes on), its
   * line is built with the others of this turn of the event loop (writeLines). Built one by one
   * in each response's `close`, the lines cost about 6 µs CPU per request more (bench/RESULTS.md,
   * "Where the time goes"): the builder ran with cold caches between the upstream's turns on the core.
   */
  private write(req: IncomingMessage, res: ServerResponse, e: Entry): void {
    const url = req.url ?? '';
    const endpoint = this.o.isEndpoint(url);
    const id = req.headers['x-request-id'];
    const upstreamAnswered = !endpoint && e.upstreamMs !== undefined;
    this.pending.add({
      requestId: typeof id === 'string' && SANE_REQUEST_ID.test(id) ? id : undefined,
      method: req.method,
      path: redactPath(url),
      status: res.headersSent ? res.statusCode : undefined,
      auth: e.auth,
      outcome: endpoint ? 'endpoint' : e.code === undefined || UPSTREAM_FAILURES.has(e.code) ? 'forwarded' : 'rejected',
      reason: e.code,
      upstreamStatus: upstreamAnswered && res.headersSent ? res.statusCode : undefined,
      upstreamMs: upstreamAnswered ? e.upstreamMs : undefined,
      durationMs: round(performance.now() - e.t0),
      bytesIn: e.body === 'chunked' ? e.socket.bytesRead - e.read0 : e.body,
      bytesOut: e.socket.bytesWritten - e.written0,
      client: e.client,
      tokenId: e.token?.tokenId,
      companyId: e.token?.companyId,
      userId: this.userIds ? e.token?.userId : undefined,
      // A client that left before the answer was complete.
      aborted: res.writableFinished ? undefined : true,
    });
  }

  /** The lines of the responses done in one turn, in the order they finished, in one write. */
  private writeLines(pending: readonly AccessFields[]): void {
    const time = Date.now();
    let lines = '';
    for (let i = 0; i < pending.length; i++) lines += accessLine(pending[i]!, time);
    this.sink.write(lines);
  }
}

/** Request headers are read in wrap(), before the forwarder drops transfer-encoding. */
function declaredBody(h: IncomingMessage['headers']): number | 'chunked' {
  if (h['transfer-encoding'] !== undefined) return 'chunked';
  return Number(h['content-length'] ?? 0) || 0;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
