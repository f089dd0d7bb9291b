import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { FakeClock } from '../../support/fake-clock.js';
import type { Reply } from '../../support/http-call.js';
import { usersFilePath } from '../../support/lifecycle.js';
import { RecordingUpstream } from '../../support/recording-upstream.js';
import { TestSamlIdp } from '../../support/saml-idp.js';
import { samlPortalSignIn } from '../../support/saml-portal-sign-in.js';
import { startGateway, type TestGateway } from '../../support/start-gateway.js';

const PROVIDER = 'holding-saml';

/**
 * The portfolio tree taught by a SAML attribute (the OIDC
 * claim has test/users/sso/oidc-ancestors.test.ts). SAML has no list type, so one ancestor
 * arrives as a plain string and several as a multi-valued attribute; both place the company.
 */
describe('the portfolio tree from a SAML attribute', () => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  const store = new SqliteStore(':memory:');
  const idp = new TestSamlIdp({
    'emea-user': { email: 'e@holding.example', company_id: 'emea', ancestors: 'holding' },
    'fr-user': { email: 'f@holding.example', company_id: 'emea-fr', ancestors: ['holding', 'emea'] },
    'loop-user': { email: 'l@holding.example', company_id: 'loop', ancestors: ['holding', 'loop'] },
  }, () => clock.now());
  let t: TestGateway;

  beforeAll(async () => {
    await upstream.start();
    const entryPoint = await idp.listen();
    t = await startGateway({
      upstreamUrl: upstream.url, store, clock,
      config: {
        users: {
          source: 'file', file: await usersFilePath(),
          sso: { providers: [{ type: 'saml', name: PROVIDER, displayName: 'Holding', entryPoint, idpIssuer: idp.entityId, idpCertFile: idp.certFile, attributes: { ancestors: 'ancestors' } }] },
        },
        portfolios: { allowed: ['holding'] },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await idp.close();
    await upstream.stop();
    await store.close();
  });

  const signIn = async (account: string): Promise<Reply> => (await samlPortalSignIn(t.url, PROVIDER, idp, account)).reply;

  it('one ancestor (a plain string) and a chain of two (multi-valued) both place the company under its root', async () => {
    expect(t.gw.state.portfolioIdOf('emea-fr')).toBe('emea-fr');
    expect((await signIn('emea-user')).status).toBe(303);
    expect(t.gw.state.portfolioIdOf('emea')).toBe('holding');
    expect((await signIn('fr-user')).status).toBe(303);
    expect(t.gw.state.portfolioIdOf('emea-fr')).toBe('holding');
  });

  it('a chain naming the company itself (a cycle) is refused with a clear page, nothing learned', async () => {
    const r = await signIn('loop-user');
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/attribute .*ancestors.* names a company twice/);
    expect(String(r.headers['set-cookie'])).not.toMatch(/hlgw_session=[^;]/);
    expect(t.gw.state.portfolioIdOf('loop')).toBe('loop');
  });
});
