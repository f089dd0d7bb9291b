import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, isGatewayError } from '../errors.js';
import type { ErrorResponder } from '../http/error-responses.js';
import type { AccessService } from '../lifecycle/access-service.js';
import type { LeakReports } from '../lifecycle/leak-reports.js';
import { readLeakedTokens } from './leaked-tokens-body.js';
import type { Logger } from '../log.js';

/** RFC 6750 §3: a Bearer challenge of its own, so nobody mistakes it for the /auth Basic login. */
const CHALLENGE = { 'www-authenticate': 'Bearer realm="hlgw-operator"' };
const ALLOWED = /^\/portfolios\/([^/]+)\/allowed$/;
const LEAKED = '/tokens/leaked';

/**
 * The operator API on the admin port (never the public one), behind its own bearer secret
 * (admin.operatorToken): GET /portfolios, GET|PUT|DELETE /portfolios/{id}/allowed, and
 * POST /tokens/leaked (leak reports: src/lifecycle/leak-reports.ts).
 * Returns false for paths that are not its own (the admin server carries on).
 */
export function createOperatorApi(o: { secret: string; access: AccessService; leaks: LeakReports; errors: ErrorResponder; log: Logger }) {
  // Compared as SHA-256 digests: equal length, so timingSafeEqual never leaks the secret's length.
  const expected = createHash('sha256').update(o.secret).digest();
  const authorized = (req: IncomingMessage): boolean => {
    const m = /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? '');
    return m !== null && timingSafeEqual(createHash('sha256').update(m[1]!).digest(), expected);
  };

  return function handleOperator(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const one = ALLOWED.exec(path);
    if (path !== '/portfolios' && path !== LEAKED && !one) return false;
    if (!authorized(req)) {
      o.errors.send(res, new GatewayError('unauthorized'), CHALLENGE);
      return true;
    }
    const address = req.socket.remoteAddress ?? null;
    const answer = (p: Promise<unknown> | unknown) =>
      Promise.resolve(p).then(
        (body) => json(res, 200, body),
        (err: unknown) => {
          if (!isGatewayError(err)) o.log.error({ err: err instanceof Error ? err.message : String(err) }, 'operator API failed');
          o.errors.send(res, isGatewayError(err) ? err : new GatewayError('store_unavailable'));
        },
      ).catch((err: unknown) => {
        o.log.error({ err: err instanceof Error ? err.message : String(err) }, 'operator API failed to answer');
        res.destroy();
      });
    if (path === LEAKED) {
      if (req.method !== 'POST') o.errors.send(res, new GatewayError('method_not_allowed'), { allow: 'POST' });
      else void answer(readLeakedTokens(req).then(async (tokens) => ({ results: await o.leaks.report(tokens, { via: 'operator', clientAddress: address }) })));
      return true;
    }
    if (!one) {
      if (req.method !== 'GET') o.errors.send(res, new GatewayError('method_not_allowed'), { allow: 'GET' });
      else void answer(o.access.list());
      return true;
    }
    let id: string;
    try {
      id = decodeURIComponent(one[1]!);
    } catch {
      id = '';
    }
    switch (req.method) {
      case 'GET': void answer((async () => o.access.view(id))()); break;
      case 'PUT': void answer(o.access.allow(id, address)); break;
      case 'DELETE': void answer(o.access.deny(id, address)); break;
      default: o.errors.send(res, new GatewayError('method_not_allowed'), { allow: 'GET, PUT, DELETE' });
    }
    return true;
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
