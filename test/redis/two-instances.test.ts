import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { USERS } from '../support/lifecycle.js';
import { RedisServer } from '../support/redis-server.js';
import { GatewayProcess, eventually, within } from '../support/gateway-process.js';
import { basic, call } from '../support/http-call.js';
import { lacks } from '../support/requires.js';

/** The spec's bound: a change made through A is enforced by B within 1 s. */
const BOUND_MS = 1000;

describe.skipIf(lacks('redis-server'))('two gateway processes sharing one Redis', () => {
  const redis = new RedisServer();
  const upstream = new RecordingUpstream();
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    await Promise.all([redis.start(), upstream.start()]);
    const config = { upstream: { url: upstream.url }, store: { type: 'redis', url: redis.url } };
    [a, b] = await Promise.all([GatewayProcess.start('a', config), GatewayProcess.start('b', config)]);
    await a.enable();
  });

  afterAll(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await Promise.allSettled([redis.stop(), upstream.stop()]);
  });

  const accepted = (g: GatewayProcess, token: string) => async () => (await g.useToken(token)).status === 200;
  const rejected = (g: GatewayProcess, token: string) => async () => (await g.useToken(token)).status === 401;

  it('a token issued on A works on B; revoked on A, B rejects it within 1 s', async () => {
    const t = await a.issue(USERS.alice);
    await eventually('B accepts the new token', accepted(b, t.access_token));
    await a.revoke(t.token_id);
    const since = Date.now();
    expect(await within(BOUND_MS, rejected(b, t.access_token), since)).toBe(true);
    expect((await b.useToken(t.access_token)).json().code).toBe('token_revoked');
  });

  it('renewal on A revokes the previous token on B within 1 s', async () => {
    const first = await a.issue(USERS.bob);
    await eventually('B accepts the token', accepted(b, first.access_token));
    const second = await a.issue(USERS.bob);
    const since = Date.now();
    expect(await within(BOUND_MS, rejected(b, first.access_token), since)).toBe(true);
    expect(await within(BOUND_MS, accepted(b, second.access_token), since)).toBe(true);
  });

  it('disable on A: B rejects within 1 s; enable on A: old tokens stay void on B, new ones work', async () => {
    const t = await a.issue(USERS.alice);
    await eventually('B accepts the token', accepted(b, t.access_token));
    await a.setPolicy(USERS.manager, { enabled: false });
    let since = Date.now();
    expect(await within(BOUND_MS, async () => (await b.useToken(t.access_token)).status === 401, since)).toBe(true);

    await a.setPolicy(USERS.manager, { enabled: true });
    since = Date.now();
    const fresh = await a.issue(USERS.alice);
    expect(await within(BOUND_MS, accepted(b, fresh.access_token), since)).toBe(true);
    expect((await b.useToken(t.access_token)).status).toBe(401);
  });

  it('a new pass phrase set on A voids old tokens on B within 1 s; B issues with the new key, A accepts', async () => {
    const t = await b.issue(USERS.alice);
    await eventually('A accepts the token', accepted(a, t.access_token));
    await a.setPolicy(USERS.manager, { passphrase: 'a completely different pass phrase' });
    const since = Date.now();
    expect(await within(BOUND_MS, rejected(b, t.access_token), since)).toBe(true);
    const fresh = await b.issue(USERS.alice);
    expect((await a.useToken(fresh.access_token)).status).toBe(200);
  });

  it('each instance exports its lag, store state and propagation delays; /readyz is ready', async () => {
    for (const g of [a, b]) {
      expect((await g.admin_('/readyz')).status).toBe(200);
      const m = (await g.admin_('/metrics')).text;
      expect(m).toMatch(/^hlgw_state_lag_seconds \d/m);
      expect(m).toMatch(/^hlgw_store_up 1$/m);
    }
    // B received A's revocations through Redis and measured them.
    expect((await b.admin_('/metrics')).text).toMatch(/^hlgw_state_propagation_seconds_count\{kind="revoked"\} [1-9]/m);
  });

  it('failed-login budgets are the store\'s: 10 wrong passwords on A, the right one on B is answered 429', async () => {
    const u = USERS.globexUser; // a login no other case here uses: it stays locked for the window
    for (let i = 0; i < 10; i++) {
      expect((await call(a.url, '/auth/tokens', { headers: { authorization: basic(u.login, `guess-${i}`) } })).status).toBe(401);
    }
    expect((await call(b.url, '/auth/tokens', { headers: { authorization: basic(u.login, u.password) } })).status).toBe(429);
  });
});
