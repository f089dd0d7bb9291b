import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../support/fake-clock.js';
import { LifecycleGateway, startLifecycleGateway, USERS, type CallOptions } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';

interface AuditView { action: string; actor: string; detail: Record<string, unknown> }

/**
 * RFC 7009: holding a token is proof enough to revoke it (kept), but the audit trail names the
 * token's holder, never the login of another portfolio that happened to authenticate the call.
 */
describe('RFC 7009 revocation: the audit trail never shows another company as the actor', () => {
  const up = new RecordingUpstream();
  const store = new SqliteStore(':memory:');
  let g: LifecycleGateway;
  let globexToken: string;

  beforeAll(async () => {
    await up.start();
    g = await startLifecycleGateway({ upstreamUrl: up.url, store, clock: new FakeClock() });
    await g.enable(USERS.manager);
    await g.enable(USERS.globexManager);
    globexToken = (await g.issue(USERS.globexUser)).access_token;
  });
  afterAll(async () => {
    await g.close();
    await store.close();
    await up.stop();
  });

  async function lastRevocation(): Promise<AuditView> {
    const r = await g.request('GET', '/auth/portfolios/acme/audit?limit=1', { as: USERS.manager });
    const [e] = r.json<{ events: AuditView[] }>().events;
    expect(e?.action).toBe('token.revoke');
    return e!;
  }

  it.each<[string, () => CallOptions, string, boolean]>([
    ['a manager of another portfolio (Basic)', () => ({ as: USERS.globexManager }), USERS.bob.login, true],
    ['a user of another portfolio (Bearer)', () => ({ bearer: globexToken }), USERS.bob.login, true],
    ['no credentials: the holder', () => ({}), USERS.bob.login, false],
    ['the token\'s own portfolio manager', () => ({ as: USERS.manager }), USERS.manager.login, false],
    ['its owner', () => ({ as: USERS.bob }), USERS.bob.login, false],
  ])('revoked with credentials of %s: recorded as by the right actor', async (_who, how, actor, foreign) => {
    const t = await g.issue(USERS.bob);
    const r = await g.request('POST', '/auth/oauth/revoke', { ...how(), form: { token: t.access_token } });
    expect(r.status).toBe(200);
    expect((await g.useToken(t.access_token)).status).toBe(401);
    const e = await lastRevocation();
    expect(e.actor).toBe(actor);
    expect(e.detail).toMatchObject({ tokenId: t.token_id, userId: USERS.bob.userId, via: 'rfc7009' });
    expect(e.detail.foreignCredentials).toBe(foreign ? true : undefined);
    expect(JSON.stringify(e)).not.toMatch(/globex|greta|gus/);
  });
});
