import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { MasterKey } from '../../src/secrets/master-key.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { FakeClock } from '../support/fake-clock.js';
import { LifecycleGateway, startLifecycleGateway, USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { sharedRedisUrl } from '../support/redis-server.js';
import { lacks } from '../support/requires.js';

/**
 * store.minReplicasAcked on a Redis that has no replica at all: every write runs on the primary,
 * no replica can confirm it, so each lifecycle write answers 503 store_not_replicated, and yet
 * the change is there (it "may still land"): applied on this instance and the others, and the
 * audit trail records it as `replication: unconfirmed`.
 */
describe.skipIf(lacks('redis-server'))('store.minReplicasAcked: too few replicas confirm a write', () => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');
  const stores: RedisStore[] = [];
  let plain: LifecycleGateway;
  let strict: LifecycleGateway;
  let plainStore: RedisStore;

  beforeAll(async () => {
    await upstream.start();
    const url = sharedRedisUrl();
    const prefix = `t${randomBytes(6).toString('hex')}`;
    const log = createLogger('silent');
    plainStore = await RedisStore.open({ url, prefix, log });
    const strictStore = await RedisStore.open({ url, prefix, log, acks: { min: 1, timeoutMs: 50 } });
    stores.push(plainStore, strictStore);
    plain = await startLifecycleGateway({ upstreamUrl: upstream.url, store: plainStore, clock, masterKey });
    strict = await startLifecycleGateway({ upstreamUrl: upstream.url, store: strictStore, clock, masterKey });
    await plain.enable(USERS.manager);
  });

  afterAll(async () => {
    await Promise.allSettled([plain?.close(), strict?.close()]);
    await Promise.allSettled(stores.map((s) => s.close()));
    await upstream.stop();
  });

  it('a revoke answers 503 store_not_replicated, takes effect anyway, and the audit trail says so', async () => {
    const t = await plain.issue(USERS.alice);
    expect((await strict.useToken(t.access_token)).status).toBe(200);

    const r = await strict.request('DELETE', `/auth/tokens/${t.token_id}`, { as: USERS.manager });
    expect(r.status).toBe(503);
    expect(r.json()).toMatchObject({ code: 'store_not_replicated', error: 'store_not_replicated' });
    expect(r.json().error_description).toMatch(/0 of 1 replica\(s\) confirmed.*may still be applied/);

    // On the primary, announced, and applied here before the error: refused everywhere.
    expect((await strict.useToken(t.access_token)).json().code).toBe('token_revoked');
    expect((await plain.useToken(t.access_token)).json().code).toBe('token_revoked');
    const events = (await plainStore.listAudit('acme', { limit: 10 })).events;
    expect(events.find((e) => e.action === 'token.revoke')?.detail).toEqual({ tokenId: t.token_id, userId: USERS.alice.userId, via: 'delete', replication: 'unconfirmed' });
  });

  it('an issue answers 503 without handing out the token; the audit names who asked', async () => {
    const r = await strict.request('POST', '/auth/oauth/authorize', { as: USERS.bob });
    expect(r.status).toBe(503);
    expect(r.json().code).toBe('store_not_replicated');
    expect(r.text).not.toMatch(/access_token/);
    const events = (await plainStore.listAudit('acme', { limit: 10 })).events;
    expect(events.find((e) => e.action === 'token.issue' && e.detail.userId === USERS.bob.userId)?.detail).toEqual({ userId: USERS.bob.userId, replication: 'unconfirmed' });
  });

  it('a policy update answers 503 and is in force all the same', async () => {
    const r = await strict.setPolicy(USERS.manager, { durationMinutes: 30 });
    expect(r.status).toBe(503);
    expect(r.json().code).toBe('store_not_replicated');
    expect((await plainStore.getPortfolio('acme'))?.durationMinutes).toBe(30);
    const events = (await plainStore.listAudit('acme', { limit: 10 })).events;
    expect(events[0]).toMatchObject({ action: 'policy.update', detail: { requested: ['durationMinutes'], replication: 'unconfirmed' } });
  });
});
