import { request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The operator API's paths (src/admin/operator-api.ts). */
const OPERATOR_PATH = /^\/(?:portfolios(?:\/|$)|tokens\/leaked$)/;

/**
 * The operator API under `server.workers`: the primary owns admin.port but no gateway, so it
 * passes the operator's calls, byte for byte, to one worker's loopback admin listener (which
 * checks the operator secret itself). Any worker will do: decisions live in the store and reach
 * every worker like a revocation. With no worker listening: 503, never a silent 404.
 * The audit's client address is then the primary's loopback address.
 */
export function createOperatorRelay(targets: () => readonly string[]) {
  let next = 0;
  return function relayOperator(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (!OPERATOR_PATH.test(path)) return false;
    const all = targets();
    if (all.length === 0) return fail(res, 503, 'no worker is listening');
    // Round robin: a worker that just died costs one 502, not every call.
    const target = new URL(req.url ?? '/', all[next++ % all.length]);
    const out = request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => fail(res, 502, 'the worker did not answer'));
    req.pipe(out);
    return true;
  };
}

function fail(res: ServerResponse, status: number, reason: string): true {
  if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: 'operator_relay_failed', reason }));
  return true;
}
