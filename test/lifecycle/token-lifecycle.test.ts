import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { LifecycleGateway, PASS_PHRASE, startLifecycleGateway, USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

describe.each(STORE_FACTORIES)('token lifecycle end to end ($name store)', (factory) => {
  const upstream = new RecordingUpstream();
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let clock: FakeClock;
  let g: LifecycleGateway;

  beforeAll(async () => {
    await upstream.start();
  });
  afterAll(async () => {
    await upstream.stop();
  });
  beforeEach(async () => {
    fresh = await freshStore(factory);
    clock = new FakeClock();
    g = await startLifecycleGateway({ upstreamUrl: upstream.url, store: fresh.store, clock });
  });
  afterEach(async () => {
    await g.close();
    await fresh.close();
  });

  it('enable, create, use: the upstream sees the identity, never the token', async () => {
    const before = await g.request('GET', '/auth/portfolios/acme/token-policy', { as: USERS.manager });
    expect(before.status).toBe(200);
    expect(before.json()).toMatchObject({ companyId: 'acme', enabled: false, passphraseSet: false });

    const put = await g.setPolicy(USERS.manager, { enabled: true, passphrase: PASS_PHRASE, durationMinutes: 120 });
    expect(put.status).toBe(200);
    expect(put.json()).toEqual({ companyId: 'acme', enabled: true, passphraseSet: true, durationMinutes: 120, updatedAt: expect.any(String), allowedScopes: null });
    expect(put.text).not.toContain(PASS_PHRASE);

    const r = await g.request('POST', '/auth/oauth/authorize', { as: USERS.alice });
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    const body = r.json<{ access_token: string; token_type: string; expires_in: number; expires_at: string; token_id: string }>();
    expect(body).toEqual({
      access_token: expect.any(String), token_type: 'Bearer', expires_in: 120 * 60,
      expires_at: new Date(clock.now() + 120 * 60_000).toISOString(), token_id: expect.any(String), signed_in_with: 'password',
    });

    const seen = upstream.requests.length;
    const use = await g.useToken(body.access_token);
    expect(use.status).toBe(200);
    expect(upstream.requests.length).toBe(seen + 1);
    const h = upstream.last!.headers;
    expect(h['x-highlight-user-id']).toBe(USERS.alice.userId);
    expect(h['x-highlight-login']).toBe(USERS.alice.login);
    expect(h['x-highlight-company-id']).toBe('acme');
    expect(h['x-highlight-portfolio-id']).toBe('acme'); // no tree: a company is its own portfolio
    expect(h['x-highlight-token-id']).toBe(body.token_id);
    expect(h.authorization).toBeUndefined();
    expect(upstream.last!.rawHeaders.join('\n')).not.toContain(body.access_token);
  });

  it('GET and POST, validity from query, JSON or form, capped by the portfolio duration', async () => {
    await g.enable(USERS.manager, 60);
    const cases: [string, Parameters<LifecycleGateway['request']>[2], string, number][] = [
      ['GET', { as: USERS.alice }, '?validity=5', 5],
      ['POST', { as: USERS.alice, json: { validity: 7 } }, '', 7],
      ['POST', { as: USERS.alice, form: { validity: '9' } }, '', 9],
      ['POST', { as: USERS.alice }, '', 60],
      ['POST', { as: USERS.alice }, '?validity=1000000', 60],
    ];
    for (const [method, o, q, minutes] of cases) {
      const r = await g.request(method, `/auth/oauth/authorize${q}`, o);
      expect(r.status, `${method} ${q} ${JSON.stringify(o)}`).toBe(200);
      expect(r.json().expires_in).toBe(minutes * 60);
    }
  });

  it('renewal revokes the previous token (401 revoked); one active token per user', async () => {
    await g.enable(USERS.manager);
    const first = await g.issue(USERS.alice);
    expect((await g.useToken(first.access_token)).status).toBe(200);
    const second = await g.issue(USERS.alice);
    const old = await g.useToken(first.access_token);
    expect(old.status).toBe(401);
    expect(old.json()).toMatchObject({ code: 'token_revoked' });
    expect(old.headers['www-authenticate']).toContain('error="invalid_token"');
    expect((await g.useToken(second.access_token)).status).toBe(200);

    const list = (await g.request('GET', '/auth/tokens', { as: USERS.alice })).json<{ tokens: { token_id: string; status: string }[] }>();
    expect(list.tokens.filter((t) => t.status === 'active').map((t) => t.token_id)).toEqual([second.token_id]);
    expect(list.tokens.find((t) => t.token_id === first.token_id)?.status).toBe('revoked');
  });

  it('lists: the manager sees every token of the portfolio, a user only their own, never the token', async () => {
    await g.enable(USERS.manager);
    const a = await g.issue(USERS.alice);
    const b = await g.issue(USERS.bob);
    await g.useToken(a.access_token);
    await g.t.gw.usage.flush();

    const asManager = await g.request('GET', '/auth/tokens', { as: USERS.manager });
    expect(asManager.status).toBe(200);
    expect(asManager.headers['cache-control']).toBe('no-store');
    const all = asManager.json<{ tokens: Record<string, unknown>[] }>().tokens;
    expect(all.map((t) => t.token_id).sort()).toEqual([a.token_id, b.token_id].sort());
    const ta = all.find((t) => t.token_id === a.token_id)!;
    expect(ta).toEqual({
      token_id: a.token_id, user_id: USERS.alice.userId, login: USERS.alice.login,
      created_at: new Date(clock.now()).toISOString(), expires_at: a.expires_at,
      last_used_at: new Date(clock.now()).toISOString(), revoked_at: null, revoked_reason: null, status: 'active', signed_in_with: 'password',
      revoke_reason: null, name: 'personal', scopes: ['full'], last_used_ip: '127.0.0.1',
    });
    expect(asManager.text).not.toContain(a.access_token);
    expect(asManager.text).not.toContain(b.access_token);

    const asAlice = await g.request('GET', '/auth/tokens', { as: USERS.alice });
    expect(asAlice.json<{ tokens: { token_id: string }[] }>().tokens.map((t) => t.token_id)).toEqual([a.token_id]);
    const withBearer = await g.request('GET', '/auth/tokens', { bearer: b.access_token });
    expect(withBearer.json<{ tokens: { token_id: string }[] }>().tokens.map((t) => t.token_id)).toEqual([b.token_id]);

    clock.advance(61 * 60_000);
    const later = (await g.request('GET', '/auth/tokens', { as: USERS.manager })).json<{ tokens: { status: string }[] }>();
    expect(later.tokens.map((t) => t.status)).toEqual(['expired', 'expired']);
  });

  it.each([
    ['the owner', 'alice'],
    ['the portfolio manager', 'manager'],
  ] as const)('DELETE by %s: 204, and the very next request is 401', async (_who, key) => {
    await g.enable(USERS.manager);
    const a = await g.issue(USERS.alice);
    expect((await g.useToken(a.access_token)).status).toBe(200);
    const del = await g.request('DELETE', `/auth/tokens/${a.token_id}`, { as: USERS[key] });
    expect(del.status).toBe(204);
    const after = await g.useToken(a.access_token);
    expect(after.status).toBe(401);
    expect(after.json()).toMatchObject({ code: 'token_revoked' });
    // Idempotent.
    expect((await g.request('DELETE', `/auth/tokens/${a.token_id}`, { as: USERS[key] })).status).toBe(204);
  });

  it('a user may revoke their own token with that token', async () => {
    await g.enable(USERS.manager);
    const a = await g.issue(USERS.alice);
    expect((await g.request('DELETE', `/auth/tokens/${a.token_id}`, { bearer: a.access_token })).status).toBe(204);
    expect((await g.useToken(a.access_token)).status).toBe(401);
  });

  it('disable then enable: every old token is 401; new ones work', async () => {
    await g.enable(USERS.manager);
    const a = await g.issue(USERS.alice);
    const b = await g.issue(USERS.bob);
    expect((await g.setPolicy(USERS.manager, { enabled: false })).status).toBe(200);
    const off = await g.useToken(a.access_token);
    expect(off.status).toBe(401);
    expect(off.json()).toMatchObject({ code: 'token_auth_disabled' });
    const refused = await g.request('POST', '/auth/oauth/authorize', { as: USERS.alice });
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'portfolio_not_enabled' });

    expect((await g.setPolicy(USERS.manager, { enabled: true })).status).toBe(200);
    for (const t of [a, b]) {
      const r = await g.useToken(t.access_token);
      expect(r.status).toBe(401);
      expect(r.json()).toMatchObject({ code: 'token_revoked' });
    }
    const reissued = await g.issue(USERS.alice);
    expect((await g.useToken(reissued.access_token)).status).toBe(200);
    const list = (await g.request('GET', '/auth/tokens', { as: USERS.manager })).json<{ tokens: { token_id: string; status: string }[] }>();
    expect(list.tokens.find((t) => t.token_id === b.token_id)?.status).toBe('revoked');
  });

  it('a new pass phrase voids every token made with the old one', async () => {
    await g.enable(USERS.manager);
    const a = await g.issue(USERS.alice);
    expect((await g.setPolicy(USERS.manager, { passphrase: 'a completely new pass phrase' })).status).toBe(200);
    const r = await g.useToken(a.access_token);
    expect(r.status).toBe(401);
    expect(r.json()).toMatchObject({ code: 'token_revoked' });
    const reissued = await g.issue(USERS.alice);
    expect((await g.useToken(reissued.access_token)).status).toBe(200);
  });

  it('changing only the duration keeps existing tokens', async () => {
    await g.enable(USERS.manager, 60);
    const a = await g.issue(USERS.alice);
    expect((await g.setPolicy(USERS.manager, { durationMinutes: 5 })).status).toBe(200);
    expect((await g.useToken(a.access_token)).status).toBe(200);
    expect((await g.issue(USERS.alice, 30)).expires_in).toBe(5 * 60);
  });

  it('the audit trail records every policy change, issue, renewal and revocation, newest first, paginated', async () => {
    const from = { 'x-forwarded-for': '203.0.113.9' }; // not believed: the peer address is recorded
    await g.request('PUT', '/auth/portfolios/acme/token-policy', { as: USERS.manager, json: { enabled: true, passphrase: PASS_PHRASE, durationMinutes: 60 }, headers: from });
    const a1 = await g.issue(USERS.alice);
    const a2 = await g.issue(USERS.alice);
    const b = await g.issue(USERS.bob);
    await g.request('DELETE', `/auth/tokens/${b.token_id}`, { as: USERS.manager });
    await g.request('POST', '/auth/oauth/revoke', { form: { token: a2.access_token } });
    await g.setPolicy(USERS.manager, { passphrase: 'another pass phrase!' });

    const expected = [
      { action: 'policy.update', actor: USERS.manager.login, detail: { changed: ['passphrase'], enabled: true, durationMinutes: 60 } },
      { action: 'token.revoke', actor: USERS.alice.login, detail: { tokenId: a2.token_id, userId: USERS.alice.userId, via: 'rfc7009' } },
      { action: 'token.revoke', actor: USERS.manager.login, detail: { tokenId: b.token_id, userId: USERS.bob.userId, via: 'delete' } },
      { action: 'token.issue', actor: USERS.bob.login, detail: { tokenId: b.token_id, userId: USERS.bob.userId } },
      { action: 'token.renew', actor: USERS.alice.login, detail: { tokenId: a2.token_id, revoked: [a1.token_id] } },
      { action: 'token.issue', actor: USERS.alice.login, detail: { tokenId: a1.token_id } },
      { action: 'policy.update', actor: USERS.manager.login, detail: { changed: ['passphrase', 'enabled', 'durationMinutes'], enabled: true, durationMinutes: 60 } },
    ];
    const seen: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await g.request('GET', `/auth/portfolios/acme/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { as: USERS.manager });
      expect(r.status).toBe(200);
      const page = r.json<{ events: Record<string, unknown>[]; next_cursor: string | null }>();
      expect(page.events.length).toBeLessThanOrEqual(3);
      seen.push(...page.events);
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(expected.length);
    expected.forEach((e, i) => {
      expect(seen[i]).toMatchObject({ ...e, at: new Date(clock.now()).toISOString(), client_address: '127.0.0.1' });
    });
    const text = JSON.stringify(seen);
    for (const secret of [PASS_PHRASE, 'another pass phrase!', a1.access_token, a2.access_token, b.access_token, USERS.manager.password]) {
      expect(text).not.toContain(secret);
    }
    // Another portfolio's trail is its own.
    const other = await g.request('GET', '/auth/portfolios/globex/audit', { as: USERS.globexManager });
    expect(other.json()).toEqual({ events: [], next_cursor: null });
  });

  it('no secret reaches the logs or an error body', async () => {
    await g.enable(USERS.manager);
    const a = await g.issue(USERS.alice);
    await g.useToken(a.access_token);
    await g.request('DELETE', `/auth/tokens/${a.token_id}`, { bearer: a.access_token });
    const replies = [
      await g.useToken(a.access_token),
      await g.request('GET', '/auth/tokens', { bearer: a.access_token }),
      await g.request('POST', '/auth/oauth/authorize', { authorization: `Basic ${Buffer.from(`${USERS.alice.login}:wrong-password-xyz`).toString('base64')}` }),
      await g.setPolicy(USERS.manager, { passphrase: 'short' }),
      await g.setPolicy(USERS.alice, { passphrase: 'a pass phrase from a plain user' }),
    ];
    const secrets = [PASS_PHRASE, a.access_token, 'wrong-password-xyz', 'a pass phrase from a plain user', ...Object.values(USERS).map((u) => u.password)];
    const logs = g.t.logs.join('\n');
    expect(logs).toContain('"audit"');
    for (const s of secrets) {
      expect(logs).not.toContain(s);
      for (const r of replies) expect(r.text).not.toContain(s);
    }
    expect(replies.map((r) => r.status)).toEqual([401, 401, 401, 400, 403]);
  });
});
