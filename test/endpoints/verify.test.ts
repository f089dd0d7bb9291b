import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../support/fake-clock.js';
import { basic, call } from '../support/http-call.js';
import { PASS_PHRASE, startLifecycleGateway, USERS, type LifecycleGateway } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway, type TestGateway } from '../support/start-gateway.js';

const SPOOFED = { 'x-highlight-user-id': 'u-1', 'x-highlight-company-id': 'globex', 'x-highlight-identity': 'forged', 'x-hlgw-decision': 'allow' };

async function decisions(admin: string): Promise<Record<string, number>> {
  const text = (await call(admin, '/metrics')).text;
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^hlgw_decisions_total\{decision="(\w+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

describe('{prefix}/verify, the decision mode (headers mode)', () => {
  for (const trusted of [true, false]) {
    describe(trusted ? 'asked by a trusted proxy' : 'asked by an untrusted peer', () => {
      let api: RecordingUpstream;
      let store: SqliteStore;
      let g: LifecycleGateway;
      let token: string;

      beforeAll(async () => {
        api = await new RecordingUpstream().start();
        store = new SqliteStore(':memory:');
        g = await startLifecycleGateway({ upstreamUrl: api.url, store, clock: new FakeClock(), config: { server: { trustedProxies: trusted ? ['127.0.0.1'] : [] } } });
        await g.enable(USERS.manager);
        token = (await g.issue(USERS.alice)).access_token;
      });
      afterAll(async () => {
        await g.close();
        await store.close();
        await api.stop();
      });

      it('allows a valid Bearer token with the identity the API would receive, never what the client sent', async () => {
        const r = await g.request('GET', '/auth/verify', { bearer: token, headers: SPOOFED });
        expect(r.status).toBe(200);
        expect(r.headers['x-hlgw-decision']).toBe('allow');
        expect(r.headers['x-highlight-user-id']).toBe(USERS.alice.userId);
        expect(r.headers['x-highlight-company-id']).toBe('acme');
        expect(r.headers['x-highlight-identity']).toBeUndefined();
        expect(r.headers.authorization).toBeUndefined();
        expect(r.body.length).toBe(0);
        expect(api.requests.length).toBe(0);
      });

      it(trusted ? 'holds a scoped token to the original request\'s method and path' : 'refuses a scoped token: the original request is not believed', async () => {
        const read = (await g.request('POST', '/auth/tokens', { as: USERS.alice, json: { name: `read-${String(trusted)}`, scopes: ['read'] } })).json<{ access_token: string }>().access_token;
        const get = await g.request('GET', '/auth/verify', { bearer: read, headers: { 'x-original-method': 'GET', 'x-original-uri': '/WS2/x' } });
        expect(get.status).toBe(trusted ? 200 : 403);
        const post = await g.request('GET', '/auth/verify', { bearer: read, headers: { 'x-original-method': 'POST', 'x-original-uri': '/WS2/x' } });
        expect(post.status).toBe(403);
        expect(post.json().code).toBe('insufficient_scope');
        expect(post.headers['www-authenticate']).toMatch(/error="insufficient_scope", .*scope="full"$/);
        expect((await g.request('GET', '/auth/verify', { bearer: read })).status).toBe(403);
        expect(api.requests.length).toBe(0);
      });

      it.each([
        ['Basic', basic(USERS.bob.login, 'whatever')],
        ['another scheme', 'Digest username="x"'],
        ['no Authorization', undefined],
      ])('passes %s untouched: 200, no identity', async (_name, authorization) => {
        const r = await g.request('HEAD', '/auth/verify', { headers: { ...SPOOFED, ...(authorization ? { authorization } : {}) } });
        expect(r.status).toBe(200);
        expect(r.headers['x-hlgw-decision']).toBe('pass');
        expect(Object.keys(r.headers).filter((n) => n.startsWith('x-highlight') || n === 'authorization')).toEqual([]);
      });

      it.each([
        ['a forged token', 'Bearer AAAA.BBBB.CCCC.DDDD.EEEE', 401, 'token_malformed'],
        ['a Bearer look-alike', 'Bearer a b', 400, 'bearer_malformed'],
      ])('refuses %s as the proxy does, with its challenge', async (_name, authorization, status, code) => {
        const r = await g.request('GET', '/auth/verify', { authorization });
        expect(r.status).toBe(status);
        expect(r.json().code).toBe(code);
        expect(r.headers['www-authenticate']).toMatch(/^Bearer realm=/);
      });

      it(trusted ? 'refuses a token in the original URI' : 'does not believe the original URI', async () => {
        const headers = { 'x-original-method': 'GET', 'x-original-uri': '/WS2/x?access_token=abc' };
        const nginx = await g.request('GET', '/auth/verify', { bearer: token, headers });
        const traefik = await g.request('GET', '/auth/verify', { bearer: token, headers: { 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/WS2/x?Access-Token=abc' } });
        for (const r of [nginx, traefik]) {
          expect(r.status).toBe(trusted ? 400 : 200);
          if (trusted) expect(r.json().code).toBe('token_in_query');
        }
        // The sub-request's own URL is checked whoever asks.
        expect((await g.request('GET', '/auth/verify?access_token=abc', { bearer: token })).status).toBe(400);
      });

      it('answers only GET and HEAD', async () => {
        const r = await g.request('POST', '/auth/verify', { bearer: token });
        expect(r.status).toBe(405);
        expect(r.headers.allow).toBe('GET, HEAD');
      });

      it('counts each decision in hlgw_decisions_total', async () => {
        const before = await decisions(g.t.admin);
        await g.request('GET', '/auth/verify', { bearer: token });
        await g.request('GET', '/auth/verify', { as: USERS.bob });
        await g.request('GET', '/auth/verify', { authorization: 'Bearer x y' });
        const after = await decisions(g.t.admin);
        expect([after.allow! - before.allow!, after.pass! - before.pass!, after.deny! - before.deny!]).toEqual([1, 1, 1]);
      });
    });
  }
});

describe('{prefix}/verify in basic mode: the answer carries the replayed credential', () => {
  const LOGIN = 'api-user';
  const PASSWORD = 'api-Pw-1!';
  let api: RecordingUpstream;
  let t: TestGateway;

  beforeAll(async () => {
    api = await new RecordingUpstream().start();
    // A Basic-only API that is also the user directory (users.source: upstream).
    api.respond = (req: IncomingMessage, res: ServerResponse) => {
      if (req.headers.authorization !== basic(LOGIN, PASSWORD)) return void res.writeHead(401).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ user: { id: 7, login: LOGIN, roles: ['portfolioManager'] }, company: { id: 'acme' } }));
    };
    t = await startGateway({
      upstreamUrl: api.url,
      config: {
        identity: { upstream: 'basic' },
        users: { source: 'upstream', path: '/WS2/me', pointers: { userId: '/user/id', login: '/user/login', companyId: '/company/id', roles: '/user/roles' } },
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await api.stop();
  });

  it('allows with Authorization: Basic of the token owner', async () => {
    const auth = { authorization: basic(LOGIN, PASSWORD), 'content-type': 'application/json' };
    expect((await call(t.url, '/auth/portfolios/acme/token-policy', { method: 'PUT', headers: auth, body: JSON.stringify({ enabled: true, passphrase: PASS_PHRASE, durationMinutes: 60 }) })).status).toBe(200);
    const issued = await call(t.url, '/auth/oauth/authorize', { method: 'POST', headers: { authorization: basic(LOGIN, PASSWORD) } });
    const r = await call(t.url, '/auth/verify', { headers: { authorization: `Bearer ${issued.json<{ access_token: string }>().access_token}` } });
    expect(r.status).toBe(200);
    expect(r.headers['x-hlgw-decision']).toBe('allow');
    expect(r.headers.authorization).toBe(basic(LOGIN, PASSWORD));
  });
});

describe('decision.port: {prefix}/verify on a listener of its own', () => {
  let api: RecordingUpstream;
  let store: SqliteStore;
  let g: LifecycleGateway;

  beforeAll(async () => {
    api = await new RecordingUpstream().start();
    store = new SqliteStore(':memory:');
    g = await startLifecycleGateway({ upstreamUrl: api.url, store, clock: new FakeClock(), config: { decision: { port: 0 } } });
  });
  afterAll(async () => {
    await g.close();
    await store.close();
    await api.stop();
  });

  it('answers /auth/verify as the proxy port does, and nothing else: no API, no proxying', async () => {
    await g.enable(USERS.manager);
    const { access_token: token } = await g.issue(USERS.alice);
    const url = g.t.decision!;
    const allowed = await call(url, '/auth/verify', { headers: { authorization: `Bearer ${token}` } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['x-hlgw-decision']).toBe('allow');
    expect(allowed.headers['x-highlight-user-id']).toBe(USERS.alice.userId);
    const refused = await call(url, '/auth/verify', { headers: { authorization: 'Bearer AAAA.BBBB.CCCC.DDDD.EEEE' } });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer /);
    for (const path of ['/WS2/domains', '/auth/tokens', '/auth/oauth/authorize', '/auth/verify/x']) {
      const r = await call(url, path, { headers: { authorization: basic(USERS.alice.login, USERS.alice.password) } });
      expect([path, r.status, r.json().code]).toEqual([path, 404, 'not_found']);
    }
    expect(api.requests.length).toBe(0);
  });

  it('is off by default', async () => {
    expect(g.t.decision).toBeDefined();
    const other = await startGateway({ upstreamUrl: api.url });
    try {
      expect(other.decision).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});
