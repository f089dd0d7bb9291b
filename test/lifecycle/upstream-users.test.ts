import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { basic, call } from '../support/http-call.js';
import { PASS_PHRASE } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway, type TestGateway } from '../support/start-gateway.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

/** The fake directory: the upstream answers its own user record at /WS2/me for a valid Basic credential. */
const DIRECTORY: Record<string, { password: string; record: unknown }> = {
  'dora@acme.example': { password: 'dora-secret-1', record: { user: { id: 501, login: 'dora@acme.example', roles: ['portfolioManager'] }, company: { id: 'acme' } } },
  'ed@acme.example': { password: 'ed-secret-2', record: { user: { id: 502, login: 'ed@acme.example', roles: [] }, company: { id: 'acme' } } },
  'nocompany@acme.example': { password: 'nc-secret-3', record: { user: { id: 503 } } },
};

type Mode = 'normal' | 'error500' | 'forbidden';

describe.each(STORE_FACTORIES)('users.source: upstream, against a fake directory on loopback ($name store)', (factory) => {
  let directory: RecordingUpstream;
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let t: TestGateway;
  let mode: Mode;

  beforeEach(async () => {
    mode = 'normal';
    directory = new RecordingUpstream();
    directory.respond = (req: IncomingMessage, res: ServerResponse) => answer(req, res, mode);
    await directory.start();
    fresh = await freshStore(factory);
    t = await startGateway({
      upstreamUrl: directory.url, store: fresh.store, clock: new FakeClock(),
      config: {
        users: { source: 'upstream', path: '/WS2/me', pointers: { userId: '/user/id', login: '/user/login', companyId: '/company/id', roles: '/user/roles' } },
      },
    });
  });
  afterEach(async () => {
    await t.close();
    await fresh.close();
    await directory.stop();
  });

  const as = (login: string, password = DIRECTORY[login]!.password) => ({ authorization: basic(login, password) });
  const directoryCalls = () => directory.requests.filter((r) => r.url === '/WS2/me').length;

  it('a valid credential: identity from the configured pointers, manager role honoured, whole flow works', async () => {
    const put = await call(t.url, '/auth/portfolios/acme/token-policy', {
      method: 'PUT', headers: { ...as('dora@acme.example'), 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true, passphrase: PASS_PHRASE, durationMinutes: 60 }),
    });
    expect(put.status).toBe(200);
    expect(directory.last!.headers.authorization).toBe(basic('dora@acme.example', 'dora-secret-1'));

    const issued = await call(t.url, '/auth/oauth/authorize', { method: 'POST', headers: as('ed@acme.example') });
    expect(issued.status).toBe(200);
    const token = issued.json<{ access_token: string }>().access_token;
    const use = await call(t.url, '/WS2/domains', { headers: { authorization: `Bearer ${token}` } });
    expect(use.status).toBe(200);
    expect(directory.last!.headers['x-highlight-user-id']).toBe('502');
    expect(directory.last!.headers['x-highlight-login']).toBe('ed@acme.example');

    // Without a password the directory cannot be asked for roles: a Bearer caller is a plain user.
    const list = await call(t.url, '/auth/tokens', { headers: { authorization: `Bearer ${token}` } });
    expect(list.json<{ tokens: unknown[] }>().tokens).toHaveLength(1);
  });

  it.each([
    ['a wrong password (directory 401)', 'normal', 'ed-wrong'],
    ['a forbidden user (directory 403)', 'forbidden', 'ed-secret-2'],
  ] as const)('%s → 401 unauthorized', async (_name, m, password) => {
    mode = m;
    const r = await call(t.url, '/auth/tokens', { headers: as('ed@acme.example', password) });
    expect(r.status).toBe(401);
    expect(r.json()).toMatchObject({ code: 'unauthorized' });
  });

  it('directory failing (500) → 502, not "wrong password", and it does not count as a failed login', async () => {
    mode = 'error500';
    for (let i = 0; i < 12; i++) {
      const r = await call(t.url, '/auth/tokens', { headers: as('ed@acme.example') });
      expect(r.status).toBe(502);
      expect(r.json()).toMatchObject({ code: 'user_source_unavailable' });
    }
    mode = 'normal';
    expect((await call(t.url, '/auth/tokens', { headers: as('ed@acme.example') })).status).toBe(200);
  });

  it('directory down (nothing listening) → 502', async () => {
    await directory.stop();
    const r = await call(t.url, '/auth/tokens', { headers: as('ed@acme.example') });
    expect(r.status).toBe(502);
    expect(r.json()).toMatchObject({ code: 'user_source_unavailable' });
  });

  it('an answer without the identity at the pointers → 502', async () => {
    const r = await call(t.url, '/auth/tokens', { headers: as('nocompany@acme.example') });
    expect(r.status).toBe(502);
  });

  it('positive answers are cached, keyed by the credential: another password is asked again', async () => {
    expect((await call(t.url, '/auth/tokens', { headers: as('ed@acme.example') })).status).toBe(200);
    const calls = directoryCalls();
    mode = 'error500';
    expect((await call(t.url, '/auth/tokens', { headers: as('ed@acme.example') })).status).toBe(200);
    expect(directoryCalls()).toBe(calls);
    expect((await call(t.url, '/auth/tokens', { headers: as('ed@acme.example', 'ed-other') })).status).toBe(502);
    expect(directoryCalls()).toBe(calls + 1);
    expect(t.logs.join('\n')).not.toContain('ed-secret-2');
    expect(t.logs.join('\n')).not.toContain('ed-other');
  });
});

function answer(req: IncomingMessage, res: ServerResponse, mode: Mode): void {
  if (req.url !== '/WS2/me') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end('{"ok":true}');
  }
  if (mode === 'error500') {
    res.writeHead(500);
    return void res.end('boom');
  }
  const [login, password] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':');
  const entry = DIRECTORY[login ?? ''];
  if (!entry || entry.password !== password) {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="highlight"' });
    return void res.end();
  }
  if (mode === 'forbidden') {
    res.writeHead(403);
    return void res.end();
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(entry.record));
}
