import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { basic } from '../support/http-call.js';
import { LifecycleGateway, startLifecycleGateway, USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

describe.each(STORE_FACTORIES)('failed logins are rate limited ($name store)', (factory) => {
  const upstream = new RecordingUpstream();
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let clock: FakeClock;
  let g: LifecycleGateway;

  beforeEach(async () => {
    await upstream.start();
    fresh = await freshStore(factory);
    clock = new FakeClock();
    // Loopback is a trusted proxy here, so X-Forwarded-For picks the client address.
    g = await startLifecycleGateway({ upstreamUrl: upstream.url, store: fresh.store, clock, config: { server: { trustedProxies: ['127.0.0.1'] } } });
  });
  afterEach(async () => {
    await g.close();
    await fresh.close();
    await upstream.stop();
  });

  const from = (address: string) => ({ 'x-forwarded-for': address });
  const attempt = (login: string, password: string, address: string) =>
    g.request('GET', '/auth/tokens', { authorization: basic(login, password), headers: from(address) });

  it('per login: 10 failures in 5 minutes from anywhere → 429 with Retry-After, even with the right password', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await attempt(USERS.alice.login, `guess-${i}`, `198.51.100.${i}`)).status).toBe(401);
      clock.advance(10_000);
    }
    const blocked = await attempt(USERS.alice.login, USERS.alice.password, '192.0.2.77');
    expect(blocked.status).toBe(429);
    expect(blocked.json()).toMatchObject({ code: 'rate_limited' });
    // The first failure leaves the 300 s window 300 - 100 s from now.
    expect(blocked.headers['retry-after']).toBe('200');
    // Logins are compared case-insensitively for counting too.
    expect((await attempt(USERS.alice.login.toUpperCase(), USERS.alice.password, '192.0.2.78')).status).toBe(429);
    // Another login is unaffected.
    expect((await attempt(USERS.bob.login, USERS.bob.password, '192.0.2.77')).status).toBe(200);

    clock.advance(200_000);
    expect((await attempt(USERS.alice.login, USERS.alice.password, '192.0.2.77')).status).toBe(200);
  });

  it('per address: 10 failures with any logins → 429 for that address only', async () => {
    for (let i = 0; i < 10; i++) expect((await attempt(`user${i}@acme.example`, 'guess', '203.0.113.5')).status).toBe(401);
    const blocked = await attempt(USERS.alice.login, USERS.alice.password, '203.0.113.5');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBe(300);
    expect((await attempt(USERS.alice.login, USERS.alice.password, '203.0.113.6')).status).toBe(200);
    // On the token endpoints too, with the same answer.
    const issue = await g.request('POST', '/auth/oauth/authorize', { as: USERS.alice, headers: from('203.0.113.5') });
    expect(issue.status).toBe(429);
  });

  it('fewer than 10 failures do not block, and a success clears the login count', async () => {
    for (let i = 0; i < 9; i++) await attempt(USERS.alice.login, 'guess', `198.51.100.${i}`);
    expect((await attempt(USERS.alice.login, USERS.alice.password, '192.0.2.1')).status).toBe(200);
    for (let i = 0; i < 9; i++) await attempt(USERS.alice.login, 'guess', `198.51.100.${20 + i}`);
    expect((await attempt(USERS.alice.login, USERS.alice.password, '192.0.2.2')).status).toBe(200);
  });

  it('the window slides: failures older than 5 minutes no longer count', async () => {
    for (let i = 0; i < 9; i++) await attempt(USERS.alice.login, 'guess', `198.51.100.${i}`);
    clock.advance(300_001);
    await attempt(USERS.alice.login, 'guess', '198.51.100.99');
    expect((await attempt(USERS.alice.login, USERS.alice.password, '192.0.2.1')).status).toBe(200);
  });
});
