import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { startLifecycleGateway, USERS, type LifecycleGateway } from '../support/lifecycle.js';
import { PortalClient } from '../support/portal-client.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { lacks } from '../support/requires.js';
import { STORE_FACTORIES } from '../support/stores.js';
import type { Store } from '../../src/store/types.js';
import { MasterKey } from '../../src/secrets/master-key.js';
import { eventually } from '../support/gateway-process.js';

/** Two gateways on one Redis (one key prefix): a portal session is the store's, not an instance's. */
describe.skipIf(lacks('redis-server'))('portal sessions across two instances on one Redis', () => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  const stores: Store[] = [];
  let a: LifecycleGateway;
  let b: LifecycleGateway;

  beforeAll(async () => {
    await upstream.start();
    const location = await STORE_FACTORIES.find((f) => f.name === 'redis')!.prepare();
    stores.push(await location.open(), await location.open());
    const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test'); // one deployment, one key
    a = await startLifecycleGateway({ upstreamUrl: upstream.url, store: stores[0]!, clock, masterKey });
    b = await startLifecycleGateway({ upstreamUrl: upstream.url, store: stores[1]!, clock, masterKey });
    await a.enable(USERS.manager);
  });
  afterAll(async () => {
    await Promise.allSettled([a?.close(), b?.close()]);
    await Promise.allSettled(stores.map((s) => s.close()));
    await upstream.stop();
  });

  it('signed in through A, the same cookie works through B; signed out on B, refused on A', async () => {
    const viaA = new PortalClient(a.url);
    const viaB = new PortalClient(b.url);
    const s = await viaA.signIn(USERS.alice.login, USERS.alice.password);
    expect((await viaB.request('GET', 'session', { session: s })).json()).toMatchObject({ login: USERS.alice.login });
    // A state-changing call on B with the CSRF token A handed out (B learns the policy by pub/sub).
    await eventually('B knows the portfolio is enabled', async () => (await viaB.request('POST', 'oauth/authorize', { session: s })).status === 200);

    expect((await viaB.request('DELETE', 'session', { session: s })).status).toBe(200);
    const onA = await viaA.request('GET', 'session', { session: s });
    expect(onA.status).toBe(401);
    expect(onA.json()).toMatchObject({ code: 'session_required' });
  });

  it('the idle clock is shared: use on B keeps the session alive on A', async () => {
    const viaA = new PortalClient(a.url);
    const viaB = new PortalClient(b.url);
    const s = await viaA.signIn(USERS.bob.login, USERS.bob.password);
    clock.advance(20 * 60_000);
    expect((await viaB.request('GET', 'tokens', { session: s })).status).toBe(200);
    clock.advance(20 * 60_000); // 40 min after sign-in, 20 after the last use
    expect((await viaA.request('GET', 'tokens', { session: s })).status).toBe(200);
  });
});
