import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawExchange {
  responses: RawResponse[];
  /** The server closed the connection (after the responses above). */
  closed: boolean;
}

/**
 * Writes `bytes` in one write on a fresh TCP connection and reads answers until `expected`
 * responses are complete or the server closes. Nothing here is timed: a server that neither
 * answers nor closes fails the test by its timeout. Response bodies are framed by
 * Content-Length, chunked, or the close (RFC 9112 §6.3); no response here is to a HEAD.
 */
export function rawExchange(base: string, bytes: string | Buffer, expected: number): Promise<RawExchange> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let buf = Buffer.alloc(0);
    const responses: RawResponse[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ responses, closed });
    };
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const parsed = parseOne(buf, false);
        if (parsed === undefined) break;
        responses.push(parsed.response);
        buf = buf.subarray(parsed.used);
        if (responses.length >= expected) return finish(false);
      }
    });
    socket.on('end', () => {
      const parsed = buf.length > 0 ? parseOne(buf, true) : undefined;
      if (parsed) responses.push(parsed.response);
      finish(true);
    });
    socket.on('close', () => finish(true));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? finish(true) : reject(err)));
  });
}

function parseOne(buf: Buffer, atClose: boolean): { response: RawResponse; used: number } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    const name = line.slice(0, i).trim().toLowerCase();
    headers[name] = headers[name] === undefined ? line.slice(i + 1).trim() : `${headers[name]}, ${line.slice(i + 1).trim()}`;
  }
  let pos = end + 4;
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) return { response: { status, headers, body: Buffer.alloc(0) }, used: pos };
  if (headers['transfer-encoding'] !== undefined) {
    const parts: Buffer[] = [];
    for (;;) {
      const eol = buf.indexOf('\r\n', pos);
      if (eol === -1) return undefined;
      const size = parseInt(buf.subarray(pos, eol).toString('latin1'), 16);
      if (size === 0) {
        // last-chunk, then trailer lines up to an empty line (RFC 9112 §7.1).
        const p = eol + 2;
        const used = buf.subarray(p, p + 2).toString('latin1') === '\r\n' ? p + 2 : buf.indexOf('\r\n\r\n', p) + 4;
        if (used < p + 2 || buf.length < used) return undefined;
        return { response: { status, headers, body: Buffer.concat(parts) }, used };
      }
      if (buf.length < eol + 2 + size + 2) return undefined;
      parts.push(buf.subarray(eol + 2, eol + 2 + size));
      pos = eol + 2 + size + 2;
    }
  }
  if (headers['content-length'] !== undefined) {
    const len = Number(headers['content-length']);
    if (buf.length < pos + len) return undefined;
    return { response: { status, headers, body: buf.subarray(pos, pos + len) }, used: pos + len };
  }
  // No framing: the body runs to the close.
  return atClose ? { response: { status, headers, body: buf.subarray(pos) }, used: buf.length } : undefined;
}

/**
 * One keep-alive TCP connection driven by hand: `send` bytes, `next()` resolves with the next
 * complete response, `closed` once the server has closed the connection (or reset it). For the
 * tests that follow one connection across a drain (test/core/shutdown.test.ts).
 */
export class RawConnection {
  private buf = Buffer.alloc(0);
  private readonly queue: RawResponse[] = [];
  private waiting: ((r: RawResponse | undefined) => void) | undefined;
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: ReturnType<typeof connect>) {
    this.closed = new Promise((resolve) => {
      const end = () => {
        if (this.ended) return;
        this.ended = true;
        const parsed = this.buf.length > 0 ? parseOne(this.buf, true) : undefined;
        if (parsed) this.queue.push(parsed.response);
        this.buf = Buffer.alloc(0);
        this.wake();
        resolve();
      };
      socket.on('end', end);
      socket.on('close', end);
      socket.on('error', end);
    });
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      for (;;) {
        const parsed = parseOne(this.buf, false);
        if (parsed === undefined) break;
        this.queue.push(parsed.response);
        this.buf = this.buf.subarray(parsed.used);
      }
      this.wake();
    });
  }

  static open(base: string): Promise<RawConnection> {
    const { hostname, port } = new URL(base);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  send(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** The next response; undefined when the server closed the connection first. */
  next(): Promise<RawResponse | undefined> {
    const r = this.queue.shift();
    if (r !== undefined || this.ended) return Promise.resolve(r);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  get isClosed(): boolean {
    return this.ended;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    if (!this.waiting) return;
    const r = this.queue.shift();
    if (r === undefined && !this.ended) return;
    const w = this.waiting;
    this.waiting = undefined;
    w(r);
  }
}
