import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../support/fake-clock.js';
import { basic } from '../support/http-call.js';
import { ALLOWED, LifecycleGateway, USERS, usersFilePath } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway } from '../support/start-gateway.js';

/**
 * Issue 10: "Users who have no password (SSO users) cannot use [basic] mode: their tokens use
 * mode 2 or 3". In a `basic` gateway, `identity.ssoUpstream` decides what the API receives for
 * the token of a user signed in by SSO; password users' tokens keep replaying their own Basic.
 * The SSO sign-in itself is tested in test/users/sso/; here the token is issued for an owner
 * bound to a configured provider, as the portal's callback does.
 */
const PROVIDER = { type: 'oidc', name: 'acme-idp', displayName: 'Acme IdP', issuer: 'http://127.0.0.1:9/idp', clientId: 'hlgw' };
const SSO_OWNER = { userId: 'sso-user', login: 'sso.user@acme.example', companyId: 'acme', signIn: { provider: PROVIDER.name, issuer: PROVIDER.issuer } };

describe.each(['password', 'headers', 'assertion'] as const)('identity.upstream: basic with ssoUpstream: %s', (ssoUpstream) => {
  const upstream = new RecordingUpstream();
  const store = new SqliteStore(':memory:');
  let g: LifecycleGateway;

  beforeAll(async () => {
    await upstream.start();
    const t = await startGateway({
      upstreamUrl: upstream.url, store, clock: new FakeClock(),
      config: {
        users: { source: 'file', file: await usersFilePath(), sso: { providers: [PROVIDER] } },
        portfolios: { allowed: ALLOWED },
        identity: { upstream: 'basic', ssoUpstream },
      },
    });
    g = new LifecycleGateway(t);
    await g.enable(USERS.manager);
  });
  afterAll(async () => {
    await g?.close();
    await store.close();
    await upstream.stop();
  });

  it('a password user\'s token replays their own Basic, whatever ssoUpstream says', async () => {
    const { access_token } = await g.issue(USERS.alice);
    expect((await g.useToken(access_token)).status).toBe(200);
    expect(upstream.last!.headers.authorization).toBe(basic(USERS.alice.login, USERS.alice.password));
  });

  it('an SSO user\'s token (no password to replay) gets the configured mode, or credential_missing', async () => {
    const issued = await g.t.gw.tokens.issue(SSO_OWNER);
    expect(issued.record.sealedCredential).toBeUndefined();
    const r = await g.useToken(issued.token);
    const h = upstream.last!.headers;
    switch (ssoUpstream) {
      case 'password':
        expect(r.status).toBe(401);
        expect(r.json()).toMatchObject({ code: 'credential_missing' });
        break;
      case 'headers':
        expect(r.status).toBe(200);
        expect(h.authorization).toBeUndefined();
        expect(h['x-highlight-user-id']).toBe('sso-user');
        expect(h['x-highlight-login']).toBe('sso.user@acme.example');
        break;
      case 'assertion':
        expect(r.status).toBe(200);
        expect(h.authorization).toBeUndefined();
        expect(String(h['x-highlight-identity'])).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
        expect(h['x-highlight-user-id']).toBeUndefined();
        break;
    }
  });

  it('the JWKS is served exactly when some token may carry an assertion', async () => {
    const jwks = await g.request('GET', '/auth/.well-known/jwks.json');
    expect(jwks.status).toBe(ssoUpstream === 'assertion' ? 200 : 404);
  });
});
