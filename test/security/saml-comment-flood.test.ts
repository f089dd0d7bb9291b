import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { FakeClock } from '../support/fake-clock.js';
import { TestSamlIdp } from '../support/saml-idp.js';
import { startGateway, type TestGateway } from '../support/start-gateway.js';

const PROVIDER = 'acme-saml';

/**
 * The attack as an outsider sends it: a pre-session cookie from the start step, then a SAMLResponse
 * of a few hundred bytes whose XML is a run of empty comments and no element. A backtracking
 * pattern once read it before any signature check and blocked the event loop (each extra comment
 * doubled the time; 40 of them ran for hours). Now the ACS answers with a refusal page and the
 * admin port answers beside it. The gateway runs in this process, so a blocked loop would also
 * stop this test until vitest's timeout: that, not a measured duration, is how it fails.
 */
describe('a SAMLResponse made of nested comments', () => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  const idp = new TestSamlIdp({}, () => clock.now());
  let t: TestGateway;

  beforeAll(async () => {
    await upstream.start();
    const entryPoint = await idp.listen();
    t = await startGateway({
      upstreamUrl: upstream.url, clock,
      config: { users: { source: 'none', sso: { providers: [{ type: 'saml', name: PROVIDER, displayName: 'Acme SAML', entryPoint, idpIssuer: idp.entityId, idpCertFile: idp.certFile }] } } },
    });
  });
  afterAll(async () => {
    await t?.close();
    await idp.close();
    await upstream.stop();
  });

  it.each([30, 40])('%i comments: a clear refusal page, and the admin port answers meanwhile', async (n) => {
    const started = await call(t.url, `/auth/ui/sso/${PROVIDER}/start`);
    expect(started.status).toBe(303);
    const cookie = String(([] as string[]).concat(started.headers['set-cookie'] ?? [])[0]).split(';')[0]!;
    const samlResponse = Buffer.from('<!---->'.repeat(n) + 'x').toString('base64');
    expect(samlResponse.length).toBeLessThan(400);

    const [acs, health] = await Promise.all([
      call(t.url, `/auth/ui/sso/${PROVIDER}/acs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: t.url, cookie },
        body: new URLSearchParams({ SAMLResponse: samlResponse }).toString(),
      }),
      call(t.admin, '/healthz'),
    ]);
    expect(acs.status).toBe(400);
    expect(acs.headers['content-type']).toMatch(/^text\/html/);
    expect(acs.text).toMatch(/Sign-in refused/);
    expect(acs.text).toMatch(/the response contains an XML comment/);
    expect(String(acs.headers['set-cookie'] ?? '')).not.toMatch(/hlgw_session=[^;]/);
    expect(health.status).toBe(200);
    // And after it, a proxied request is answered too.
    expect((await call(t.url, '/api/x')).status).toBe(200);
  });
});
