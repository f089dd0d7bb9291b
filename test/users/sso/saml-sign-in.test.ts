import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MasterKey } from '../../../src/secrets/master-key.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { DESKTOP, launchChromium } from '../../support/browser.js';
import { expectSsoUserGetsAWorkingToken } from '../../support/sso-token-check.js';
import { FakeClock } from '../../support/fake-clock.js';
import { call, type Reply } from '../../support/http-call.js';
import { ALLOWED, LifecycleGateway, USERS, usersFilePath } from '../../support/lifecycle.js';
import { RecordingUpstream } from '../../support/recording-upstream.js';
import { lacks } from '../../support/requires.js';
import { TestSamlIdp, type AuthnRequestSeen, type SamlTamper } from '../../support/saml-idp.js';
import { startGateway } from '../../support/start-gateway.js';

const PROVIDER = 'acme-saml';
const ACS = `/auth/ui/sso/${PROVIDER}/acs`;

/**
 * SSO sign-in with SAML 2.0: a SAML IdP built in the test (test/support/saml-idp.ts, xml-crypto signing
 * with a throwaway key), the real gateway. Every refusal is a real Response spoiled in one way,
 * posted as the browser's second (same-origin) hop would post it; each ends on the error page
 * with nothing created. The happy path is clicked through in Chromium, from the sign-in page to
 * a token that works through the gateway.
 */
