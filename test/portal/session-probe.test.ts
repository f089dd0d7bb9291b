import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortalClient } from '../support/portal-client.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import type { TestGateway } from '../support/start-gateway.js';
import { startDemoGateway } from '../support/demo-gateway.js';

const USER = { login: 'user@acme.example', password: 'acme-user-demo' };

/**
 * `GET {prefix}/ui/api/session-probe`, what the page asks on every load: signed out is an answer
 * (204), not an error status a browser logs; signed in, the session. Every answer is checked
 * against the OpenAPI document by PortalClient.
 */
describe('the session probe', () => {
  const upstream = new RecordingUpstream();
  let gw: TestGateway;
  let portal: PortalClient;

  beforeAll(async () => {
    await upstream.start();
    gw = await startDemoGateway(upstream.url);
    portal = new PortalClient(gw.url);
  });
  afterAll(async () => {
    await gw?.close();
    await upstream.stop();
  });

  it('answers 204 with no body without a session, and with an unknown cookie', async () => {
    for (const headers of [{}, { cookie: 'hlgw_session=not-a-session' }]) {
      const r = await portal.request('GET', 'session-probe', { headers });
      expect(r.status).toBe(204);
      expect(r.text).toBe('');
      expect(r.headers['cache-control']).toBe('no-store');
    }
  });

  it('answers 200 with the session when signed in, and 204 again after sign-out', async () => {
    const s = await portal.signIn(USER.login, USER.password);
    const r = await portal.request('GET', 'session-probe', { session: s });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ login: USER.login, companyId: 'acme', manager: false, csrfToken: s.csrf });
    expect((await portal.request('DELETE', 'session', { session: s })).status).toBe(200);
    expect((await portal.request('GET', 'session-probe', { session: s })).status).toBe(204);
    // The API's own semantics are unchanged: GET session still refuses with 401.
    expect((await portal.request('GET', 'session', { session: s })).status).toBe(401);
  });
});
