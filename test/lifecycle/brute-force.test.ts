import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { basic } from '../support/http-call.js';
import { LifecycleGateway, startLifecycleGateway, USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

/** The address budget of this suite: larger than the login budget (10), small enough to reach quickly. */
const ADDRESS_BUDGET = 30;

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
    g = await startLifecycleGateway({
      upstreamUrl: upstream.url, store: fresh.store, clock,
      config: {
        server: { trustedProxies: ['127.0.0.1'] },
        endpoints: { failedLogins: { perAddress: { maxFailures: ADDRESS_BUDGET, windowSeconds: 300 } } },
      },
    });
  });
  afterEach(async () => {
    await g.close();
    await fresh.close();
    await upstream.stop();
  });

  const from = (address: string) => ({ 'x-forwarded-for': address });
  const attempt = (login: string, password: string, address: string) =>
    g.request('GET', '/auth/tokens', { authorization: basic(login, password), headers: from(address) });
  /** RFC 7009/7662 endpoints accept form-encoded Basic (RFC 6749 §2.3.1). */
  const introspect = (login: string, password: string, address: string) =>
    g.request('POST', '/auth/oauth/introspect', { authorization: basic(login, password), headers: from(address), form: { token: 'x' } });

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

  it('race: 100 concurrent wrong passwords get at most 10 password checks (401), the rest 429', async () => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => attempt(USERS.alice.login, `guess-${i}`, `198.51.100.${i}`)),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(90);
    expect((await attempt(USERS.alice.login, USERS.alice.password, '192.0.2.1')).status).toBe(429);
  });

  it('race on one address: concurrent wrong passwords for many logins get at most the address budget of checks', async () => {
    const answers = await Promise.all(
      Array.from({ length: 3 * ADDRESS_BUDGET }, (_, i) => attempt(`user${i}@acme.example`, 'guess', '203.0.113.9')),
    );
    expect(answers.filter((a) => a.status === 401)).toHaveLength(ADDRESS_BUDGET);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(2 * ADDRESS_BUDGET);
  });

  it.each([
    ['form-encoded (%40)', 'alice%40acme.example'],
    ['form-encoded, upper case', 'ALICE%40ACME.EXAMPLE'],
    ['full-width letters (NFKC)', 'ａｌｉｃｅ@acme.example'],
  ])('encoding: a %s login shares the login budget', async (_name, variant) => {
    for (let i = 0; i < 10; i++) expect((await attempt(USERS.alice.login, `guess-${i}`, `198.51.100.${i}`)).status).toBe(401);
    // The right password under another spelling of the same login is refused too.
    expect((await introspect(variant, USERS.alice.password, '192.0.2.50')).status).toBe(429);
  });

  it('encoding: failures under a form-encoded spelling count for the login itself', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await introspect('alice%40acme.example', `guess-${i}`, `198.51.100.${i}`)).status).toBe(401);
    }
    expect((await attempt(USERS.alice.login, USERS.alice.password, '192.0.2.51')).status).toBe(429);
    expect((await attempt('ａｌｉｃｅ@acme.example', USERS.alice.password, '192.0.2.52')).status).toBe(429);
  });

  it('a form-encoded right password still works (and is the same user)', async () => {
    const r = await introspect('maria%40acme.example', USERS.manager.password, '192.0.2.60');
    expect(r.status).toBe(200);
  });

  it('per address: wrong passwords for other logins do not lock out a user who types their own password right', async () => {
    // Spraying: a few guesses each at many logins, all from one address (a NAT, a CI fleet).
    for (let i = 0; i < ADDRESS_BUDGET - 1; i++) {
      expect((await attempt(`user${i % 7}@acme.example`, `guess-${i}`, '203.0.113.5')).status).toBe(401);
    }
    // Far more than the login budget from this address: alice behind it still gets in.
    expect((await attempt(USERS.alice.login, USERS.alice.password, '203.0.113.5')).status).toBe(200);
    // A success costs the address nothing: one more failure reaches the budget...
    expect((await attempt('user99@acme.example', 'guess', '203.0.113.5')).status).toBe(401);
    // ...and then the address is slowed down for every login, with Retry-After.
    const blocked = await attempt(USERS.bob.login, USERS.bob.password, '203.0.113.5');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBe(300);
    // Other addresses are unaffected; on the token endpoints the answer is the same.
    expect((await attempt(USERS.bob.login, USERS.bob.password, '203.0.113.6')).status).toBe(200);
    expect((await g.request('POST', '/auth/oauth/authorize', { as: USERS.alice, headers: from('203.0.113.5') })).status).toBe(429);
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
