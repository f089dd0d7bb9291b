// The bench's upstream: a fast node:http server answering every request with a tiny JSON body.
// Keep-alive (Node's default), fixed Content-Length. Prints "READY <port>" when listening.
import { createServer } from 'node:http';

const BODY = Buffer.from('{"ok":true,"service":"bench-upstream"}');
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) };

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  // Drain any request body, then answer.
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
process.on('SIGTERM', () => { server.close(); server.closeAllConnections(); process.exit(0); });
process.on('SIGINT', () => process.exit(0));
