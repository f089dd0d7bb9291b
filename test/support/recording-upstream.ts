import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: Buffer;
}

/**
 * A real upstream on loopback that records exactly what it receives. By default it answers
 * 200 with a small JSON body; `respond` overrides the answer per test.
 */
export class RecordingUpstream {
  readonly requests: Recorded[] = [];
  /**
   * Every request the upstream's parser produced, counted as its head arrives (before its body),
   * so a smuggled request whose body never completes is seen too (request-smuggling suite).
   */
  readonly arrived: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }> = [];
  /** Bytes the upstream's parser refused (each one a garbled or smuggled message). */
  parseErrors = 0;
  respond: ((req: IncomingMessage, res: ServerResponse, body: Buffer) => void) | undefined;
  /** When set, the request body is not buffered and `respond` gets the live request (streaming tests). */
  streaming: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.arrived.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      if (this.streaming) return this.streaming(req, res);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body });
        if (this.respond) return this.respond(req, res, body);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true }));
      });
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (err.code?.startsWith('HPE_')) this.parseErrors++;
      socket.destroy();
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get last(): Recorded | undefined {
    return this.requests[this.requests.length - 1];
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }
}
