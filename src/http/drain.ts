import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How the proxy listener stops behind a load balancer without failing a request (SIGTERM,
 * docs/OPERATIONS.md "Rolling restart"). Two phases:
 *
 * 1. `drain()`: the listener still accepts and serves, but every response not yet started says
 *    `Connection: close` (as Envoy does while draining), so each keep-alive connection a load
 *    balancer holds is closed by us right after a complete answer, never under a request it may
 *    be sending. Meanwhile /readyz answers 503 and the balancer's health check takes this
 *    instance out.
 * 2. `close(cutAfterMs)`: stop accepting; responses not yet started still get `Connection: close`;
 *    idle connections are closed now, and each one that becomes idle later (its response done)
 *    as soon as it does. Only when `cutAfterMs` has passed are the remaining ones cut.
 *
 * Node alone gets this wrong: after `server.close()` it still answers `keep-alive` and serves
 * further requests on open connections until they are cut, mid-request or not.
 */
export class ConnectionDrain {
  private draining = false;
  private closing = false;
  /**
   * The connections that carried a request, each once (a keep-alive connection carries many).
   * Tracked per connection, not per response: a Set entry added and deleted for every request kept
   * responses reachable from an old-generation table across scavenges, which promoted them and
   * made each scavenge several times slower (bench/alloc.mjs; `node --trace-gc`).
   */
  private readonly sockets = new Set<Socket>();

  constructor(private readonly server: Server) {
    const sockets = this.sockets;
    const self = this;
    function forget(this: Socket): void {
      sockets.delete(this);
    }
    // Prepended: it must run before the gateway's handler, which may answer synchronously.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      if (self.draining) {
        res.shouldKeepAlive = false;
        if (self.closing) res.once('close', () => self.idleNow());
      }
      const socket = req.socket;
      if (!sockets.has(socket)) {
        sockets.add(socket);
        socket.once('close', forget);
      }
    });
  }

  /** The response each connection is writing now (Node's own field; also read by the clientError handler). */
  private inFlight(): ServerResponse[] {
    const out: ServerResponse[] = [];
    for (const s of this.sockets) {
      const res = (s as { _httpMessage?: ServerResponse | null })._httpMessage;
      if (res && !res.writableFinished) out.push(res);
    }
    return out;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Phase 1; idempotent. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const res of this.inFlight()) if (!res.headersSent) res.shouldKeepAlive = false;
  }

  /** Phase 2: resolves once every connection is closed. */
  close(cutAfterMs: number): Promise<void> {
    this.drain();
    this.closing = true;
    // Each connection under a response goes the moment that response is done.
    for (const res of this.inFlight()) res.once('close', () => this.idleNow());
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      const cut = setTimeout(() => this.server.closeAllConnections(), cutAfterMs);
      cut.unref();
      this.server.close(() => {
        clearTimeout(cut);
        resolve();
      });
      // Connections with no request under way; one whose request head is still arriving is not
      // idle for Node (it is answered, with Connection: close).
      this.server.closeIdleConnections();
    });
  }

  private idleNow(): void {
    // A response that started before the drain went out with keep-alive: once it is complete
    // its connection is idle, and closing it cannot cut a request (the balancer sends none here
    // any more, and one that does arrive first makes the connection busy again, not idle).
    setImmediate(() => this.server.closeIdleConnections());
  }
}
