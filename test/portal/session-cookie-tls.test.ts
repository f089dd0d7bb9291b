import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { startLifecycleGateway, USERS, type LifecycleGateway } from '../support/lifecycle.js';
import { PortalClient } from '../support/portal-client.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

/**
 * Behind a TLS-terminating proxy the gateway hears plain HTTP; it believes `X-Forwarded-Proto:
 * https` only from `server.trustedProxies`, and then sets `__Host-hlgw_session; Secure; Path=/`.
 */
describe('the session cookie over TLS', () => {
  const upstream = new RecordingUpstream();
  let trusting: LifecycleGateway;
  let untrusting: LifecycleGateway;

  beforeAll(async () => {
    await upstream.start();
    const clock = new FakeClock();
    trusting = await startLifecycleGateway({ upstreamUrl: upstream.url, store: new SqliteStore(':memory:'), clock, config: { server: { trustedProxies: ['127.0.0.1'] } } });
    untrusting = await startLifecycleGateway({ upstreamUrl: upstream.url, store: new SqliteStore(':memory:'), clock });
  });
  afterAll(async () => {
    await Promise.allSettled([trusting?.close(), untrusting?.close()]);
    await upstream.stop();
  });

  const https = () => ({ headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'tokens.example.com' }, origin: 'https://tokens.example.com' });

  it('from a trusted proxy saying https: __Host- prefix, Secure, Path=/, and the https origin is ours', async () => {
    const portal = new PortalClient(trusting.url);
    const s = await portal.signIn(USERS.alice.login, USERS.alice.password, https());
    expect(s.setCookie).toMatch(/^__Host-hlgw_session=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Strict$/);
    expect((await portal.request('GET', 'session', { session: s, ...https() })).status).toBe(200);
    // The plain-HTTP name is not read over TLS, nor the TLS name over plain HTTP.
    const plainName = { ...s, cookie: `hlgw_session=${s.id}` };
    expect((await portal.request('GET', 'session', { session: plainName, ...https() })).status).toBe(401);
    expect((await portal.request('GET', 'session', { session: s })).status).toBe(401);
    // The plain origin is not ours when the client is on https.
    expect((await portal.request('DELETE', 'session', { session: s, headers: https().headers })).json()).toMatchObject({ code: 'csrf_rejected' });
  });

  it('from anyone else, X-Forwarded-Proto is ignored: a plain cookie on the prefix, and their https Origin is foreign', async () => {
    const portal = new PortalClient(untrusting.url);
    const refused = await portal.request('POST', 'session', { ...https(), json: { login: USERS.alice.login, password: USERS.alice.password } });
    expect(refused.json()).toMatchObject({ code: 'csrf_rejected' });
    const s = await portal.signIn(USERS.alice.login, USERS.alice.password, { headers: { 'x-forwarded-proto': 'https' } });
    expect(s.setCookie).toMatch(/^hlgw_session=[A-Za-z0-9_-]{43}; Path=\/auth; HttpOnly; SameSite=Strict$/);
  });
});
