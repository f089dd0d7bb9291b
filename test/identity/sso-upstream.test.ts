import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../support/fake-clock.js';
import { basic } from '../support/http-call.js';
import { ALLOWED, LifecycleGateway, USERS, usersFilePath } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { PortalClient } from '../support/portal-client.js';
import { TestSamlIdp } from '../support/saml-idp.js';
import { samlPortalSignIn } from '../support/saml-portal-sign-in.js';
import { startGateway } from '../support/start-gateway.js';

/**
 * Users who have no password (SSO users) cannot use `basic` mode: their tokens use `headers` or
 * `assertion`. In a `basic` gateway, `identity.ssoUpstream` decides what the API receives for
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

/**
 * SSO users live in their provider's namespace: a SAML subject equal to a password user's id
 * (`u-2`, alice) signs in as `acme-saml:u-2`, and that is the id the upstream receives, in every
 * mode that can carry an SSO user's identity; alice's own token keeps her id.
 */
describe.each([
  ['headers', { upstream: 'headers' }],
  ['basic (ssoUpstream: headers)', { upstream: 'basic', ssoUpstream: 'headers' }],
  ['basic (ssoUpstream: assertion)', { upstream: 'basic', ssoUpstream: 'assertion' }],
  ['assertion', { upstream: 'assertion' }],
] as const)('identity.upstream: %s: an SSO subject equal to a password user\'s id', (_mode, identity) => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  const store = new SqliteStore(':memory:');
  const idp = new TestSamlIdp({ 'u-2': { email: 'alice.sso@acme.example', company_id: 'acme' } }, () => clock.now());
  let g: LifecycleGateway;

  beforeAll(async () => {
    await upstream.start();
    const entryPoint = await idp.listen();
    g = new LifecycleGateway(await startGateway({
      upstreamUrl: upstream.url, store, clock,
      config: {
        users: { source: 'file', file: await usersFilePath(), sso: { providers: [{ type: 'saml', name: 'acme-saml', displayName: 'Acme SAML', entryPoint, idpIssuer: idp.entityId, idpCertFile: idp.certFile, companies: ['acme'] }] } },
        portfolios: { allowed: ALLOWED },
        identity,
      },
    }));
    await g.enable(USERS.manager);
  });
  afterAll(async () => {
    await g?.close();
    await idp.close();
    await store.close();
    await upstream.stop();
  });

  /** The user id the upstream received with the last request, whichever way it was carried. */
  function userIdSeen(): string | undefined {
    const h = upstream.last!.headers;
    if (h['x-highlight-identity'] !== undefined) return JSON.parse(Buffer.from(String(h['x-highlight-identity']).split('.')[1]!, 'base64url').toString()).sub;
    if (h['x-highlight-user-id'] !== undefined) return String(h['x-highlight-user-id']);
    return String(h.authorization) === basic(USERS.alice.login, USERS.alice.password) ? USERS.alice.userId : undefined;
  }

  it('is another user: the password user\'s token survives and keeps her id; the SSO token carries the namespaced id', async () => {
    const alice = await g.issue(USERS.alice);
    const { session } = await samlPortalSignIn(g.url, 'acme-saml', idp, 'u-2');
    expect(session).toBeDefined();
    const made = await new PortalClient(g.url).request('POST', 'oauth/authorize', { session });
    expect(made.status).toBe(200);

    expect((await g.useToken(alice.access_token)).status).toBe(200);
    expect(userIdSeen()).toBe('u-2');
    expect((await g.useToken(made.json<{ access_token: string }>().access_token)).status).toBe(200);
    expect(userIdSeen()).toBe('acme-saml:u-2');
  });
});
