import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../support/fake-clock.js';
import { basic, call } from '../support/http-call.js';
import { startLifecycleGateway, USERS, type LifecycleGateway } from '../support/lifecycle.js';
import { Nginx } from '../support/nginx.js';
import { rawExchange } from '../support/raw-http.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { lacks } from '../support/requires.js';

const SPOOFED = {
  'x-highlight-user-id': 'u-1', 'x-highlight-token-scopes': 'full upload', 'X-HIGHLIGHT-LOGIN': 'maria@acme.example', 'x-highlight-company-id': 'acme',
  'x-highlight-auth-method': 'basic', 'x-highlight-identity': 'forged', 'x_highlight_user_id': 'u-1', 'x-hlgw-decision': 'allow',
};

/**
 * deploy/nginx/hlgw.conf, run as shipped: nginx in front of a recording API, hlgw beside it
 * answering `auth_request` at /auth/verify. The proxy mode's black-box checks, through nginx.
 */
describe.skipIf(lacks('nginx'))('nginx in front, hlgw in decision mode (deploy/nginx/hlgw.conf)', () => {
  let api: RecordingUpstream;
  let g: LifecycleGateway;
  let store: SqliteStore;
  let nginx: Nginx;
  let token: string;
  let tokenId: string;

  beforeAll(async () => {
    api = await new RecordingUpstream().start();
    store = new SqliteStore(':memory:');
    // The gateway's own upstream is never used in this mode: every request below goes through nginx.
    g = await startLifecycleGateway({ upstreamUrl: api.url, store, clock: new FakeClock(), config: { server: { trustedProxies: ['127.0.0.1'] } } });
    nginx = await new Nginx({ gateway: new URL(g.url).host, api: new URL(api.url).host }).start();
    await g.enable(USERS.manager);
    ({ access_token: token, token_id: tokenId } = await g.issue(USERS.alice));
  });
  afterAll(async () => {
    await nginx?.stop();
    await g?.close();
    await store?.close();
    await api?.stop();
  });

  it('a valid Bearer token reaches the API as the identity headers, spoofed ones stripped, the token never', async () => {
    const before = api.requests.length;
    const r = await call(nginx.url, '/WS2/domains?x=1', { headers: { authorization: `Bearer ${token}`, ...SPOOFED } });
    expect(r.status).toBe(200);
    expect(api.requests.length).toBe(before + 1);
    const h = api.last!.headers;
    expect(api.last!.url).toBe('/WS2/domains?x=1');
    expect(h.authorization).toBeUndefined();
    expect(h['x-highlight-user-id']).toBe(USERS.alice.userId);
    expect(h['x-highlight-login']).toBe(USERS.alice.login);
    expect(h['x-highlight-company-id']).toBe('acme');
    expect(h['x-highlight-token-id']).toBe(tokenId);
    expect(h['x-highlight-auth-method']).toBe('bearer');
    expect(h['x-highlight-token-scopes']).toBe('full');
    expect(h['x-highlight-identity']).toBeUndefined();
    expect(h['x-hlgw-decision']).toBeUndefined();
    expect(api.last!.rawHeaders.filter((n) => /^x[-_]highlight[-_]user[-_]id$/i.test(n))).toEqual(['X-Highlight-User-Id']);
  });

  it('Basic and anonymous requests pass untouched (Authorization byte for byte), spoofed identity stripped', async () => {
    const auth = basic(USERS.bob.login, USERS.bob.password);
    await call(nginx.url, '/WS2/basic', { headers: { authorization: auth, ...SPOOFED } });
    expect(api.last!.url).toBe('/WS2/basic');
    expect(api.last!.headers.authorization).toBe(auth);
    expect(Object.keys(api.last!.headers).filter((n) => n.includes('highlight'))).toEqual([]);
    await call(nginx.url, '/WS2/anon', { headers: SPOOFED });
    expect(api.last!.url).toBe('/WS2/anon');
    expect(api.last!.headers.authorization).toBeUndefined();
    expect(Object.keys(api.last!.headers).filter((n) => n.includes('highlight'))).toEqual([]);
  });

  it('a POST body arrives byte for byte', async () => {
    const body = Buffer.concat([randomBytes(70_000), Buffer.from('\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n')]);
    for (const authorization of [`Bearer ${token}`, basic(USERS.bob.login, USERS.bob.password)]) {
      const r = await call(nginx.url, '/WS2/upload', { method: 'POST', headers: { authorization, 'content-type': 'application/octet-stream' }, body });
      expect(r.status).toBe(200);
      expect(api.last!.method).toBe('POST');
      expect(api.last!.body.equals(body)).toBe(true);
    }
  });

  it.each([
    ['a forged token', 'Bearer AAAA.BBBB.CCCC.DDDD.EEEE', '/WS2/x', 401, 'token_malformed'],
    ['a malformed Bearer', 'Bearer a b', '/WS2/x', 400, 'bearer_malformed'],
    ['a token in the query string', undefined, '/WS2/x?access_token=abc', 400, 'token_in_query'],
  ])('%s is refused by the gateway before the API, with its answer', async (_name, authorization, path, status, code) => {
    const before = api.requests.length;
    const r = await call(nginx.url, path, { headers: authorization ? { authorization } : {} });
    expect(r.status).toBe(status);
    expect(r.json().code).toBe(code);
    if (status === 401) expect(r.headers['www-authenticate']).toMatch(/^Bearer realm=".*", error="invalid_token"/);
    expect(api.requests.length).toBe(before);
  });

  it('a revoked token is refused on the very next request, and the API never sees it', async () => {
    const { access_token: t2, token_id: id2 } = await g.issue(USERS.globexUser).catch(async () => {
      await g.enable(USERS.globexManager);
      return g.issue(USERS.globexUser);
    });
    expect((await call(nginx.url, '/WS2/before', { headers: { authorization: `Bearer ${t2}` } })).status).toBe(200);
    expect((await g.request('DELETE', `/auth/tokens/${id2}`, { as: USERS.globexUser })).status).toBe(204);
    const before = api.requests.length;
    const r = await call(nginx.url, '/WS2/after', { headers: { authorization: `Bearer ${t2}` } });
    expect(r.status).toBe(401);
    expect(r.json().code).toBe('token_revoked');
    expect(r.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(api.requests.length).toBe(before);
  });

  it.each([
    ['a forged Bearer first, then Basic', true, true],
    ['Basic first, then a valid Bearer', false, false],
  ])('two Authorization headers (%s): the Bearer token never reaches the API and no identity is made up', async (_name, forgedBearer, bearerFirst) => {
    const basicAuth = basic(USERS.bob.login, USERS.bob.password);
    const bearer = forgedBearer ? 'Bearer AAAA.BBBB.CCCC.DDDD.EEEE' : `Bearer ${token}`;
    const lines = (bearerFirst ? [bearer, basicAuth] : [basicAuth, bearer]).map((a) => `Authorization: ${a}\r\n`).join('');
    const before = api.requests.length;
    const { responses } = await rawExchange(nginx.url, `GET /WS2/twice HTTP/1.1\r\nHost: x\r\n${lines}Connection: close\r\n\r\n`, 1);
    expect(responses).toHaveLength(1);
    for (const r of api.requests.slice(before)) {
      expect(String(r.headers.authorization ?? '')).not.toMatch(/bearer/i);
      expect(r.headers['x-highlight-user-id']).toBeUndefined();
    }
  });

  it("nginx's access log holds neither tokens nor query strings", async () => {
    await call(nginx.url, '/WS2/logged?secret=q', { headers: { authorization: `Bearer ${token}` } });
    const log = nginx.file('access.log');
    expect(log).toContain('"GET /WS2/logged"');
    expect(log).not.toContain(token.slice(0, 20));
    expect(log).not.toContain('secret=q');
    expect(log).not.toContain('access_token');
  });
});
