import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DemoUser } from './lifecycle.js';

/** `users.pointers` for treeDirectory's answer, ancestors included. */
export const TREE_POINTERS = { userId: '/user/id', login: '/user/login', companyId: '/company/id', roles: '/user/roles', ancestors: '/company/ancestors' };

/**
 * A user directory for `users.source: upstream` that also places companies: `/WS2/me`
 * checks the Basic password of one of `users` and answers who they are with their company's
 * ancestors from `ancestors()` (asked on every call, so a test can move a company); any other path
 * answers 200. A RecordingUpstream's `respond`.
 */
export function treeDirectory(users: Record<string, DemoUser>, ancestors: () => Record<string, unknown>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url !== '/WS2/me') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"ok":true}');
    }
    const [login, password] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':');
    const u = Object.values(users).find((x) => x.login === login);
    if (!u || u.password !== password) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="highlight"' });
      return void res.end();
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ user: { id: u.userId, login: u.login, roles: u.roles }, company: { id: u.companyId, ancestors: ancestors()[u.companyId] } }));
  };
}
