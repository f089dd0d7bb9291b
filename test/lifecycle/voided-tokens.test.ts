import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { LifecycleGateway, startLifecycleGateway, USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

interface Listed { token_id: string; status: string; revoked_at: string | null; revoked_reason: string | null }

/** A voided token lists when it was voided and why, never `revoked_at: null`. */
describe.each(STORE_FACTORIES)('voided tokens list with revoked_at and a reason ($name store)', (factory) => {
  const upstream = new RecordingUpstream();
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let clock: FakeClock;
  let g: LifecycleGateway;
  const listed = async (id: string): Promise<Listed> =>
    (await g.request('GET', '/auth/tokens', { as: USERS.manager })).json<{ tokens: Listed[] }>().tokens.find((t) => t.token_id === id)!;

  beforeAll(() => upstream.start());
  afterAll(() => upstream.stop());
  beforeEach(async () => {
    fresh = await freshStore(factory);
    clock = new FakeClock();
    g = await startLifecycleGateway({ upstreamUrl: upstream.url, store: fresh.store, clock });
    await g.enable(USERS.manager);
  });
  afterEach(async () => {
    await g.close();
    await fresh.close();
  });

  it('an active token has neither', async () => {
    const a = await g.issue(USERS.alice);
    expect(await listed(a.token_id)).toMatchObject({ status: 'active', revoked_at: null, revoked_reason: null });
  });

  it('renewal: renewed, at the time of the new token', async () => {
    const a = await g.issue(USERS.alice);
    clock.advance(60_000);
    await g.issue(USERS.alice);
    expect(await listed(a.token_id)).toEqual(expect.objectContaining({ status: 'revoked', revoked_at: new Date(clock.now()).toISOString(), revoked_reason: 'renewed' }));
  });

  it('DELETE: revoked, at the time of the call', async () => {
    const a = await g.issue(USERS.alice);
    clock.advance(60_000);
    expect((await g.request('DELETE', `/auth/tokens/${a.token_id}`, { as: USERS.manager })).status).toBe(204);
    expect(await listed(a.token_id)).toMatchObject({ status: 'revoked', revoked_at: new Date(clock.now()).toISOString(), revoked_reason: 'revoked' });
  });

  it('switching the portfolio off and on: reset, at the time it was switched off', async () => {
    const a = await g.issue(USERS.alice);
    clock.advance(60_000);
    const offAt = new Date(clock.now()).toISOString();
    await g.setPolicy(USERS.manager, { enabled: false });
    clock.advance(60_000);
    await g.setPolicy(USERS.manager, { enabled: true });
    expect(await listed(a.token_id)).toMatchObject({ status: 'revoked', revoked_at: offAt, revoked_reason: 'reset' });
  });

  it('a new pass phrase: passphrase_changed, at the time it was set', async () => {
    const a = await g.issue(USERS.alice);
    clock.advance(60_000);
    await g.setPolicy(USERS.manager, { passphrase: 'a completely new pass phrase' });
    expect(await listed(a.token_id)).toMatchObject({ status: 'revoked', revoked_at: new Date(clock.now()).toISOString(), revoked_reason: 'passphrase_changed' });
  });
});
