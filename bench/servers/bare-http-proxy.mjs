// Baseline: bare http-proxy 1.18 behind node:http, with a keep-alive Agent tuned like the
// gateway's http-proxy forwarder (maxSockets = 128, lifo). No auth, no header work.
// Usage: node bare-http-proxy.mjs <upstream origin>. Prints "READY <port>".
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';

const target = process.argv[2];
const CONNECTIONS = 128;
const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS, maxFreeSockets: CONNECTIONS, scheduling: 'lifo' });
const proxy = httpProxy.createProxyServer({ target, agent, xfwd: false, changeOrigin: false, ws: false });
proxy.on('error', (_err, _req, res) => {
  if (res.headersSent) return res.destroy();
  res.writeHead(502, { 'content-type': 'application/json' });
  res.end('{"error":"bad_gateway"}');
});

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => proxy.web(req, res));
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
process.on('SIGTERM', () => { server.close(); server.closeAllConnections(); agent.destroy(); process.exit(0); });
process.on('SIGINT', () => process.exit(0));
