// Baseline: node:http server + undici Pool.dispatch() with a small handler writing into res.
// Same pool settings as the gateway's undici forwarder (connections 128, pipelining 1).
// Hop-by-hop headers are dropped both ways (undici refuses some of them). No auth.
// Usage: node bare-undici.mjs <upstream origin>. Prints "READY <port>".
import { createServer } from 'node:http';
import { Pool } from 'undici';

const origin = process.argv[2];
const pool = new Pool(origin, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });
const HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect'];

class Relay {
  constructor(res) { this.res = res; }
  onRequestStart() {}
  onResponseStart(controller, statusCode, headers) {
    const out = {};
    for (const name in headers) if (!HOP.includes(name)) out[name] = headers[name];
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
  const hasBody = h['content-length'] !== undefined && h['content-length'] !== '0';
  pool.dispatch({ origin, path: req.url, method: req.method, headers: h, body: hasBody ? req : null }, new Relay(res));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
process.on('SIGTERM', () => { server.close(); server.closeAllConnections(); pool.destroy().finally(() => process.exit(0)); });
process.on('SIGINT', () => process.exit(0));
