import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { LifecycleGateway, PASS_PHRASE, startLifecycleGateway, USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

describe.each(STORE_FACTORIES)('policy and validity bounds ($name store)', (factory) => {
  const upstream = new RecordingUpstream();
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let g: LifecycleGateway;

  beforeAll(async () => {
    await upstream.start();
    fresh = await freshStore(factory);
    g = await startLifecycleGateway({ upstreamUrl: upstream.url, store: fresh.store, clock: new FakeClock() });
    await g.enable(USERS.manager, 1_000_000);
  });
  afterAll(async () => {
    await g.close();
    await fresh.close();
    await upstream.stop();
  });

  it.each([
    [0, 400], [1, 200], [1_000_000, 200], [1_000_001, 400], [1.5, 400], [-1, 400], ['60', 400], [null, 400], [true, 400],
  ])('durationMinutes %j → %i', async (durationMinutes, status) => {
    const r = await g.setPolicy(USERS.manager, { durationMinutes });
    expect(r.status).toBe(status);
    if (status === 400) {
      expect(r.json()).toMatchObject({ code: 'validation_failed', error: 'invalid_request' });
      expect(r.json<{ error_description: string }>().error_description).toContain('durationMinutes');
    } else {
      expect(r.json()).toMatchObject({ durationMinutes });
    }
  });

  describe('validity', () => {
    beforeAll(async () => {
      expect((await g.setPolicy(USERS.manager, { durationMinutes: 1_000_000 })).status).toBe(200);
    });
    it.each([
      ['query', '0', 400], ['query', '1', 200], ['query', '1000000', 200], ['query', '1000001', 400],
      ['query', '1.5', 400], ['query', '1e3', 400], ['query', '-5', 400], ['query', 'abc', 400], ['query', '', 400],
      ['json', 0, 400], ['json', 1, 200], ['json', 1_000_000, 200], ['json', 1_000_001, 400], ['json', 2.5, 400], ['json', '10', 200],
      ['form', '0', 400], ['form', '1', 200], ['form', '1000000', 200], ['form', '1000001', 400], ['form', '0.5', 400],
    ] as const)('%s validity=%j → %i', async (where, validity, status) => {
      const r =
        where === 'query' ? await g.request('POST', `/auth/oauth/authorize?validity=${validity}`, { as: USERS.alice })
        : where === 'json' ? await g.request('POST', '/auth/oauth/authorize', { as: USERS.alice, json: { validity } })
        : await g.request('POST', '/auth/oauth/authorize', { as: USERS.alice, form: { validity: String(validity) } });
      expect(r.status, r.text).toBe(status);
      if (status === 200) expect(r.json().expires_in).toBe(Number(validity) * 60);
      else expect(r.json<{ error_description: string }>().error_description).toContain('validity');
    });
  });

  it.each([
    ['9 ASCII characters', 'x'.repeat(9), 400],
    ['10 ASCII characters', 'x'.repeat(10), 200],
    ['255 ASCII characters', 'x'.repeat(255), 200],
    ['256 ASCII characters', 'x'.repeat(256), 400],
    ['9 non-ASCII characters (18 bytes)', 'é'.repeat(9), 400],
    ['10 non-ASCII characters', 'é'.repeat(10), 200],
    ['255 astral characters (1020 bytes)', '🔑'.repeat(255), 200],
    ['256 astral characters', '🔑'.repeat(256), 400],
    ['a number', 1234567890, 400],
  ])('pass phrase of %s → %i', async (_name, passphrase, status) => {
    const r = await g.setPolicy(USERS.manager, { passphrase });
    expect(r.status).toBe(status);
    if (typeof passphrase === 'string') expect(r.text).not.toContain(passphrase);
    if (status === 400) expect(r.json<{ error_description: string }>().error_description).toContain('passphrase');
    else {
      // The new pass phrase works end to end.
      const t = await g.issue(USERS.alice);
      expect((await g.useToken(t.access_token)).status).toBe(200);
    }
  });

  it.each([
    [{ enabled: 'yes' }, 'enabled'],
    [{ colour: 'blue' }, 'colour'],
    [{}, 'body'],
    [{ enabled: true, passphrase: 'short', durationMinutes: 0 }, 'passphrase'],
  ])('PUT %j → 400 naming %s', async (body, field) => {
    const r = await g.setPolicy(USERS.manager, body);
    expect(r.status).toBe(400);
    expect(r.json<{ error_description: string }>().error_description).toContain(field);
  });

  it('enabling a portfolio that never had a pass phrase is refused', async () => {
    const r = await g.setPolicy(USERS.globexManager, { enabled: true });
    expect(r.status).toBe(400);
    expect(r.json<{ error_description: string }>().error_description).toContain('passphrase');
    expect((await g.setPolicy(USERS.globexManager, { enabled: true, passphrase: PASS_PHRASE })).status).toBe(200);
  });
});
