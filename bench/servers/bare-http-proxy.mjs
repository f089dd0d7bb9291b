// Baseline: bare http-proxy 1.18 behind node:http, with a keep-alive Agent tuned like the
// gateway's http-proxy forwarder (maxSockets = 128, lifo). No auth, no header work.
// With `identity`, the floor of gateway-bearer-hot@http-proxy: the headers the gateway must add to a
// Bearer request in `identity.upstream: headers` mode, as constants, with none of its logic (as
// bench/servers/bare-undici.mjs identity).
// Usage: node bare-http-proxy.mjs <upstream origin> [identity]. Prints "READY <port>".
import { randomUUID } from 'node:crypto';
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';
import { IDENTITY_HEADERS } from './identity-headers.mjs';

const [target, mode] = process.argv.slice(2);
const CONNECTIONS = 128;
const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS, maxFreeSockets: CONNECTIONS, scheduling: 'lifo' });
const proxy = httpProxy.createProxyServer({ target, agent, xfwd: false, changeOrigin: false, ws: false });
proxy.on('error', (_err, _req, res) => {
  if (res.headersSent) return res.destroy();
  res.writeHead(502, { 'content-type': 'application/json' });
  res.end('{"error":"bad_gateway"}');
});

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  if (mode === 'identity') {
    const h = req.headers;
    h['x-forwarded-for'] = req.socket.remoteAddress;
    h['x-forwarded-proto'] = 'http';
    h['x-forwarded-host'] = h.host;
    h['x-request-id'] = randomUUID();
    delete h.authorization;
    for (const [name, value] of IDENTITY_HEADERS) h[name] = value;
    res.setHeader('x-request-id', h['x-request-id']);
  }
  proxy.web(req, res);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
process.on('SIGTERM', () => { server.close(); server.closeAllConnections(); agent.destroy(); process.exit(0); });
process.on('SIGINT', () => process.exit(0));
