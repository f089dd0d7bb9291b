import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../support/http-call.js';
import { ALLOWED, USERS, usersFilePath } from '../../support/lifecycle.js';
import { RecordingUpstream } from '../../support/recording-upstream.js';
import { startGateway, type TestGateway } from '../../support/start-gateway.js';

/**
 * `users.sso.only: true`: the sign-in page offers the providers and no password form, and the
 * portal's password sign-in is refused even when called directly. Discovery is lazy, so the
 * provider need not answer for this.
 */
describe('users.sso.only', () => {
  const upstream = new RecordingUpstream();
  let t: TestGateway;

  beforeAll(async () => {
    await upstream.start();
    t = await startGateway({
      upstreamUrl: upstream.url,
      config: {
        users: {
          source: 'file', file: await usersFilePath(),
          sso: { only: true, providers: [{ type: 'oidc', name: 'acme-idp', displayName: 'Acme IdP', issuer: 'http://127.0.0.1:9', clientId: 'hlgw' }] },
        },
        portfolios: { allowed: ALLOWED },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await upstream.stop();
  });

  it('offers the providers and no password form', async () => {
    const r = await call(t.url, '/auth/ui/api/sign-in-options');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ password: false, providers: [{ name: 'acme-idp', displayName: 'Acme IdP', url: '/auth/ui/sso/acme-idp/start' }] });
  });

  it('refuses a password sign-in on the portal, right password or not', async () => {
    const r = await call(t.url, '/auth/ui/api/session', {
      method: 'POST', headers: { origin: t.url, 'content-type': 'application/json' },
      body: JSON.stringify({ login: USERS.alice.login, password: USERS.alice.password }),
    });
    expect(r.status).toBe(403);
    expect(String(r.headers['set-cookie'] ?? '')).not.toMatch(/hlgw_session=[^;]/);
  });

  it('an unknown provider name is 404; the callback without a started sign-in is a refusal page', async () => {
    expect((await call(t.url, '/auth/ui/sso/nobody/start')).status).toBe(404);
    const r = await call(t.url, '/auth/ui/sso/acme-idp/callback?state=x&code=y');
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/Sign-in refused/);
  });
});
