import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MasterKey } from '../../src/secrets/master-key.js';
import type { Store } from '../../src/store/types.js';
import { FakeClock } from '../support/fake-clock.js';
import { LifecycleGateway, startLifecycleGateway, USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { STORE_FACTORIES, type StoreLocation } from '../support/stores.js';

const newMasterKey = () => MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');

describe.each(STORE_FACTORIES)('restarts ($name store)', (factory) => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  let location: StoreLocation;
  let store: Store;
  let g: LifecycleGateway;

  async function start(masterKey: MasterKey): Promise<void> {
    store = await location.open();
    g = await startLifecycleGateway({ upstreamUrl: upstream.url, store, clock, masterKey });
  }
  async function stop(): Promise<void> {
    await g.close();
    await store.close();
  }

  beforeAll(async () => {
    await upstream.start();
    location = await factory.prepare();
  });
  afterAll(async () => {
    await upstream.stop();
    await location.dispose();
  });

  it('nothing acknowledged is lost: tokens still valid, revocations and resets still in force', async () => {
    const masterKey = newMasterKey();
    await start(masterKey);
    await g.enable(USERS.manager);
    await g.enable(USERS.globexManager);
    const alice = await g.issue(USERS.alice);
    const bobOld = await g.issue(USERS.bob);
    const bob = await g.issue(USERS.bob); // renewal: bobOld revoked
    const maria = await g.issue(USERS.manager);
    const gus = await g.issue(USERS.globexUser);
    expect((await g.request('DELETE', `/auth/tokens/${maria.token_id}`, { as: USERS.manager })).status).toBe(204);
    expect((await g.setPolicy(USERS.globexManager, { passphrase: 'globex rotated pass phrase' })).status).toBe(200);
    const auditBefore = (await g.request('GET', '/auth/portfolios/acme/audit', { as: USERS.manager })).json<{ events: unknown[] }>().events;
    await stop();

    await start(masterKey);
    expect((await g.useToken(alice.access_token)).status).toBe(200);
    expect((await g.useToken(bob.access_token)).status).toBe(200);
    for (const dead of [bobOld, maria, gus]) {
      const r = await g.useToken(dead.access_token);
      expect(r.status).toBe(401);
      expect(r.json()).toMatchObject({ code: 'token_revoked' });
    }
    const policy = (await g.request('GET', '/auth/portfolios/acme/token-policy', { as: USERS.manager })).json();
    expect(policy).toMatchObject({ enabled: true, passphraseSet: true, durationMinutes: 60 });
    const list = (await g.request('GET', '/auth/tokens', { as: USERS.manager })).json<{ tokens: { token_id: string; status: string }[] }>();
    expect(Object.fromEntries(list.tokens.map((t) => [t.token_id, t.status]))).toEqual({
      [alice.token_id]: 'active', [bob.token_id]: 'active', [bobOld.token_id]: 'revoked', [maria.token_id]: 'revoked',
    });
    const auditAfter = (await g.request('GET', '/auth/portfolios/acme/audit', { as: USERS.manager })).json<{ events: unknown[] }>().events;
    expect(auditAfter).toEqual(auditBefore);

    // Renewal after the restart still revokes the token issued before it.
    const alice2 = await g.issue(USERS.alice);
    expect((await g.useToken(alice.access_token)).status).toBe(401);
    expect((await g.useToken(alice2.access_token)).status).toBe(200);
    await stop();
  });

  it('a lost master key: the log says tokens must be re-issued; a new pass phrase brings the portfolio back', async () => {
    const original = newMasterKey();
    await start(original);
    await g.enable(USERS.manager);
    const before = await g.issue(USERS.alice);
    await stop();

    await start(newMasterKey());
    const logs = g.t.logs.join('\n');
    expect(logs).toContain('master key is not the one it was sealed with');
    expect(logs).toContain('tokens must then be re-issued');
    expect((await g.useToken(before.access_token)).status).toBe(401);
    const refused = await g.request('POST', '/auth/oauth/authorize', { as: USERS.alice });
    expect(refused.status).toBe(403);
    expect(refused.json<{ error_description: string }>().error_description).toContain('re-issue');

    expect((await g.setPolicy(USERS.manager, { passphrase: 'a fresh pass phrase after key loss' })).status).toBe(200);
    const after = await g.issue(USERS.alice);
    expect((await g.useToken(after.access_token)).status).toBe(200);
    expect((await g.useToken(before.access_token)).status).toBe(401);
    await stop();
  });
});
