import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { USERS } from '../support/lifecycle.js';
import { RedisServer } from '../support/redis-server.js';
import { GatewayProcess, eventually, within } from '../support/gateway-process.js';
import { lacks } from '../support/requires.js';

/** Small on purpose: the test waits through it. */
const STALE_MAX_SECONDS = 2;

interface Sample { at: number; basic: number; bearer: number }

/**
 * Kill Redis (SIGKILL) under load, then restart it from its append-only file:
 * Basic keeps flowing, Bearer is served from the last known state until store.staleMaxSeconds
 * and then answered 503, the lifecycle endpoints answer 503 at once, and after the restart every
 * instance resyncs by itself without forgetting a revocation.
 */
describe.skipIf(lacks('redis-server'))('Redis outage and recovery', () => {
  const redis = new RedisServer({ persistent: true });
  const upstream = new RecordingUpstream();
  let a: GatewayProcess;
  let b: GatewayProcess;
  let config: Record<string, unknown>;

  beforeAll(async () => {
    await Promise.all([redis.start(), upstream.start()]);
    config = {
      upstream: { url: upstream.url },
      store: { type: 'redis', url: redis.url, staleMaxSeconds: STALE_MAX_SECONDS, maxLagSeconds: 1, resyncSeconds: 30 },
    };
    [a, b] = await Promise.all([GatewayProcess.start('a', config), GatewayProcess.start('b', config)]);
  });

  afterAll(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await Promise.allSettled([redis.stop(), upstream.stop()]);
  });

  it('serves Basic throughout, Bearer until the stale bound, then recovers with no lost revocation', async () => {
    await a.enable();
    const good = await a.issue(USERS.alice);
    const gone = await a.issue(USERS.bob);
    await a.revoke(gone.token_id);
    await eventually('B accepts the good token', async () => (await b.useToken(good.access_token)).status === 200);
    await eventually('B rejects the revoked token', async () => (await b.useToken(gone.access_token)).status === 401);

    // Load on B: a Basic and a Bearer request at a time, until told to stop.
    const samples: Sample[] = [];
    let loading = true;
    const load = (async () => {
      while (loading) {
        const [basic, bearer] = await Promise.all([b.useBasic(), b.useToken(good.access_token)]);
        samples.push({ at: Date.now(), basic: basic.status, bearer: bearer.status });
      }
    })();

    await redis.kill();
    const killedAt = Date.now();

    // Lifecycle endpoints: 503 store_unavailable at once (no hang).
    const issue = await a.request('POST', '/auth/oauth/authorize', { as: USERS.alice });
    expect(issue.status).toBe(503);
    expect(issue.json().code).toBe('store_unavailable');
    // A revoked token stays revoked while the store is away.
    expect((await a.useToken(gone.access_token)).status).toBe(401);

    // Bearer turns 503 token_store_stale once the stale bound has passed (generous slack for a busy machine).
    await eventually('Bearer answered 503 on B', async () => samples.some((s) => s.bearer === 503), (STALE_MAX_SECONDS + 8) * 1000);
    const stale = await b.useToken(good.access_token);
    expect(stale.status).toBe(503);
    expect(stale.json().code).toBe('token_store_stale');
    expect((await b.admin_('/readyz')).status).toBe(503);
    expect((await a.admin_('/readyz')).json().reason).toBe('store unavailable');
    expect((await b.admin_('/metrics')).text).toMatch(/^hlgw_store_up 0$/m);

    const during = samples.filter((s) => s.at > killedAt);
    // Cached Bearer kept working after the kill, before the bound…
    expect(during.some((s) => s.bearer === 200)).toBe(true);
    // …and Basic never noticed.
    expect(during.every((s) => s.basic === 200)).toBe(true);
    const first503 = during.find((s) => s.bearer === 503)!;
    expect(samples.filter((s) => s.at > first503.at + 200).every((s) => s.bearer === 503)).toBe(true);

    // Redis comes back (same port, from its AOF): both instances reconnect and resync by themselves.
    await redis.start();
    await eventually('B serves Bearer again', async () => (await b.useToken(good.access_token)).status === 200);
    await eventually('A is ready again', async () => (await a.admin_('/readyz')).status === 200);
    loading = false;
    await load;
    expect(samples.every((s) => s.basic === 200)).toBe(true);

    // No revocation forgotten: not by the running instances, nor by a fresh one reading Redis.
    expect((await a.useToken(gone.access_token)).status).toBe(401);
    expect((await b.useToken(gone.access_token)).status).toBe(401);
    const c = await GatewayProcess.start('c', config);
    try {
      expect((await c.useToken(gone.access_token)).status).toBe(401);
      expect((await c.useToken(good.access_token)).status).toBe(200);
      // And the store works again through any instance: a revoke on A reaches C within 1 s.
      await a.revoke(good.token_id);
      const since = Date.now();
      expect(await within(1000, async () => (await c.useToken(good.access_token)).status === 401, since)).toBe(true);
    } finally {
      await c.stop();
    }
  });

  it('a gateway started while Redis is down fails with one clear line, no stack trace', async () => {
    const dead = new RedisServer();
    await dead.start();
    await dead.stop();
    const err = await GatewayProcess.start('d', { ...config, store: { type: 'redis', url: dead.url } }).then(
      () => { throw new Error('expected the start to fail'); },
      (e: Error) => e.message,
    );
    expect(err).toContain(`hlgw: cannot reach Redis at ${dead.url}: `);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('with store.connectWaitSeconds, start-up waits for Redis instead of failing', async () => {
    const late = new RedisServer();
    await late.start();
    await late.kill(); // the port is known, nobody listens yet
    const starting = GatewayProcess.start('e', { ...config, store: { type: 'redis', url: late.url, connectWaitSeconds: 30 } });
    await new Promise((r) => setTimeout(r, 1500));
    await late.start();
    const e = await starting;
    try {
      expect((await e.admin_('/readyz')).status).toBe(200);
    } finally {
      await e.stop();
      await late.stop();
    }
  });
});
