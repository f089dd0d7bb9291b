import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../support/fake-clock.js';
import { call } from '../../support/http-call.js';
import { ALLOWED, usersFilePath } from '../../support/lifecycle.js';
import { RecordingUpstream } from '../../support/recording-upstream.js';
import { TestSamlIdp } from '../../support/saml-idp.js';
import { startGateway, type TestGateway } from '../../support/start-gateway.js';

/**
 * The SSO start step needs no credential and writes a pending sign-in to the store: one client
 * address may start `users.sso.startsPerMinutePerAddress` sign-ins a minute (per instance), the
 * next is 429 with Retry-After and writes nothing; another address is not affected.
 */
describe('SSO start: bounded per client address', () => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  const idp = new TestSamlIdp({}, () => clock.now());
  let t: TestGateway;

  beforeAll(async () => {
    await upstream.start();
    t = await startGateway({
      upstreamUrl: upstream.url, clock,
      config: {
        // The client address comes from X-Forwarded-For only behind a trusted proxy (loopback here).
        server: { trustedProxies: ['127.0.0.1'] },
        users: {
          source: 'file', file: await usersFilePath(),
          sso: {
            startsPerMinutePerAddress: 3,
            providers: [{ type: 'saml', name: 'acme-saml', displayName: 'Acme SAML', entryPoint: 'http://127.0.0.1:9/sso', idpIssuer: idp.entityId, idpCertFile: idp.certFile }],
          },
        },
        portfolios: { allowed: ALLOWED },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await idp.close();
    await upstream.stop();
  });

  const start = (from: string) => call(t.url, '/auth/ui/sso/acme-saml/start', { headers: { 'x-forwarded-for': from } });

  it('the fourth start in a minute from one address is 429 with Retry-After, no pre-session cookie; a minute later it starts again', async () => {
    for (let i = 0; i < 3; i++) expect((await start('203.0.113.7')).status).toBe(303);
    const refused = await start('203.0.113.7');
    expect(refused.status).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'rate_limited' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['set-cookie']).toBeUndefined();
    // Another address is not affected.
    expect((await start('198.51.100.20')).status).toBe(303);
    clock.advance(60_000);
    expect((await start('203.0.113.7')).status).toBe(303);
  });
});
