import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { call } from '../support/http-call.js';
import { startLifecycleGateway, USERS, PASS_PHRASE, type LifecycleGateway } from '../support/lifecycle.js';
import { PortalClient } from '../support/portal-client.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { freshStore, STORE_FACTORIES } from '../support/stores.js';

const MINUTE = 60_000;
const { manager, alice } = USERS;

/**
 * The portal's session handling attacked with raw HTTP (no browser): cookie attributes, fixation,
 * sign-out, cross-site requests, CSRF tokens, timeouts on the injected clock, on both stores.
 */
describe.each(STORE_FACTORIES)('portal sessions ($name)', (factory) => {
  let upstream: RecordingUpstream;
  let gw: LifecycleGateway;
  let closeStore: () => Promise<void>;
  const clock = new FakeClock();
  let portal: PortalClient;

  beforeAll(async () => {
    upstream = await new RecordingUpstream().start();
    const s = await freshStore(factory);
    closeStore = s.close;
    gw = await startLifecycleGateway({
      upstreamUrl: upstream.url, store: s.store, clock,
      config: { endpoints: { failedLogins: { perLogin: { maxFailures: 3, windowSeconds: 300 } } } },
    });
    portal = new PortalClient(gw.url);
    await gw.enable(manager);
  });
  afterAll(async () => {
    await gw?.close();
    await closeStore?.();
    await upstream?.stop();
  });

  it('signs in with an HttpOnly, SameSite=Strict cookie on the prefix; the id is 256 random bits and the store keeps only its hash', async () => {
    const s = await portal.signIn(alice.login, alice.password);
    expect(s.setCookie).toMatch(/^hlgw_session=[A-Za-z0-9_-]{43}; Path=\/auth; HttpOnly; SameSite=Strict$/);
    expect(s.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const store = gw.t.gw.store;
    expect(await store.getSession(s.id)).toBeUndefined();
    expect(await store.getSession(createHash('sha256').update(s.id).digest('base64url'))).toMatchObject({ login: alice.login, companyId: 'acme', manager: false });
    const me = await portal.request('GET', 'session', { session: s });
    expect(me.status).toBe(200);
    expect(me.json()).toMatchObject({ login: alice.login, manager: false, csrfToken: s.csrf, idleMinutes: 30 });
  });

  it('serves the page and its API with a strict CSP, nosniff, no-referrer, no framing and no-store', async () => {
    for (const path of ['/auth/ui/', '/auth/ui/main.js', '/auth/ui/api/session']) {
      const r = await call(gw.url, path);
      expect(r.headers['content-security-policy'], path).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
      expect(r.headers['x-content-type-options'], path).toBe('nosniff');
      expect(r.headers['referrer-policy'], path).toBe('no-referrer');
      expect(r.headers['cache-control'], path).toBe('no-store');
    }
    const page = await call(gw.url, '/auth/ui/');
    expect(page.status).toBe(200);
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)/); // no inline script
    expect(page.text).not.toMatch(/\sstyle=/);
    expect((await call(gw.url, '/auth/ui')).headers.location).toBe('/auth/ui/');
    // Files are answered from memory by exact name: nothing else, source maps included, is served.
    for (const path of ['/auth/ui/nope.js', '/auth/ui/main.js.map', '/auth/ui/api/nope']) expect((await call(gw.url, path)).status, path).toBe(404);
    expect(upstream.requests.filter((r) => r.url.startsWith('/auth'))).toEqual([]); // never proxied
  });

  it('answers a wrong password with 401 login_failed and no Basic challenge, and shares the failed-login limit with the API', async () => {
    const wrong = await portal.request('POST', 'session', { json: { login: USERS.bob.login, password: 'nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'login_failed' });
    expect(wrong.headers['www-authenticate']).toBeUndefined(); // no browser login dialog
    expect(wrong.headers['set-cookie']).toBeUndefined();
    // Two more failures, through the API this time: the same limiter.
    for (let i = 0; i < 2; i++) expect((await gw.request('GET', '/auth/tokens', { as: { ...USERS.bob, password: 'nope' } })).status).toBe(401);
    const limited = await portal.request('POST', 'session', { json: { login: USERS.bob.login, password: USERS.bob.password } });
    expect(limited.status).toBe(429);
    expect(limited.json()).toMatchObject({ code: 'rate_limited' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    clock.advance(6 * MINUTE);
    expect((await portal.request('POST', 'session', { json: { login: USERS.bob.login, password: USERS.bob.password } })).status).toBe(200);
  });

  it('issues a new id at sign-in: the session the browser held before is dead afterwards (no fixation)', async () => {
    const before = await portal.signIn(alice.login, alice.password);
    const after = await portal.signIn(alice.login, alice.password, { session: before });
    expect(after.id).not.toBe(before.id);
    expect(after.csrf).not.toBe(before.csrf);
    expect((await portal.request('GET', 'session', { session: before })).status).toBe(401);
    expect((await portal.request('GET', 'session', { session: after })).status).toBe(200);
    // An id the client made up is never adopted.
    const planted = { ...before, id: 'A'.repeat(43), cookie: `hlgw_session=${'A'.repeat(43)}` };
    expect((await portal.request('GET', 'session', { session: planted })).json()).toMatchObject({ code: 'session_required' });
    const signedIn = await portal.signIn(alice.login, alice.password, { session: planted });
    expect(signedIn.id).not.toBe(planted.id);
  });

  it('sign-out deletes the session server-side: the old cookie and CSRF token are refused afterwards', async () => {
    const s = await portal.signIn(alice.login, alice.password);
    const out = await portal.request('DELETE', 'session', { session: s });
    expect(out.status).toBe(200);
    expect(String(out.headers['set-cookie'])).toMatch(/^hlgw_session=; Path=\/auth; HttpOnly; SameSite=Strict; Max-Age=0$/);
    const replay = await portal.request('POST', 'oauth/authorize', { session: s });
    expect(replay.status).toBe(401);
    expect(replay.json()).toMatchObject({ code: 'session_required' });
    expect(replay.headers['www-authenticate']).toBeUndefined();
  });

  it('refuses a state-changing call from a foreign Origin, with the cookie and the right CSRF token, and changes nothing', async () => {
    const m = await portal.signIn(manager.login, manager.password);
    const before = (await portal.request('GET', 'portfolios/acme/token-policy', { session: m })).json();
    for (const origin of ['https://evil.example', 'null', `${gw.url}.evil.example`, gw.url.replace('http:', 'https:')]) {
      const r = await portal.request('PUT', 'portfolios/acme/token-policy', { session: m, origin, json: { enabled: false } });
      expect(r.status, origin).toBe(403);
      expect(r.json(), origin).toMatchObject({ code: 'csrf_rejected' });
    }
    const noOrigin = await portal.request('PUT', 'portfolios/acme/token-policy', { session: m, origin: null, json: { enabled: false } });
    expect(noOrigin.json()).toMatchObject({ code: 'csrf_rejected' });
    const crossSite = await portal.request('PUT', 'portfolios/acme/token-policy', { session: m, origin: null, headers: { 'sec-fetch-site': 'cross-site' }, json: { enabled: false } });
    expect(crossSite.json()).toMatchObject({ code: 'csrf_rejected' });
    // Sign-in itself is same-origin only (no login CSRF into the attacker's account).
    expect((await portal.request('POST', 'session', { origin: 'https://evil.example', json: { login: alice.login, password: alice.password } })).status).toBe(403);
    expect((await portal.request('GET', 'portfolios/acme/token-policy', { session: m })).json()).toEqual(before);
  });

  it('refuses a state-changing call without the CSRF token, or with another session\'s, and changes nothing', async () => {
    const m = await portal.signIn(manager.login, manager.password);
    const a = await portal.signIn(alice.login, alice.password);
    const issued = await portal.request('POST', 'oauth/authorize', { session: a });
    expect(issued.status).toBe(200);
    const tokenId = issued.json<{ token_id: string }>().token_id;
    for (const csrf of [null, '', a.csrf, m.csrf.slice(1)]) {
      const r = await portal.request('DELETE', `tokens/${tokenId}`, { session: m, csrf });
      expect(r.status, String(csrf)).toBe(403);
      expect(r.json()).toMatchObject({ code: 'csrf_rejected' });
    }
    const listed = (await portal.request('GET', 'tokens', { session: m })).json<{ tokens: { token_id: string; status: string }[] }>();
    expect(listed.tokens.find((t) => t.token_id === tokenId)?.status).toBe('active');
    // Sec-Fetch-Site: same-origin stands in for a missing Origin; the token is still required.
    const ok = await portal.request('DELETE', `tokens/${tokenId}`, { session: m, origin: null, headers: { 'sec-fetch-site': 'same-origin' } });
    expect(ok.status).toBe(204);
  });

  it('keeps the manager\'s screens and calls from a user who is not a manager', async () => {
    const a = await portal.signIn(alice.login, alice.password);
    expect((await portal.request('GET', 'portfolios/acme/token-policy', { session: a })).status).toBe(403);
    expect((await portal.request('PUT', 'portfolios/acme/token-policy', { session: a, json: { enabled: false } })).status).toBe(403);
    expect((await portal.request('GET', 'portfolios/acme/audit', { session: a })).status).toBe(403);
    const g = await portal.signIn(USERS.globexManager.login, USERS.globexManager.password);
    expect((await portal.request('GET', 'portfolios/acme/token-policy', { session: g })).status).toBe(403);
    const mine = (await portal.request('GET', 'tokens', { session: a })).json<{ tokens: { login: string }[] }>();
    expect(mine.tokens.every((t) => t.login === alice.login)).toBe(true);
  });

  it('writes the same audit trail as the API, with the signed-in login as the actor', async () => {
    const m = await portal.signIn(manager.login, manager.password);
    const r = await portal.request('PUT', 'portfolios/acme/token-policy', { session: m, json: { durationMinutes: 120 } });
    expect(r.status).toBe(200);
    const audit = (await gw.request('GET', '/auth/portfolios/acme/audit?limit=1', { as: manager })).json<{ events: { actor: string; action: string; detail: unknown }[] }>();
    expect(audit.events[0]).toMatchObject({ actor: manager.login, action: 'policy.update', detail: { changed: ['durationMinutes'] } });
    expect(JSON.stringify(audit)).not.toContain(PASS_PHRASE);
  });

  it('ends a session after 30 minutes without use, and keeps one in use alive', async () => {
    const s = await portal.signIn(alice.login, alice.password);
    for (let i = 0; i < 3; i++) {
      clock.advance(29 * MINUTE);
      expect((await portal.request('GET', 'session', { session: s })).status).toBe(200);
    }
    clock.advance(30 * MINUTE);
    const r = await portal.request('GET', 'tokens', { session: s });
    expect(r.status).toBe(401);
    expect(r.json()).toMatchObject({ code: 'session_required' });
  });

  it('ends a session 12 hours after sign-in however busy it is', async () => {
    const s = await portal.signIn(alice.login, alice.password);
    for (let i = 0; i < 24; i++) {
      clock.advance(29 * MINUTE);
      expect((await portal.request('GET', 'session', { session: s })).status).toBe(200);
    }
    clock.advance(25 * MINUTE); // 24 × 29 + 25 = 721 min: past 12 h, within the idle limit
    expect((await portal.request('GET', 'session', { session: s })).status).toBe(401);
  });

  it('purges expired sessions from the store', async () => {
    const s = await portal.signIn(alice.login, alice.password);
    const hash = createHash('sha256').update(s.id).digest('base64url');
    clock.advance(31 * MINUTE);
    const store = gw.t.gw.store;
    await store.purgeSessions(clock.now());
    if (store.type === 'sqlite') expect(await store.getSession(hash)).toBeUndefined();
    // Redis expires the key itself (PEXPIRE = the session's life); either way the cookie is refused.
    expect((await portal.request('GET', 'session', { session: s })).status).toBe(401);
  });

  it('never sends the session cookie to the upstream', async () => {
    const s = await portal.signIn(alice.login, alice.password);
    await call(gw.url, '/WS2/domains', { headers: { cookie: `theme=dark; ${s.cookie}; lang=en` } });
    expect(upstream.last?.headers.cookie).toBe('theme=dark; lang=en');
    await call(gw.url, '/WS2/domains', { headers: { cookie: s.cookie } });
    expect(upstream.last?.headers.cookie).toBeUndefined();
  });
});
