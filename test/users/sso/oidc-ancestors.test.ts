import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MasterKey } from '../../../src/secrets/master-key.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { generateTokenInPage, launchChromium } from '../../support/browser.js';
import { FakeClock } from '../../support/fake-clock.js';
import { ALLOWED, LifecycleGateway, USERS, usersFilePath } from '../../support/lifecycle.js';
import { OIDC_CLIENT, TestOidcProvider } from '../../support/oidc-idp.js';
import { RecordingUpstream } from '../../support/recording-upstream.js';
import { lacks } from '../../support/requires.js';
import { startGateway } from '../../support/start-gateway.js';

const PROVIDER = 'acme-idp';

/**
 * The portfolio tree from an SSO claim: a real oidc-provider whose ID tokens carry
 * `company_ancestors` (root first). A user of a sub-company signs in, and the token they generate
 * is sealed for the root (`acme`, whose manager comes from the users file) and works through the
 * gateway; a claim that would make a cycle or is too deep is a clear sign-in error, nothing learned.
 */
describe.skipIf(lacks('chromium'))('SSO: the company ancestors claim places the company in the portfolio tree', () => {
  const upstream = new RecordingUpstream();
  const store = new SqliteStore(':memory:');
  const idp = new TestOidcProvider({
    'eu-user': { email: 'eu.user@acme.example', company_id: 'acme-eu', company_ancestors: ['acme'], groups: [] },
    'loop-user': { email: 'loop@acme.example', company_id: 'acme-eu', company_ancestors: ['acme', 'acme-eu'], groups: [] },
    'deep-user': { email: 'deep@acme.example', company_id: 'acme-eu', company_ancestors: Array.from({ length: 17 }, (_, i) => `l${i}`), groups: [] },
  });
  let gw: LifecycleGateway;
  let browser: Browser;

  beforeAll(async () => {
    await upstream.start();
    const issuer = await idp.listen();
    gw = new LifecycleGateway(await startGateway({
      upstreamUrl: upstream.url, store, clock: new FakeClock(),
      masterKey: MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test'),
      env: { HLGW_TEST_OIDC_SECRET: OIDC_CLIENT.secret },
      config: {
        users: {
          source: 'file', file: await usersFilePath(),
          sso: { providers: [{
            type: 'oidc', name: PROVIDER, displayName: 'Acme IdP', issuer, clientId: OIDC_CLIENT.id, companies: ['acme/*'],
            clientSecretFromEnv: 'HLGW_TEST_OIDC_SECRET', scopes: ['openid', 'email', 'hl'], claims: { ancestors: 'company_ancestors' },
          }] },
        },
        portfolios: { allowed: ALLOWED },
      },
    }));
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

  async function signIn(account: string): Promise<{ ctx: BrowserContext; page: Page }> {
    return idp.signInThroughPortal(browser, { ui: `${gw.url}/auth/ui/`, gatewayUrl: gw.url, displayName: 'Acme IdP', account });
  }

  it.each([
    ['loop-user', /claim "company_ancestors" names a company twice/],
    ['deep-user', /claim "company_ancestors" names more than 16 ancestors/],
  ])('%s: refused on a clear page, nothing learned', async (account, reason) => {
    const { ctx, page } = await signIn(account);
    await page.getByRole('heading', { name: 'Sign-in refused' }).waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(reason);
    expect(await store.listCompanyEdges()).toEqual([]);
    await ctx.close();
  });

  it('a sub-company user signs in; their token is sealed for the root and the upstream sees company and portfolio', async () => {
    const { ctx, page } = await signIn('eu-user');
    const token = await generateTokenInPage(page);
    await ctx.close();

    expect((await store.listCompanyEdges()).map((e) => [e.companyId, e.parent])).toEqual([['acme-eu', 'acme']]);
    expect((await gw.useToken(token)).status).toBe(200);
    expect(upstream.last!.headers['x-highlight-company-id']).toBe('acme-eu');
    expect(upstream.last!.headers['x-highlight-portfolio-id']).toBe('acme');
    // The root's manager sees the sub-company's token; it was sealed with the root's policy.
    const list = (await gw.request('GET', '/auth/tokens', { as: USERS.manager })).json<{ tokens: { user_id: string; status: string }[] }>().tokens;
    expect(list).toContainEqual(expect.objectContaining({ user_id: `${PROVIDER}:eu-user`, status: 'active' }));
  });
});
