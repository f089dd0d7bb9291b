import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MasterKey } from '../../src/secrets/master-key.js';
import type { RevokeReason, Store } from '../../src/store/types.js';
import { FakeClock } from '../support/fake-clock.js';
import { ManualTimers } from '../support/manual-timers.js';
import { LifecycleGateway, startLifecycleGateway, USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { STORE_FACTORIES, type StoreLocation } from '../support/stores.js';
import { newWebhookSecret, WebhookReceiver } from '../support/webhook-receiver.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * Webhooks through a real gateway (HTTP calls make the changes) on each store, to a real receiver
 * that checks every signature with the reference `standardwebhooks` package. The delivery rounds'
 * own timers are set far apart (pollSeconds): each test runs a round itself (`gw.webhooks.deliverDue()`,
 * what the timer calls), and moves the injected clock where time must pass.
 */
describe.each(STORE_FACTORIES)('webhooks ($name store)', (factory) => {
  const upstream = new RecordingUpstream();
  let receiver: WebhookReceiver;
  let location: StoreLocation;
  let clock: FakeClock;
  const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');
  const open: { store: Store; g: LifecycleGateway }[] = [];

  async function start(notifications: Record<string, unknown> = {}, timers?: ManualTimers): Promise<LifecycleGateway> {
    const store = await location.open();
    const g = await startLifecycleGateway({
      upstreamUrl: upstream.url, store, clock, masterKey, timers,
      // The secret through ${ENV} interpolation, as an operator gives it.
      env: { HLGW_WEBHOOK_SECRET: receiver.secret },
      config: { notifications: { webhooks: [{ url: receiver.url, secret: '${HLGW_WEBHOOK_SECRET}', events: '*' }], pollSeconds: 3600, expiringScanSeconds: 86_400, retryMaxDelaySeconds: 60, ...notifications } },
    });
    open.push({ store, g });
    return g;
  }
  async function stop(g: LifecycleGateway): Promise<void> {
    const i = open.findIndex((o) => o.g === g);
    const [{ store }] = open.splice(i, 1) as [{ store: Store; g: LifecycleGateway }];
    await g.close();
    await store.close();
  }
  const deliver = (g: LifecycleGateway) => g.t.gw.webhooks!.deliverDue();

  beforeAll(async () => {
    await upstream.start();
  });
  afterAll(async () => {
    await upstream.stop();
  });
  beforeEach(async () => {
    clock = new FakeClock();
    receiver = await new WebhookReceiver(newWebhookSecret()).start();
    location = await factory.prepare();
  });
  afterEach(async () => {
    for (const o of [...open]) await stop(o.g);
    await receiver.stop();
    await location.dispose();
  });

  it('each event type arrives signed, with public fields only: created, revoked (renewed and by DELETE), leaked, policy.changed', async () => {
    const g = await start();
    await g.enable(USERS.manager);
    const first = await g.issue(USERS.alice);
    const second = await g.issue(USERS.alice); // renewal: the first one revoked (renewed)
    expect((await g.request('DELETE', `/auth/tokens/${second.token_id}`, { as: USERS.alice })).status).toBe(204);
    const bob = await g.issue(USERS.bob);
    // A leak report revokes through the same service (reason `leaked`).
    expect(await g.t.gw.tokens.revoke(bob.token_id, 'leaked' as RevokeReason)).toBe(true);
    expect(await deliver(g)).toBe(8);

    expect(receiver.rejected).toBe(0);
    const policy = receiver.ofType('policy.changed');
    expect(policy.map((e) => e.data)).toEqual([{ company_id: 'acme', enabled: true, duration_minutes: 60, passphrase_changed: true, generation: 1, changed: ['passphrase', 'enabled', 'durationMinutes'] }]);
    expect(receiver.ofType('token.created').map((e) => e.data.token_id).sort()).toEqual([first.token_id, second.token_id, bob.token_id].sort());
    expect(receiver.ofType('token.created').find((e) => e.data.token_id === first.token_id)!.data).toEqual({
      token_id: first.token_id, user_id: 'u-2', login: USERS.alice.login, company_id: 'acme', expires_at: first.expires_at,
    });
    const revoked = receiver.ofType('token.revoked').map((e) => [e.data.token_id, e.data.reason]);
    expect(revoked.sort()).toEqual([[first.token_id, 'renewed'], [second.token_id, 'revoked'], [bob.token_id, 'leaked']].sort());
    expect(receiver.ofType('token.leaked').map((e) => [e.data.token_id, e.data.reason, e.data.login])).toEqual([[bob.token_id, 'leaked', USERS.bob.login]]);
    expect(new Set(receiver.events.map((e) => e.id)).size).toBe(8);
    for (const e of receiver.events) {
      expect(e.timestamp).toBe(new Date(clock.now()).toISOString());
      for (const secret of [first.access_token, second.access_token, bob.access_token, receiver.secret, 'correct horse battery staple']) expect(e.body).not.toContain(secret);
    }
    expect(await deliver(g)).toBe(0); // settled: never sent again
    expect(receiver.events).toHaveLength(8);
  });

  it('a receiver down for a while gets every event once it is up (retries with back-off); past the horizon an event is dropped and counted', async () => {
    const g = await start({ retryHorizonMinutes: 30 });
    receiver.down = true;
    await g.enable(USERS.manager);
    const t = await g.issue(USERS.alice);
    expect(await deliver(g)).toBe(0);
    const tries = receiver.attempts;
    expect(tries).toBe(2);
    expect(await deliver(g)).toBe(0); // not due again yet: back-off
    expect(receiver.attempts).toBe(tries);
    for (let i = 0; i < 3; i++) {
      clock.advance(MINUTE); // past the capped back-off (retryMaxDelaySeconds: 60)
      await deliver(g);
    }
    expect(receiver.attempts).toBe(tries + 6);
    receiver.down = false;
    clock.advance(MINUTE);
    expect(await deliver(g)).toBe(2);
    expect(receiver.events.map((e) => e.type).sort()).toEqual(['policy.changed', 'token.created']);
    expect(receiver.ofType('token.created')[0]!.data.token_id).toBe(t.token_id);

    // Down past the horizon: the event is given up.
    receiver.down = true;
    expect((await g.request('DELETE', `/auth/tokens/${t.token_id}`, { as: USERS.alice })).status).toBe(204);
    let settled = 0;
    for (let i = 0; i <= 30; i++) { // retried every minute at most, the last one at the horizon
      settled += await deliver(g);
      clock.advance(MINUTE);
    }
    expect(settled).toBe(1);
    const metrics = await g.t.gw.metrics.registry.metrics();
    expect(metrics).toContain('hlgw_webhook_deliveries_total{event="token.revoked",result="dropped"} 1');
    expect(metrics).toContain('hlgw_webhook_deliveries_total{event="token.created",result="delivered"} 1');
    expect(metrics).toContain('hlgw_webhook_outbox_depth 0');
    receiver.down = false;
    clock.advance(DAY);
    expect(await deliver(g)).toBe(0);
    expect(receiver.ofType('token.revoked')).toEqual([]);
  });

  it('with two receivers, one down: the healthy one gets each event once, the other all of them once it is up', async () => {
    const other = await new WebhookReceiver(newWebhookSecret()).start();
    try {
      other.down = true;
      const g = await start({ webhooks: [
        { url: receiver.url, secret: receiver.secret, events: '*' },
        { url: other.url, secret: other.secret, events: ['token.revoked'] },
      ] });
      await g.enable(USERS.manager);
      const t = await g.issue(USERS.alice);
      expect((await g.request('DELETE', `/auth/tokens/${t.token_id}`, { as: USERS.alice })).status).toBe(204);
      expect(await deliver(g)).toBe(2); // policy.changed, token.created: only the healthy one wants them
      for (let i = 0; i < 3; i++) {
        clock.advance(MINUTE);
        expect(await deliver(g)).toBe(0); // token.revoked: the second receiver still refuses
      }
      other.down = false;
      clock.advance(MINUTE);
      expect(await deliver(g)).toBe(1);
      expect(receiver.events.map((e) => e.type).sort()).toEqual(['policy.changed', 'token.created', 'token.revoked']);
      expect(other.events.map((e) => [e.type, e.data.token_id])).toEqual([['token.revoked', t.token_id]]);
      expect(other.events[0]!.id).toBe(receiver.ofType('token.revoked')[0]!.id); // one event, one id, each receiver its own secret
      expect(other.rejected + receiver.rejected).toBe(0);
    } finally {
      await other.stop();
    }
  });

  it('the part\'s own timers run the rounds and the scan from start to close; close waits for the round under way', async () => {
    const timers = new ManualTimers();
    const POLL_MS = 1_234_000;
    const SCAN_MS = 4_321_000;
    const g = await start({ pollSeconds: POLL_MS / 1000, expiringScanSeconds: SCAN_MS / 1000 }, timers);
    await g.enable(USERS.manager, 2 * 24 * 60);
    clock.advance(DAY + MINUTE); // the policy's event is due; no token yet
    await g.issue(USERS.alice);
    clock.advance(DAY + MINUTE); // alice's token: under a day left, so within both leads (a week, a day)
    expect(timers.fire(SCAN_MS)).toBe(1);
    expect(timers.fire(POLL_MS)).toBe(1); // a round, after the scan
    await stop(g); // stops the timers, then waits for the work under way
    expect(receiver.events.map((e) => e.type).sort()).toEqual(['policy.changed', 'token.created', 'token.expiring', 'token.expiring']);
    expect(receiver.ofType('token.expiring').map((e) => Number(e.data.lead_minutes)).sort((a, b) => a - b)).toEqual([1_440, 10_080]);
    expect(timers.fire(POLL_MS) + timers.fire(SCAN_MS)).toBe(0);
  });

  it('a gateway stopped before delivering loses nothing: the next one delivers what the first queued', async () => {
    const a = await start();
    await a.enable(USERS.manager);
    const t1 = await a.issue(USERS.alice);
    const t2 = await a.issue(USERS.bob);
    await stop(a); // nothing delivered (the round's timer never fired)
    expect(receiver.attempts).toBe(0);
    const b = await start();
    expect(await deliver(b)).toBe(3);
    expect(receiver.ofType('token.created').map((e) => e.data.token_id).sort()).toEqual([t1.token_id, t2.token_id].sort());
    expect(receiver.ofType('policy.changed')).toHaveLength(1);
  });

  it('token.expiring fires once per token per lead time, across scans and a restart', async () => {
    let g = await start();
    await g.enable(USERS.manager, 8 * 24 * 60); // tokens live 8 days
    const t = await g.issue(USERS.alice);
    const scan = () => g.t.gw.webhooks!.scanExpiring();
    expect(await scan()).toBe(0); // 8 days left: no lead reached
    clock.advance(DAY + MINUTE); // under 7 days left
    expect(await scan()).toBe(1);
    expect(await scan()).toBe(0);
    await stop(g);
    g = await start();
    expect(await scan()).toBe(0);
    clock.advance(6 * DAY); // under a day left
    expect(await scan()).toBe(1);
    expect(await scan()).toBe(0);
    await deliver(g);
    const expiring = receiver.ofType('token.expiring');
    expect(expiring.map((e) => e.data.lead_minutes)).toEqual([10_080, 1_440]);
    expect(expiring.every((e) => e.data.token_id === t.token_id && e.data.expires_at === t.expires_at)).toBe(true);
  });

  it.skipIf(factory.name !== 'redis')('two instances on one Redis deliver each event exactly once to a healthy receiver', async () => {
    const a = await start();
    const b = await start();
    await a.enable(USERS.manager);
    await a.enable(USERS.globexManager);
    const users = [USERS.alice, USERS.bob, USERS.manager, USERS.globexUser, USERS.globexManager];
    for (let round = 0; round < 4; round++) {
      for (const u of users) await (round % 2 === 0 ? a : b).issue(u);
    }
    // Both deliver at once, several rounds each.
    await Promise.all([a, b, a, b].map(async (g) => { for (let i = 0; i < 3; i++) await deliver(g); }));
    const ids = receiver.events.map((e) => e.id);
    // 2 policies, 20 tokens created, 15 renewals revoked.
    expect(ids).toHaveLength(2 + 20 + 15);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
