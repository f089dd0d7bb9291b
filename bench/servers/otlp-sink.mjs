// The bench's OTLP/HTTP sink for the tracing row: takes every export (POST /v1/traces), drops
// the body, answers 200. Prints "READY <port>" when listening.
import { createServer } from 'node:http';

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
    res.end('{}');
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
process.on('SIGTERM', () => { server.close(); server.closeAllConnections(); process.exit(0); });
process.on('SIGINT', () => process.exit(0));