describe('SSO with SAML 2.0', () => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  const store = new SqliteStore(':memory:');
  const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');
  const idp = new TestSamlIdp({
    'saml-user': { email: 'saml.user@acme.example', company_id: 'acme', groups: ['staff', 'sales'] },
    'saml-manager': { email: 'saml.manager@acme.example', company_id: 'acme', groups: 'hl-managers' },
    'no-company': { email: 'drifter@acme.example' },
    'two-companies': { email: 'split@acme.example', company_id: ['acme', 'globex'] },
  }, () => clock.now());
  let gw: LifecycleGateway;
  let entryPoint: string;

  function providerConfig() {
    return {
      type: 'saml', name: PROVIDER, displayName: 'Acme SAML', entryPoint, idpIssuer: idp.entityId, companies: ['acme'],
      idpCertFile: idp.certFile, managerGroup: 'hl-managers',
    };
  }

  async function startWith(providers: unknown[]): Promise<LifecycleGateway> {
    const t = await startGateway({
      upstreamUrl: upstream.url, store, clock, masterKey,
      config: { users: { source: 'file', file: await usersFilePath(), sso: { providers } }, portfolios: { allowed: ALLOWED } },
    });
    return new LifecycleGateway(t);
  }

  beforeAll(async () => {
    await upstream.start();
    entryPoint = await idp.listen();
    gw = await startWith([providerConfig()]);
    await gw.enable(USERS.manager);
  });
  afterAll(async () => {
    await gw?.close();
    await idp.close();
    await upstream.stop();
    await store.close();
  });

  /** The start step as raw HTTP: the pre-session cookie and the AuthnRequest the IdP receives. */
  async function start(): Promise<{ cookie: string; req: AuthnRequestSeen; location: URL }> {
    const r = await call(gw.url, `/auth/ui/sso/${PROVIDER}/start`);
    expect(r.status).toBe(303);
    const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
    expect(set[0]).toMatch(/^hlgw_sso=[A-Za-z0-9_-]{43}; Path=\/auth\/ui\/sso; HttpOnly; SameSite=Lax; Max-Age=600$/);
    const location = new URL(r.headers.location!);
    return { cookie: set[0]!.split(';')[0]!, req: TestSamlIdp.readRequest(location), location };
  }

  /** The ACS hop our relay page makes: same origin, with the pre-session cookie (or not). */
  function postAcs(samlResponse: string, headers: Record<string, string>): Promise<Reply> {
    return call(gw.url, ACS, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gw.url, ...headers },
      body: new URLSearchParams({ SAMLResponse: samlResponse }).toString(),
    });
  }

  function expectRefused(r: Reply, reason: RegExp): void {
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.text).toMatch(/Sign-in refused/);
    expect(r.text.replaceAll('&#34;', '"').replaceAll('&#39;', "'")).toMatch(reason);
    expect(String(r.headers['set-cookie'])).not.toMatch(/hlgw_session=[^;]/);
  }

  it('sends an HTTP-Redirect AuthnRequest naming our ACS and entity id; serves SP metadata with signed assertions wanted', async () => {
    const { req, location } = await start();
    expect(`${location.origin}${location.pathname}`).toBe(entryPoint);
    expect(req.id).toMatch(/^_[0-9a-f]{40}$/);
    expect(req.acsUrl).toBe(`${gw.url}${ACS}`);
    expect(req.spEntityId).toBe(`${gw.url}/auth/ui/sso/${PROVIDER}/metadata`);
    const m = await call(gw.url, `/auth/ui/sso/${PROVIDER}/metadata`);
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toBe('application/samlmetadata+xml');
    expect(m.text).toContain(`entityID="${req.spEntityId}"`);
    expect(m.text).toContain('WantAssertionsSigned="true"');
    expect(m.text).toMatch(new RegExp(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${req.acsUrl}"`));
  });

  it('the sign-in options list the SAML provider for the page\'s "Sign in with" button', async () => {
    const r = await call(gw.url, '/auth/ui/api/sign-in-options');
    expect(r.json()).toMatchObject({ password: true, providers: [{ name: PROVIDER, displayName: 'Acme SAML', url: `/auth/ui/sso/${PROVIDER}/start` }] });
  });

  it('a cross-site POST to the ACS is only relayed: a same-origin form re-posts it, nothing is checked or created', async () => {
    const { cookie, req } = await start();
    const response = idp.respond(req, 'saml-user');
    const r = await postAcs(response, { origin: idp.url, cookie });
    expect(r.status).toBe(200);
    expect(String(r.headers['set-cookie'] ?? '')).toBe('');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'; form-action 'self'/);
    expect(r.headers['referrer-policy']).toBe('same-origin');
    expect(r.text).toContain(`<form method="post" action="${ACS}">`);
    expect(r.text).toContain(`name="SAMLResponse" value="${response}"`);
    // The pending sign-in was not used up by the relay hop: the same-origin hop still signs in.
    const second = await postAcs(response, { cookie });
    expect(second.status).toBe(303);
    expect(String(second.headers['set-cookie'])).toMatch(/hlgw_session=[A-Za-z0-9_-]{43}/);
  });

  it.each<[SamlTamper, RegExp]>([
    ['unsigned', /refused: Invalid signature/],
    ['other-key', /refused: Invalid signature/],
    ['edited-after-signing', /refused: Invalid signature/],
    ['sha1', /the signature must use RSA-SHA256/],
    ['audience', /refused: SAML assertion audience mismatch/],
    ['recipient', /the assertion is for another recipient/],
    ['destination', /the response is for another destination/],
    ['expired', /the assertion has expired \(NotOnOrAfter\)/],
    ['not-yet-valid', /the assertion is not yet valid \(NotBefore\)/],
    ['other-issuer', /not issued by the configured identity provider/],
  ])('a Response with %s is refused with a clear page, nothing created', async (tamper, reason) => {
    const { cookie, req } = await start();
    expectRefused(await postAcs(idp.respond(req, 'saml-user', tamper), { cookie }), reason);
  });

  it('the clock skew is tolerated: an assertion that expired 30 s ago by our clock still signs in (default 60 s)', async () => {
    const { cookie, req } = await start();
    const response = idp.respond(req, 'saml-user');
    clock.advance(5 * 60_000 + 30_000);
    try {
      expect((await postAcs(response, { cookie })).status).toBe(303);
    } finally {
      clock.advance(-(5 * 60_000 + 30_000));
    }
  });

  it('a replayed Response is refused: the pending sign-in it answered is used up', async () => {
    const { cookie, req } = await start();
    const response = idp.respond(req, 'saml-user');
    expect((await postAcs(response, { cookie })).status).toBe(303);
    expectRefused(await postAcs(response, { cookie }), /not started in this browser, was already used/);
    // Even in a fresh sign-in of the same browser: that answers another request.
    const again = await start();
    expectRefused(await postAcs(response, { cookie: again.cookie }), /InResponseTo/);
  });

  it('an answer to another browser\'s request is refused (InResponseTo), and uses up this browser\'s attempt', async () => {
    const victim = await start();
    const attacker = await start();
    const forAttacker = idp.respond(attacker.req, 'saml-manager');
    expectRefused(await postAcs(forAttacker, { cookie: victim.cookie }), /InResponseTo/);
    expectRefused(await postAcs(idp.respond(victim.req, 'saml-user'), { cookie: victim.cookie }), /not started in this browser/);
  });

  it('no pre-session cookie (a Response posted without the browser that started it): refused', async () => {
    const { req } = await start();
    expectRefused(await postAcs(idp.respond(req, 'saml-user'), {}), /not started in this browser/);
  });

  it.each([
    ['no-company', /attribute "company_id" is missing/],
    ['two-companies', /attribute "company_id" is not a non-empty string/],
  ])('%s: a missing or malformed attribute is a clear sign-in error, never a half identity', async (account, reason) => {
    const { cookie, req } = await start();
    expectRefused(await postAcs(idp.respond(req, account), { cookie }), reason);
  });

  it('the ACS body is capped and must be a form; GET is not allowed', async () => {
    const { cookie } = await start();
    const big = await call(gw.url, ACS, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gw.url, cookie },
      body: `SAMLResponse=${'A'.repeat(300 * 1024)}`,
    });
    expect(big.status).toBe(413);
    expect((await call(gw.url, ACS)).status).toBe(405);
  });

  describe.skipIf(lacks('chromium'))('in a browser', () => {
    let browser: Browser;
    beforeAll(async () => { browser = await launchChromium(); });
    afterAll(async () => { await browser?.close(); });

    async function signInAtIdp(account: string, tamper: SamlTamper = 'none', replayPrevious = false): Promise<{ ctx: BrowserContext; page: Page }> {
      idp.account = account;
      idp.tamper = tamper;
      idp.replayPrevious = replayPrevious;
      const ctx = await browser.newContext({ viewport: DESKTOP });
      const page = await ctx.newPage();
      await page.goto(`${gw.url}/auth/ui/`);
      await page.getByRole('link', { name: 'Sign in with Acme SAML' }).click();
      // The IdP's page posts to our ACS (cross-site), our relay page re-posts it (same origin).
      await page.waitForURL((u) => u.href === `${gw.url}/auth/ui/` || u.pathname === ACS);
      return { ctx, page };
    }

    it('a SAML user signs in, generates a token that works through the gateway, and is told password tokens are more stable', async () => {
      const { ctx, page } = await signInAtIdp('saml-user');
      await expectSsoUserGetsAWorkingToken(page, { gw, upstream, provider: PROVIDER, userId: `${PROVIDER}:saml-user`, login: 'saml.user@acme.example', companyId: 'acme' });
      await ctx.close();
    });

    it('a member of the manager group signs in as a portfolio manager', async () => {
      const { ctx, page } = await signInAtIdp('saml-manager');
      await page.getByRole('heading', { name: 'Token Management' }).waitFor();
      const s = await page.request.get(`${gw.url}/auth/ui/api/session`);
      expect(await s.json()).toMatchObject({ login: 'saml.manager@acme.example', manager: true, signedInWith: PROVIDER });
      await ctx.close();
    });

    async function expectRefusedInPage(ctx: BrowserContext, page: Page, reason: RegExp): Promise<void> {
      await page.getByRole('heading', { name: 'Sign-in refused' }).waitFor();
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(reason);
      expect((await ctx.cookies(gw.url)).filter((c) => c.name === 'hlgw_session' && c.value !== '')).toEqual([]);
      expect((await page.request.get(`${gw.url}/auth/ui/api/session`)).status()).toBe(401);
      await ctx.close();
    }

    it.each<[SamlTamper, RegExp]>([
      ['edited-after-signing', /Invalid signature/],
      ['audience', /audience mismatch/],
      ['expired', /expired/],
    ])('an assertion %s is refused on a clear page in the browser, nothing created', async (tamper, reason) => {
      const { ctx, page } = await signInAtIdp('saml-user', tamper);
      await expectRefusedInPage(ctx, page, reason);
    });

    it('a replayed assertion (the IdP page re-sends a Response already used) is refused on a clear page, nothing created', async () => {
      const first = await signInAtIdp('saml-user');
      await first.page.getByRole('heading', { name: 'Generate Access Token' }).waitFor();
      await first.ctx.close();
      try {
        const { ctx, page } = await signInAtIdp('saml-user', 'none', true);
        await expectRefusedInPage(ctx, page, /InResponseTo/);
      } finally {
        idp.replayPrevious = false;
      }
    });
  });

  it('configured from the IdP\'s metadata file: the AuthnRequest goes to its HTTP-Redirect SSO URL; its signing certificate verifies, its encryption-only one does not', async () => {
    const withCertFile = gw;
    const { entryPoint: _fromMetadata, idpCertFile: _alsoFromMetadata, ...rest } = providerConfig();
    gw = await startWith([{ ...rest, idpMetadataFile: idp.writeMetadata() }]);
    try {
      const { cookie, req, location } = await start();
      expect(`${location.origin}${location.pathname}`).toBe(entryPoint);
      expect((await postAcs(idp.respond(req, 'saml-user'), { cookie })).status).toBe(303);
      const other = await start();
      expectRefused(await postAcs(idp.respond(other.req, 'saml-user', 'other-key'), { cookie: other.cookie }), /refused: Invalid signature/);
    } finally {
      await gw.close();
      gw = withCertFile;
    }
  });

  it('a token is bound to the provider: removed, or the IdP entity id changed → 401 provider_gone', async () => {
    const { cookie, req } = await start();
    const signedIn = await postAcs(idp.respond(req, 'saml-user'), { cookie });
    const session = String(signedIn.headers['set-cookie']).match(/hlgw_session=([A-Za-z0-9_-]{43})/)![1]!;
    const csrf = await call(gw.url, '/auth/ui/api/session', { headers: { cookie: `hlgw_session=${session}` } });
    const made = await call(gw.url, '/auth/ui/api/oauth/authorize', {
      method: 'POST', headers: { cookie: `hlgw_session=${session}`, origin: gw.url, 'x-csrf-token': csrf.json<{ csrfToken: string }>().csrfToken },
    });
    expect(made.status).toBe(200);
    const token = made.json<{ access_token: string }>().access_token;
    expect((await gw.useToken(token)).status).toBe(200);
    await gw.close();
    for (const providers of [[], [{ ...providerConfig(), idpIssuer: 'urn:another-idp' }]]) {
      gw = await startWith(providers);
      expect((await gw.useToken(token)).status).toBe(401);
      const metrics = await call(gw.t.admin, '/metrics');
      expect(metrics.text).toMatch(/hlgw_token_validations_total\{result="provider_gone"\} 1/);
      await gw.close();
    }
    gw = await startWith([providerConfig()]);
  });
});
