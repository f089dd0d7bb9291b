// Baseline: node:http server + undici Pool.dispatch() with a small handler writing into res.
// Same pool settings as the gateway's undici forwarder (connections 128, pipelining 1).
// Hop-by-hop headers are dropped both ways (undici refuses some of them). No auth.
//
// With a mode, the floors of the gateway rows: what the gateway must add to a request, as
// constants, with none of its logic (bench/RESULTS.md, "Where the time goes"):
//   headers   X-Forwarded-For/-Proto/-Host and a new X-Request-Id upstream, the X-Request-Id echoed
//             on the response: what every request through the gateway carries (gateway-anonymous).
//   identity  the same, plus the client's Authorization removed and the seven identity headers of
//             `identity.upstream: headers` with values as long as the seeded token's (the bearer rows).
// Usage: node bare-undici.mjs <upstream origin> [headers|identity]. Prints "READY <port>".
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Pool } from 'undici';
import { IDENTITY_HEADERS } from './identity-headers.mjs';

const [origin, mode] = process.argv.slice(2);
const pool = new Pool(origin, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });
const HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect'];

class Relay {
  constructor(res, requestId) { this.res = res; this.requestId = requestId; }
  onRequestStart() {}
  onResponseStart(controller, statusCode, headers) {
    const out = {};
    for (const name in headers) if (!HOP.includes(name)) out[name] = headers[name];
    if (this.requestId !== undefined) out['x-request-id'] = this.requestId;
    this.res.writeHead(statusCode, out);
    this.res.on('drain', () => controller.resume());
  }
  onResponseData(controller, chunk) { if (!this.res.write(chunk)) controller.pause(); }
  onResponseEnd() { this.res.end(); }
  onResponseError(_controller, _err) {
    if (this.res.headersSent) return this.res.destroy();
    this.res.writeHead(502, { 'content-type': 'application/json' });
    this.res.end('{"error":"bad_gateway"}');
  }
}

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const h = req.headers;
  for (const name of HOP) if (h[name] !== undefined) delete h[name];
  let requestId;
  if (mode !== undefined) {
    h['x-forwarded-for'] = req.socket.remoteAddress;
    h['x-forwarded-proto'] = 'http';
    h['x-forwarded-host'] = h.host;
    requestId = h['x-request-id'] = randomUUID();
  }
  if (mode === 'identity') {
    h.authorization = undefined;
    for (const [name, value] of IDENTITY_HEADERS) h[name] = value;
  }
  const hasBody = h['content-length'] !== undefined && h['content-length'] !== '0';
  pool.dispatch({ origin, path: req.url, method: req.method, headers: h, body: hasBody ? req : null }, new Relay(res, requestId));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
process.on('SIGTERM', () => { server.close(); server.closeAllConnections(); pool.destroy().finally(() => process.exit(0)); });
process.on('SIGINT', () => process.exit(0));
