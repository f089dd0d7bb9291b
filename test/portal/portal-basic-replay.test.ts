import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, call } from '../support/http-call.js';
import { PASS_PHRASE } from '../support/lifecycle.js';
import { PortalClient, type PortalSession } from '../support/portal-client.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway, type TestGateway } from '../support/start-gateway.js';
import { basicOnlyApi, PASSWORDS, USERS_UPSTREAM } from '../support/basic-only-api.js';

/**
 * `identity.upstream: basic` and the portal: "Generate Access Token" asks for the password again,
 * checks it through the failed-login limiter, and seals the session login + that password into
 * the token, so it replays like one from /auth/oauth/authorize. Against an API that only knows
 * Basic (as in test/identity/basic-replay.test.ts), which is also the user directory.
 */


async function start(mode: 'basic' | 'headers'): Promise<{ api: RecordingUpstream; t: TestGateway }> {
  const api = new RecordingUpstream();
  api.respond = basicOnlyApi;
  await api.start();
  const t = await startGateway({
    upstreamUrl: api.url,
    config: {
      identity: { upstream: mode },
      users: USERS_UPSTREAM,
      endpoints: { failedLogins: { perLogin: { maxFailures: 3, windowSeconds: 300 } } },
    },
  });
  const put = await call(t.url, '/auth/portfolios/acme/token-policy', {
    method: 'PUT', headers: { authorization: basic('dora@acme.example', PASSWORDS['dora@acme.example']!), 'content-type': 'application/json' },
    body: JSON.stringify({ enabled: true, passphrase: PASS_PHRASE, durationMinutes: 60 }),
  });
  expect(put.status).toBe(200);
  return { api, t };
}

describe('portal "Generate Access Token" with identity.upstream: basic', () => {
  let api: RecordingUpstream;
  let t: TestGateway;
  let portal: PortalClient;
  let ed: PortalSession;

  beforeAll(async () => {
    ({ api, t } = await start('basic'));
    portal = new PortalClient(t.url);
    ed = await portal.signIn('ed@acme.example', PASSWORDS['ed@acme.example']!);
  });
  afterAll(async () => {
    await t?.close();
    await api?.stop();
  });

  const tokensOfEd = async () => (await t.gw.store.listTokens('acme', '502')).length;

  it('tells the page to ask for the password', async () => {
    const me = await portal.request('GET', 'session', { session: ed });
    expect(me.json()).toMatchObject({ login: 'ed@acme.example', confirmPassword: true });
  });

  it('without a password: 400 validation_failed saying so, nothing issued', async () => {
    for (const json of [undefined, {}, { password: '' }, { password: 42 }]) {
      const r = await portal.request('POST', 'oauth/authorize', { session: ed, json });
      expect(r.status).toBe(400);
      expect(r.json()).toMatchObject({ code: 'validation_failed' });
      expect(String(r.json<{ error_description: string }>().error_description)).toContain('password');
    }
    expect(await tokensOfEd()).toBe(0);
  });

  it('a wrong password: 401 login_failed, nothing issued, counted by the same limiter as sign-in; the right one gives a token that replays the user\'s own Basic', async () => {
    const wrong = await portal.request('POST', 'oauth/authorize', { session: ed, json: { password: 'not-eds' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'login_failed' });
    expect(wrong.headers['www-authenticate']).toBeUndefined();
    expect(wrong.text).not.toContain('not-eds');
    expect(await tokensOfEd()).toBe(0);
    // The session survives a wrong confirmation.
    expect((await portal.request('GET', 'session', { session: ed })).status).toBe(200);

    const ok = await portal.request('POST', 'oauth/authorize', { session: ed, json: { password: PASSWORDS['ed@acme.example'] } });
    expect(ok.status).toBe(200);
    const { access_token: token, token_id: id } = ok.json<{ access_token: string; token_id: string }>();
    expect(ok.text).not.toContain(PASSWORDS['ed@acme.example']);
    const record = await t.gw.store.getToken(id);
    expect(record?.sealedCredential).toMatch(/^c1\./);

    const used = await call(t.url, '/WS2/domains', { headers: { authorization: `Bearer ${token}` } });
    expect(used.status).toBe(200);
    expect(used.json()).toEqual({ user: 'ed@acme.example' });
    expect(api.last!.headers.authorization).toBe(basic('ed@acme.example', PASSWORDS['ed@acme.example']!));
    expect(JSON.stringify(api.last!.headers)).not.toContain(token);
    // Never logged, never kept in the session.
    expect(t.logs.join('')).not.toContain('ed-secret');
    expect(t.logs.join('')).not.toContain('not-eds');
    const hash = (await import('node:crypto')).createHash('sha256').update(ed.id).digest('base64url');
    expect(JSON.stringify(await t.gw.store.getSession(hash))).not.toContain('ed-secret');
  });

  it('wrong confirmations count with sign-in failures: after the per-login budget even the right password waits (429)', async () => {
    // One failure above was reset by the success; three more spend the budget of 3.
    for (let i = 0; i < 3; i++) {
      const r = await portal.request('POST', 'oauth/authorize', { session: ed, json: { password: `wrong-${i}` } });
      expect(r.status).toBe(401);
    }
    const limited = await portal.request('POST', 'oauth/authorize', { session: ed, json: { password: PASSWORDS['ed@acme.example'] } });
    expect(limited.status).toBe(429);
    expect(limited.json()).toMatchObject({ code: 'rate_limited' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // The same budget as the portal's sign-in form.
    const signIn = await portal.request('POST', 'session', { json: { login: 'ed@acme.example', password: PASSWORDS['ed@acme.example'] } });
    expect(signIn.status).toBe(429);
    expect(await tokensOfEd()).toBe(1);
  });
});

describe('portal "Generate Access Token" with identity.upstream: headers', () => {
  it('asks for nothing: no confirmPassword, a token without a password', async () => {
    const { api, t } = await start('headers');
    try {
      const portal = new PortalClient(t.url);
      const ed = await portal.signIn('ed@acme.example', PASSWORDS['ed@acme.example']!);
      expect((await portal.request('GET', 'session', { session: ed })).json()).toMatchObject({ confirmPassword: false });
      const r = await portal.request('POST', 'oauth/authorize', { session: ed });
      expect(r.status).toBe(200);
      const id = r.json<{ token_id: string }>().token_id;
      expect((await t.gw.store.getToken(id))?.sealedCredential).toBeUndefined();
    } finally {
      await t.close();
      await api.stop();
    }
  });
});
