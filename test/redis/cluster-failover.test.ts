import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailoverLoad } from '../support/failover-load.js';
import { GatewayProcess, eventually, within } from '../support/gateway-process.js';
import { USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { ClusterSet, ask } from '../support/redis-topologies.js';
import { lacks } from '../support/requires.js';

/** Hard bound on the load: it stops earlier once the failover has been observed. */
const LOAD_MAX_MS = 40_000;
/** Bearer answers 200 each gateway must give after the kill (served from state, one request at a time: far more in practice). */
const MIN_SERVED_AFTER_KILL = 20;
/** The spec's bound: a change made through A is enforced by B within 1 s. */
const BOUND_MS = 1000;
const A = 'A (minReplicasAcked 1)';
const B = 'B (minReplicasAcked 0)';

/**
 * Redis Cluster: 3 primaries with a replica each (`redis-cli --cluster create`), two gateways.
 * Changes travel on the broadcast channel (src/store/redis-cluster-subscriber.ts); the primary
 * serving the `acme` portfolio's slot is killed under load and its replica takes over. As in the
 * Sentinel test, A and B differ only in store.minReplicasAcked, so one failover measures both.
 */
describe.skipIf(lacks('redis-server') || lacks('redis-cli'))('Redis Cluster: two gateways, a primary killed', () => {
  const cluster = new ClusterSet(3, 1);
  const upstream = new RecordingUpstream();
  const gateways: GatewayProcess[] = [];
  let a: GatewayProcess;
  let b: GatewayProcess;
  const store = (minReplicasAcked: number) => ({ type: 'redis', cluster: cluster.seeds, minReplicasAcked });

  beforeAll(async () => {
    await Promise.all([cluster.start(), upstream.start()]);
    [a, b] = await Promise.all([
      GatewayProcess.start('a', { upstream: { url: upstream.url }, store: store(1) }),
      GatewayProcess.start('b', { upstream: { url: upstream.url }, store: store(0) }),
    ]);
    gateways.push(a, b);
    await a.enable();
  });

  afterAll(async () => {
    await Promise.allSettled(gateways.map((g) => g.stop()));
    await Promise.allSettled([cluster.stop(), upstream.stop()]);
  });

  it('a revocation through A is refused through B within 1 s; a renewal too', async () => {
    const t = await a.issue(USERS.alice);
    await eventually('B accepts the token', async () => (await b.useToken(t.access_token)).status === 200);
    await a.revoke(t.token_id);
    expect(await within(BOUND_MS, async () => (await b.useToken(t.access_token)).status === 401)).toBe(true);
    expect((await b.useToken(t.access_token)).json().code).toBe('token_revoked');

    const first = await b.issue(USERS.bob);
    await eventually('A accepts the token', async () => (await a.useToken(first.access_token)).status === 200);
    await b.issue(USERS.bob); // renewal on B revokes the first token
    expect(await within(BOUND_MS, async () => (await a.useToken(first.access_token)).status === 401)).toBe(true);
    for (const g of [a, b]) expect((await g.admin_('/readyz')).status).toBe(200);
  });

  it('10 failed logins spread over two instances lock the login on both, even with the right password', async () => {
    // The budgets live in the store, one slot per budget (redis-keys.ts loginAttempts).
    const wrong = { ...USERS.globexUser, password: 'not the password' };
    for (let i = 0; i < 10; i++) {
      const r = await (i % 2 === 0 ? a : b).request('GET', '/auth/tokens', { as: wrong });
      expect(r.status).toBe(401);
    }
    for (const g of [a, b]) {
      const r = await g.request('GET', '/auth/tokens', { as: USERS.globexUser });
      expect(r.status).toBe(429);
      expect(r.json().code).toBe('rate_limited');
    }
  });

  it('the primary of the portfolio\'s slot killed under load: its replica takes over, no acknowledged revocation lost with minReplicasAcked 1', { timeout: 120_000 }, async () => {
    const steady = await a.issue(USERS.manager);
    await eventually('B accepts the steady token', async () => (await b.useToken(steady.access_token)).status === 200);
    const load = new FailoverLoad(steady.access_token, [a, b], [
      { name: A, gateway: a, user: USERS.alice },
      { name: B, gateway: b, user: USERS.bob },
    ]);
    load.start(LOAD_MAX_MS);
    try {
      await eventually('revocations acknowledged on both before the kill', async () => load.ackedBy(A).length >= 2 && load.ackedBy(B).length >= 2);
      const old = await cluster.primaryOf('hlgw:{acme}:portfolio');
      await old.kill();
      const killedAt = Date.now();
      await eventually('a replica serves the slot', async () => (await cluster.primaryOf('hlgw:{acme}:portfolio')) !== old);
      const promotedAt = Date.now();
      await eventually('B acknowledges a revocation after the failover', async () => load.ackedBy(B, promotedAt).length >= 2);

      // The promoted replica has no replica of its own: A's writes there answer 503
      // store_not_replicated. The old node restarts and rejoins as its replica (nodes.conf).
      await old.start();
      await eventually('the old node in sync as a replica', () => ask(old.port, async (r) => /master_link_status:up/.test(await r.info('replication'))));
      const rejoinedAt = Date.now();
      await eventually('A acknowledges revocations again', async () => load.ackedBy(A, rejoinedAt).length >= 2);
      await load.stop();

      // The new topology still carries changes from A to B within the bound. The manager's token:
      // a renewal for a stream's user would revoke its tokens and hide a lost revocation.
      const t = await a.issue(USERS.manager);
      await a.revoke(t.token_id);
      expect(await within(BOUND_MS, async () => (await b.useToken(t.access_token)).status === 401)).toBe(true);

      const c = await GatewayProcess.start('c', { upstream: { url: upstream.url }, store: store(0) });
      gateways.push(c);
      const counts = await load.lost([a, b, c]);
      console.log(
        `cluster failover (replica promoted ${((promotedAt - killedAt) / 1000).toFixed(1)}s after the kill): ` +
        Object.entries(counts).map(([k, v]) => `${k}: ${v.acked} revocations acknowledged, ${v.lost} lost`).join('; ') +
        `; Bearer: ${load.bearerServed} served, ${load.bearer5xx} answered 5xx; ${load.unanswered} requests without an answer; refused writes: ${JSON.stringify(Object.fromEntries(load.refused))}`,
      );
      expect(counts[A]!.acked).toBeGreaterThan(0);
      expect(counts[A]!.lost).toBe(0);
      // Every request got an answer, and each gateway kept serving Bearer through the failover.
      expect(load.unanswered).toBe(0);
      expect(load.bearer5xx).toBe(0);
      for (const g of [a, b]) expect(load.servedBy(g.name, killedAt)).toBeGreaterThanOrEqual(MIN_SERVED_AFTER_KILL);
    } finally {
      await load.stop();
    }
  });
});
