import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MasterKey } from '../../../src/secrets/master-key.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { generateTokenInPage, launchChromium } from '../../support/browser.js';
import { expectSsoUserGetsAWorkingToken } from '../../support/sso-token-check.js';
import { FakeClock } from '../../support/fake-clock.js';
import { call } from '../../support/http-call.js';
import { ALLOWED, LifecycleGateway, USERS, usersFilePath } from '../../support/lifecycle.js';
import { OIDC_CLIENT, TestOidcProvider, type Tamper } from '../../support/oidc-idp.js';
import { RecordingUpstream } from '../../support/recording-upstream.js';
import { lacks } from '../../support/requires.js';
import { startGateway } from '../../support/start-gateway.js';

const PROVIDER = 'acme-idp';
const SECRET_ENV = { HLGW_TEST_OIDC_SECRET: OIDC_CLIENT.secret };

/**
 * SSO sign-in with OpenID Connect: a real oidc-provider on loopback, the real gateway, Debian's chromium.
 * The happy path is clicked through as a person would; the refusals each end on the sign-in error
 * page with nothing created (no session cookie, no token). What a browser cannot forge (a wrong
 * state) is sent as raw HTTP.
 */
describe.skipIf(lacks('chromium'))('SSO with OpenID Connect', () => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  const store = new SqliteStore(':memory:');
  const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');
  const idp = new TestOidcProvider({
    'sso-user': { email: 'sso.user@acme.example', company_id: 'acme', groups: ['staff'] },
    'sso-manager': { email: 'sso.manager@acme.example', company_id: 'acme', groups: ['hl-managers'] },
    'no-company': { email: 'drifter@acme.example', groups: [] },
    'bad-company': { email: 'odd@acme.example', company_id: 'acme corp!', groups: [] },
  });
  let gw: LifecycleGateway;
  let browser: Browser;
  let ui: string;

  function providerConfig(issuer: string) {
    return {
      type: 'oidc', name: PROVIDER, displayName: 'Acme IdP', issuer, clientId: OIDC_CLIENT.id, companies: ['acme', 'initech'],
      clientSecretFromEnv: 'HLGW_TEST_OIDC_SECRET', scopes: ['openid', 'email', 'hl'], managerGroup: 'hl-managers',
    };
  }

  async function startWith(providers: unknown[]): Promise<LifecycleGateway> {
    const t = await startGateway({
      upstreamUrl: upstream.url, store, clock, masterKey, env: SECRET_ENV,
      config: { users: { source: 'file', file: await usersFilePath(), sso: { providers } }, portfolios: { allowed: ALLOWED } },
    });
    return new LifecycleGateway(t);
  }

  beforeAll(async () => {
    await upstream.start();
    const issuer = await idp.listen();
    gw = await startWith([providerConfig(issuer)]);
    ui = `${gw.url}/auth/ui/`;
    await idp.start([`${gw.url}/auth/ui/sso/${PROVIDER}/callback`]);
    await gw.enable(USERS.manager);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await idp.close();
    await upstream.stop();
    await store.close();
  });

  /** From the portal's sign-in page through the provider's form; resolves on the page the browser lands on. */
  async function signInAtProvider(account: string, tamper: Tamper = 'none'): Promise<{ ctx: BrowserContext; page: Page }> {
    idp.tamper = tamper;
    return idp.signInThroughPortal(browser, { ui, gatewayUrl: gw.url, displayName: 'Acme IdP', account });
  }

  async function expectNothingCreated(ctx: BrowserContext, page: Page): Promise<void> {
    expect((await ctx.cookies(gw.url)).filter((c) => c.name === 'hlgw_session' && c.value !== '')).toEqual([]);
    const session = await page.request.get(`${ui}api/session`);
    expect(session.status()).toBe(401);
  }

  it('an SSO user signs in, generates a token that works through the gateway, sees and revokes it', async () => {
    const { ctx, page } = await signInAtProvider('sso-user');
    const token = await expectSsoUserGetsAWorkingToken(page, { gw, upstream, provider: PROVIDER, userId: `${PROVIDER}:sso-user`, login: 'sso.user@acme.example', companyId: 'acme' });
    // The page shows how the token's owner signed in.
    await page.getByRole('definition').filter({ hasText: PROVIDER }).waitFor();

    await page.getByRole('button', { name: 'Revoke my token' }).click();
    await page.getByRole('dialog', { name: 'Revoke your token?' }).getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Revoked: by owner or manager').waitFor();
    expect((await gw.useToken(token)).status).toBe(401);
    await ctx.close();
  });

  it('a member of the manager group signs in as a portfolio manager', async () => {
    const { ctx, page } = await signInAtProvider('sso-manager');
    await page.getByRole('heading', { name: 'Token Management' }).waitFor();
    const s = await page.request.get(`${ui}api/session`);
    expect(await s.json()).toMatchObject({ login: 'sso.manager@acme.example', manager: true, signedInWith: PROVIDER });
    await ctx.close();
  });

  it.each([
    ['payload', /signature/i],
    ['audience', /"aud"/],
    ['nonce', /"nonce"/],
  ] as const)('an ID token with a tampered %s is refused on a clear page, nothing created', async (tamper, reason) => {
    const { ctx, page } = await signInAtProvider('sso-user', tamper);
    await page.getByRole('heading', { name: 'Sign-in refused' }).waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(reason);
    await expectNothingCreated(ctx, page);
    await ctx.close();
  });

  it.each([
    ['no-company', /claim "company_id" is missing/],
    ['bad-company', /claim "company_id" is not a company id/],
  ])('%s: a missing or malformed claim is a clear sign-in error, never a half identity', async (account, reason) => {
    const { ctx, page } = await signInAtProvider(account);
    await page.getByRole('heading', { name: 'Sign-in refused' }).waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(reason);
    await expectNothingCreated(ctx, page);
    await ctx.close();
  });

  /** The start step as raw HTTP: the pre-session cookie and where the browser would be sent. */
  async function start(): Promise<{ cookie: string; location: URL }> {
    const r = await call(gw.url, `/auth/ui/sso/${PROVIDER}/start`);
    expect(r.status).toBe(303);
    const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
    expect(set[0]).toMatch(/^hlgw_sso=[A-Za-z0-9_-]{43}; Path=\/auth\/ui\/sso; HttpOnly; SameSite=Lax; Max-Age=600$/);
    return { cookie: set[0]!.split(';')[0]!, location: new URL(r.headers.location!) };
  }

  it('sends PKCE (S256), state and nonce to the provider; the code verifier never leaves the gateway', async () => {
    const { location } = await start();
    expect(location.origin).toBe(idp.issuer);
    const q = location.searchParams;
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(q.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(q.get('redirect_uri')).toBe(`${gw.url}/auth/ui/sso/${PROVIDER}/callback`);
  });

  it.each([
    // The provider advertises RFC 9207, so a well-formed answer also names it (`iss`); the state is then checked.
    ['a state that is not the one sent', (state: string) => ({ cookie: true, query: `state=${state}x&code=anything&iss=${encodeURIComponent(idp.issuer)}` }), /unexpected "state"/],
    ['an answer that does not name its issuer (RFC 9207)', (state: string) => ({ cookie: true, query: `state=${state}&code=anything` }), /"iss" \(issuer\) missing/],
    ['no pre-session cookie (a callback replayed in another browser)', (state: string) => ({ cookie: false, query: `state=${state}&code=anything` }), /not started in this browser/],
    ['an error from the provider', (state: string) => ({ cookie: true, query: `state=${state}&error=access_denied` }), /answered access_denied/],
  ])('%s: refused with a page, no session', async (_name, make, reason) => {
    const { cookie, location } = await start();
    const m = make(location.searchParams.get('state')!);
    const r = await call(gw.url, `/auth/ui/sso/${PROVIDER}/callback?${m.query}`, { headers: m.cookie ? { cookie } : {} });
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.text.replaceAll('&#34;', '"')).toMatch(reason);
    expect(String(r.headers['set-cookie'])).not.toMatch(/hlgw_session=[^;]/);
    if (!m.cookie) return;
    // The started sign-in was used up by the refused attempt: the right state now fails too.
    const again = await call(gw.url, `/auth/ui/sso/${PROVIDER}/callback?state=${location.searchParams.get('state')}&code=x`, { headers: { cookie } });
    expect(again.text).toMatch(/not started in this browser/);
  });

  it('the next sign-in\'s claims say another company: the older session ends (401, no token), audited', async () => {
    const first = await signInAtProvider('sso-user');
    expect((await first.page.request.get(`${ui}api/session`)).status()).toBe(200);
    const account = idp.accounts['sso-user']!;
    account.company_id = 'initech'; // a company this provider may speak for
    try {
      const second = await signInAtProvider('sso-user');
      expect(await (await second.page.request.get(`${ui}api/session`)).json()).toMatchObject({ companyId: 'initech' });
      expect((await first.page.request.get(`${ui}api/session`)).status()).toBe(401);
      const csrf = { 'x-csrf-token': 'irrelevant: the session is gone first', origin: gw.url };
      expect((await first.page.request.post(`${ui}api/oauth/authorize`, { headers: csrf })).status()).toBe(401);
      const ended = (await store.listAudit('acme', { limit: 50 })).events.filter((e) => e.action === 'session.end');
      expect(ended[0]).toMatchObject({ actor: 'system', detail: { login: 'sso.user@acme.example', reason: 'company changed' } });
      expect(ended[0]!.detail.sessions).toBeGreaterThanOrEqual(1); // earlier tests' sessions of this account end too
      await second.ctx.close();
    } finally {
      account.company_id = 'acme';
      await first.ctx.close();
    }
  });

  it('a token is bound to its provider: removed or re-pointed provider → 401 provider_gone, in the metrics', async () => {
    const { ctx, page } = await signInAtProvider('sso-user');
    const token = await generateTokenInPage(page);
    await ctx.close();
    expect((await gw.useToken(token)).status).toBe(200);
    const password = await gw.issue(USERS.alice);
    await gw.close();

    for (const providers of [[], [{ ...providerConfig(idp.issuer), issuer: `${idp.issuer}/elsewhere` }]]) {
      gw = await startWith(providers);
      const r = await gw.useToken(token);
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      expect((await gw.useToken(password.access_token)).status).toBe(200); // password tokens are not affected
      const metrics = await call(gw.t.admin, '/metrics');
      expect(metrics.text).toMatch(/hlgw_token_validations_total\{result="provider_gone"\} 1/);
      await gw.close();
    }
    gw = await startWith([providerConfig(idp.issuer)]);
  });
});
