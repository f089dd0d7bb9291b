import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * An API that only understands Basic, as the real one does: every path checks the password
 * (401 with a Basic challenge otherwise). `/WS2/me` also makes it the user directory for
 * `users.source: upstream` (USERS_UPSTREAM), so the gateway verifies against the same passwords.
 * PASSWORDS, IDS and COMPANIES are mutable: a test changes one to play "the password (user id,
 * company) changed at the API".
 * Vitest loads this module afresh for each test file, so files never see each other's changes.
 */
export const PASSWORDS: Record<string, string> = { 'dora@acme.example': 'dora-secret-1', 'ed@acme.example': 'ed-secret-2' };
export const IDS: Record<string, number> = { 'dora@acme.example': 501, 'ed@acme.example': 502 };
export const COMPANIES: Record<string, string> = { 'dora@acme.example': 'acme', 'ed@acme.example': 'acme' };

export function basicOnlyApi(req: IncomingMessage, res: ServerResponse): void {
  const [login = '', password] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':');
  if (!/^Basic /.test(req.headers.authorization ?? '') || PASSWORDS[login] === undefined || PASSWORDS[login] !== password) {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="highlight"' });
    return void res.end('{"error":"unauthorized"}');
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  if (req.url === '/WS2/me') {
    const roles = login.startsWith('dora') ? ['portfolioManager'] : [];
    return void res.end(JSON.stringify({ user: { id: IDS[login], login, roles }, company: { id: COMPANIES[login] } }));
  }
  res.end(JSON.stringify({ user: login }));
}

export const USERS_UPSTREAM = { source: 'upstream', path: '/WS2/me', cacheSeconds: 0, pointers: { userId: '/user/id', login: '/user/login', companyId: '/company/id', roles: '/user/roles' } };
