import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { basic } from '../support/http-call.js';
import { LifecycleGateway, startLifecycleGateway, USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

type Issued = Awaited<ReturnType<LifecycleGateway['issue']>>;

describe.each(STORE_FACTORIES)('who may do what ($name store)', (factory) => {
  const upstream = new RecordingUpstream();
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let g: LifecycleGateway;
  let alice: Issued;
  let gus: Issued;
  let maria: Issued;

  beforeAll(async () => {
    await upstream.start();
    fresh = await freshStore(factory);
    g = await startLifecycleGateway({ upstreamUrl: upstream.url, store: fresh.store, clock: new FakeClock() });
    await g.enable(USERS.manager);
    await g.enable(USERS.globexManager);
    alice = await g.issue(USERS.alice);
    gus = await g.issue(USERS.globexUser);
    maria = await g.issue(USERS.manager);
  });
  afterAll(async () => {
    await g.close();
    await fresh.close();
    await upstream.stop();
  });

  it('no endpoint request ever reaches the upstream', async () => {
    const before = upstream.requests.length;
    await g.request('GET', '/auth/tokens', { as: USERS.alice });
    await g.request('GET', '/auth/nowhere', { as: USERS.alice });
    await g.request('GET', '/auth', { as: USERS.alice });
    expect(upstream.requests.length).toBe(before);
    // A path that only starts like the prefix is proxied.
    expect((await g.request('GET', '/authors', { as: USERS.alice })).status).toBe(200);
    expect(upstream.requests.length).toBe(before + 1);
    expect(upstream.last!.headers.authorization).toBe(basic(USERS.alice.login, USERS.alice.password));
  });

  it.each([
    ['a token of another portfolio, by its manager', () => gus.token_id, USERS.manager],
    ['a token of another user, by a plain user', () => maria.token_id, USERS.alice],
    ['an unknown token id', () => 'no-such-token', USERS.manager],
  ])('DELETE %s → 404, same body as unknown', async (_name, id, as) => {
    const r = await g.request('DELETE', `/auth/tokens/${id()}`, { as });
    expect(r.status).toBe(404);
    expect(r.json()).toEqual({ error: 'not_found', error_description: 'not found', code: 'not_found' });
    expect((await g.useToken(gus.access_token)).status).toBe(200);
    expect((await g.useToken(maria.access_token)).status).toBe(200);
  });

  it.each([
    ['GET', 'a plain user', USERS.alice, 'acme', 'forbidden'],
    ['PUT', 'a plain user', USERS.alice, 'acme', 'forbidden'],
    ['GET', 'the manager of another company', USERS.globexManager, 'acme', 'forbidden'],
    ['PUT', 'the manager of another company', USERS.globexManager, 'acme', 'forbidden'],
    ['PUT', 'a manager, for a company that does not exist', USERS.manager, 'nosuchco', 'forbidden'],
    ['GET', 'the manager of a company not allowed by the operator', USERS.initechManager, 'initech', 'portfolio_not_allowed'],
    ['PUT', 'the manager of a company not allowed by the operator', USERS.initechManager, 'initech', 'portfolio_not_allowed'],
  ] as const)('%s token-policy by %s → 403', async (method, _who, as, companyId, code) => {
    const r = await g.request(method, `/auth/portfolios/${companyId}/token-policy`, method === 'PUT' ? { as, json: { enabled: false } } : { as });
    expect(r.status).toBe(403);
    expect(r.json()).toMatchObject({ code });
    expect(r.text).not.toMatch(/passphrase|generation|durationMinutes/);
  });

  it.each([
    ['a plain user', USERS.alice, 'acme'],
    ['the manager of another company', USERS.globexManager, 'acme'],
  ])('audit by %s → 403', async (_who, as, companyId) => {
    expect((await g.request('GET', `/auth/portfolios/${companyId}/audit`, { as })).status).toBe(403);
  });

  it('issuing for a company not allowed by the operator → 403 portfolio_not_allowed', async () => {
    const r = await g.request('POST', '/auth/oauth/authorize', { as: USERS.initechManager });
    expect(r.status).toBe(403);
    expect(r.json()).toMatchObject({ code: 'portfolio_not_allowed', error_description: expect.stringContaining('not allowed') });
  });

  it('a Bearer token cannot mint tokens; a manager\'s Bearer token may manage the policy', async () => {
    const r = await g.request('POST', '/auth/oauth/authorize', { bearer: alice.access_token });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toMatch(/^Basic realm="highlight"/);
    expect((await g.request('GET', '/auth/portfolios/acme/token-policy', { bearer: maria.access_token })).status).toBe(200);
    expect((await g.request('GET', '/auth/portfolios/acme/token-policy', { bearer: alice.access_token })).status).toBe(403);
  });

  it.each([
    ['no credentials', undefined],
    ['a wrong password', basic(USERS.alice.login, 'nope-nope')],
    ['an unknown login', basic('nobody@acme.example', 'nope-nope')],
    ['a Basic value that is not login:password', 'Basic bm9jb2xvbg=='],
    ['another scheme', 'Digest username="alice"'],
  ])('%s → 401 with a Basic challenge', async (_name, authorization) => {
    const r = await g.request('GET', '/auth/tokens', authorization ? { authorization } : {});
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Basic realm="highlight", charset="UTF-8"');
    expect(r.json()).toMatchObject({ code: 'unauthorized' });
  });

  it('an invalid Bearer token on an endpoint → 401 with a Bearer challenge', async () => {
    const r = await g.request('GET', '/auth/tokens', { bearer: 'not.a.real.token.atall' });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toContain('Bearer realm="highlight", error="invalid_token"');
  });

  it.each([
    ['DELETE', '/auth/oauth/authorize', 'GET, POST'],
    ['GET', '/auth/oauth/revoke', 'POST'],
    ['PUT', '/auth/tokens', 'GET, POST'],
    ['PATCH', '/auth/portfolios/acme/token-policy', 'GET, PUT'],
  ])('%s %s → 405, Allow: %s', async (method, path, allow) => {
    const r = await g.request(method, path, { as: USERS.manager });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe(allow);
  });

  it('a body over endpoints.maxBodyBytes → 413', async () => {
    const r = await g.request('PUT', '/auth/portfolios/acme/token-policy', { as: USERS.manager, json: { passphrase: 'x'.repeat(20_000) } });
    expect(r.status).toBe(413);
    expect(r.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it('a body of the wrong type → 400', async () => {
    const r = await g.request('PUT', '/auth/portfolios/acme/token-policy', { as: USERS.manager, form: { enabled: 'true' } });
    expect(r.status).toBe(400);
    expect(r.json<{ error_description: string }>().error_description).toContain('application/json');
  });

  describe('RFC 7662 introspection', () => {
    it('a manager learns about tokens of their own portfolio only', async () => {
      const r = await g.request('POST', '/auth/oauth/introspect', { as: USERS.manager, form: { token: alice.access_token } });
      expect(r.status).toBe(200);
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.json()).toMatchObject({ active: true, token_type: 'Bearer', sub: USERS.alice.userId, username: USERS.alice.login, jti: alice.token_id, company_id: 'acme' });
    });

    it.each([
      ['another portfolio\'s token', () => gus.access_token],
      ['garbage', () => 'garbage'],
      ['a tampered token', () => alice.access_token.slice(0, -3) + 'AAA'],
    ])('%s → {"active":false} and nothing else', async (_name, token) => {
      const r = await g.request('POST', '/auth/oauth/introspect', { as: USERS.manager, form: { token: token() } });
      expect(r.status).toBe(200);
      expect(r.json()).toEqual({ active: false });
    });

    it('a plain user may not introspect (403); no credentials 401', async () => {
      expect((await g.request('POST', '/auth/oauth/introspect', { as: USERS.alice, form: { token: alice.access_token } })).status).toBe(403);
      expect((await g.request('POST', '/auth/oauth/introspect', { form: { token: alice.access_token } })).status).toBe(401);
    });

    it('accepts form-urlencoded Basic credentials (RFC 6749 §2.3.1) and the raw form', async () => {
      const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
      for (const authorization of [
        basic(enc(USERS.manager.login), enc(USERS.manager.password)),
        basic(USERS.manager.login, USERS.manager.password),
      ]) {
        const r = await g.request('POST', '/auth/oauth/introspect', { authorization, form: { token: alice.access_token } });
        expect(r.json()).toMatchObject({ active: true });
      }
    });
  });

  describe('RFC 7009 revocation', () => {
    it('answers 200 for unknown or invalid tokens and for another portfolio\'s token presented by its holder', async () => {
      for (const token of ['garbage', 'x'.repeat(10_000)]) {
        const r = await g.request('POST', '/auth/oauth/revoke', { form: { token } });
        expect(r.status).toBe(200);
        expect(r.text).toBe('');
      }
    });

    it('400 without a token parameter; 401 with bad credentials', async () => {
      expect((await g.request('POST', '/auth/oauth/revoke', { form: {} })).status).toBe(400);
      expect((await g.request('POST', '/auth/oauth/revoke', { authorization: basic(USERS.alice.login, 'wrong-pw'), form: { token: alice.access_token } })).status).toBe(401);
      expect((await g.useToken(alice.access_token)).status).toBe(200);
    });

    it.each([
      ['the token itself, no other credential', () => ({})],
      ['the token itself as Bearer', (t: string) => ({ bearer: t })],
      ['its owner with form-urlencoded Basic (bob+Pw 3%)', () => ({ authorization: basic(encodeURIComponent(USERS.bob.login), encodeURIComponent(USERS.bob.password).replace(/%20/g, '+')) })],
      ['its portfolio manager', () => ({ as: USERS.manager })],
    ])('revokes with %s', async (_name, how) => {
      const t = await g.issue(USERS.bob);
      const r = await g.request('POST', '/auth/oauth/revoke', { ...how(t.access_token), form: { token: t.access_token, token_type_hint: 'access_token' } });
      expect(r.status).toBe(200);
      expect((await g.useToken(t.access_token)).status).toBe(401);
    });
  });
});
