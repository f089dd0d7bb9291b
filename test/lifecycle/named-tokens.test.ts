import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { LifecycleGateway, startLifecycleGateway, USERS, type DemoUser } from '../support/lifecycle.js';
import { PortalClient } from '../support/portal-client.js';
import { rawExchange } from '../support/raw-http.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

interface Named { access_token: string; token_type: string; token_id: string; name: string; scopes: string[]; expires_at: string; expires_in: number }
interface View { token_id: string; name: string; scopes: string[]; status: string; revoke_reason: string | null; last_used_at: string | null; last_used_ip: string | null; user_id: string }

/** An operator scope for the scan-result upload routes only. */
const SCOPES = { upload: [{ methods: ['POST', 'PUT'], paths: ['/api/scans/*/results', '/api/uploads/**'] }] };

describe.each(STORE_FACTORIES)('named tokens and scopes through a real gateway ($name store)', (factory) => {
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
    g = await startLifecycleGateway({ upstreamUrl: upstream.url, store: fresh.store, clock, config: { tokens: { maxPerUser: 3, scopes: SCOPES } } });
    await g.enable(USERS.manager, 600);
  });
  afterEach(async () => {
    await g.close();
    await fresh.close();
  });

  const create = (as: DemoUser, body: unknown) => g.request('POST', '/auth/tokens', { as, json: body });
  async function named(as: DemoUser, name: string, scopes: string[], validityMinutes?: number): Promise<Named> {
    const r = await create(as, { name, scopes, ...(validityMinutes === undefined ? {} : { validityMinutes }) });
    if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
    return r.json<Named>();
  }
  const list = async (as: DemoUser, q = '') => (await g.request('GET', `/auth/tokens${q}`, { as })).json<{ tokens: View[] }>().tokens;

  it('a read token: 201 with its name and scopes; GET goes through, POST is 403 insufficient_scope and never reaches the API', async () => {
    const r = await create(USERS.alice, { name: 'CI read-only', scopes: ['read'], validityMinutes: 43_200 });
    expect(r.status).toBe(201);
    const t = r.json<Named>();
    // Capped by the portfolio's duration (600 minutes), as authorize is.
    expect(t).toEqual({
      access_token: expect.any(String), token_type: 'Bearer', token_id: expect.any(String), name: 'CI read-only', scopes: ['read'],
      expires_at: new Date(clock.now() + 600 * 60_000).toISOString(), expires_in: 600 * 60,
    });

    const get = await g.request('GET', '/WS2/domains', { bearer: t.access_token, headers: { 'x-highlight-token-scopes': 'full' } });
    expect(get.status).toBe(200);
    // The client's copy is stripped; the API learns the sealed scopes.
    expect(upstream.last!.headers['x-highlight-token-scopes']).toBe('read');
    expect(upstream.last!.headers['x-highlight-token-id']).toBe(t.token_id);

    const seen = upstream.requests.length;
    const post = await g.request('POST', '/api/scans/42/results', { bearer: t.access_token, json: { ok: 1 } });
    expect(post.status).toBe(403);
    expect(post.json()).toMatchObject({ error: 'insufficient_scope', code: 'insufficient_scope' });
    expect(post.headers['www-authenticate']).toBe(`Bearer realm="highlight", error="insufficient_scope", error_description="the token's scopes do not allow this request", scope="upload full"`);
    // The gateway's own endpoints hold it to its scopes too: it lists, it does not revoke.
    expect((await g.request('GET', '/auth/tokens', { bearer: t.access_token })).status).toBe(200);
    const revoke = await g.request('DELETE', `/auth/tokens/${t.token_id}`, { bearer: t.access_token });
    expect(revoke.status).toBe(403);
    expect(revoke.json()).toMatchObject({ code: 'insufficient_scope' });
    const del = await g.request('DELETE', '/WS2/domains/7', { bearer: t.access_token });
    expect(del.status).toBe(403);
    expect(del.headers['www-authenticate']).toContain('scope="full"');
    expect(upstream.requests.length).toBe(seen);
  });

  it('an upload token: only the configured methods and paths; encoded dot segments and slashes fail closed', async () => {
    const t = await named(USERS.alice, 'scanner', ['upload']);
    const seen = upstream.requests.length;
    const allowed: [string, string][] = [['POST', '/api/scans/42/results'], ['PUT', '/api/scans/abc/results?x=1'], ['POST', '/api/uploads/a/b/c'], ['POST', '/api/uploads']];
    for (const [method, path] of allowed) expect((await g.request(method, path, { bearer: t.access_token, json: {} })).status, `${method} ${path}`).toBe(200);
    expect(upstream.requests.slice(seen).map((r) => `${r.method} ${r.url}`)).toEqual(allowed.map(([m, p]) => `${m} ${p}`));
    expect(upstream.last!.headers['x-highlight-token-scopes']).toBe('upload');
    // Sent byte for byte (an HTTP client would resolve the dot segments itself): what an upstream could resolve elsewhere.
    const refused: [string, string][] = [
      ['GET', '/api/scans/42/results'], ['POST', '/api/scans/42'], ['POST', '/api/scans/42/results/extra'], ['POST', '/api/scans//results'],
      ['POST', '/api/scans/../results'], ['POST', '/api/scans/%2e%2E/results'], ['POST', '/api/scans/a%2Fb/results'], ['POST', '/api/scans/a%5cb/results'],
      ['POST', '/api/uploads/%2e%2e/admin'], ['POST', '/api/uploads/x/..'], ['POST', '/api/uploads/./x'], ['POST', '/API/scans/42/results'], ['PATCH', '/api/uploads/a'],
    ];
    const before = upstream.requests.length;
    for (const [method, path] of refused) {
      const raw = await rawExchange(g.url, `${method} ${path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${t.access_token}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`, 1);
      expect(raw.responses[0]?.status, `${method} ${path}`).toBe(403);
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('the personal token is untouched by named tokens, and authorize renews only the personal token', async () => {
    const personal = await g.issue(USERS.alice);
    const ci = await named(USERS.alice, 'ci', ['read']);
    const renewed = await g.issue(USERS.alice);
    expect((await g.useToken(ci.access_token)).status).toBe(200);
    expect((await g.useToken(personal.access_token)).status).toBe(401);
    expect((await g.request('DELETE', `/auth/tokens/${ci.token_id}`, { as: USERS.alice })).status).toBe(204);
    expect((await g.useToken(ci.access_token)).status).toBe(401);
    expect((await g.request('POST', '/WS2/domains', { bearer: renewed.access_token })).status).toBe(200);

    await g.t.gw.usage.flush();
    const views = await list(USERS.alice);
    expect(views.find((v) => v.token_id === renewed.token_id)).toMatchObject({ name: 'personal', scopes: ['full'], status: 'active', revoke_reason: null, last_used_ip: '127.0.0.1' });
    expect(views.find((v) => v.token_id === ci.token_id)).toMatchObject({ name: 'ci', scopes: ['read'], status: 'revoked', revoke_reason: 'revoked', last_used_ip: '127.0.0.1' });
    expect(views.find((v) => v.token_id === personal.token_id)).toMatchObject({ name: 'personal', status: 'revoked', revoke_reason: 'renewed' });
  });

  it('names: printable, 1-100 characters, "personal" reserved, unique among live tokens; at most tokens.maxPerUser live ones', async () => {
    const bad: [unknown, string][] = [
      ['', 'name'], ['   ', 'name'], ['a\nb', 'control'], ['tab\there', 'control'], ['bell\u0007', 'control'], ['c1\u0085', 'control'],
      ['x'.repeat(101), 'name'], ['Personal', 'reserved'], [42, 'name'], [null, 'name'],
    ];
    for (const [name, says] of bad) {
      const r = await create(USERS.alice, { name, scopes: ['read'] });
      expect(r.status, JSON.stringify(name)).toBe(400);
      expect(r.json<{ error_description: string }>().error_description).toContain(says);
    }
    await named(USERS.alice, 'ü-é 日本 ✓'.padEnd(100, '.'), ['read']);
    await named(USERS.alice, 'deploy', ['read']);
    const dup = await create(USERS.alice, { name: 'deploy', scopes: ['upload'] });
    expect(dup.status).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'name_taken' });
    // Another user may use the same name.
    await named(USERS.bob, 'deploy', ['read']);
    await named(USERS.alice, 'third', ['read']);
    const over = await create(USERS.alice, { name: 'fourth', scopes: ['read'] });
    expect(over.status).toBe(409);
    expect(over.json()).toMatchObject({ code: 'too_many_tokens' });
    // The personal token does not count; revoking a named one frees its name and a place.
    await g.issue(USERS.alice);
    const deploy = (await list(USERS.alice)).find((v) => v.name === 'deploy')!;
    expect((await g.request('DELETE', `/auth/tokens/${deploy.token_id}`, { as: USERS.alice })).status).toBe(204);
    await named(USERS.alice, 'deploy', ['upload']);
  });

  it('parallel creates: never past the limit, never one name twice', async () => {
    const many = await Promise.all(Array.from({ length: 6 }, (_, i) => create(USERS.alice, { name: `n${i}`, scopes: ['read'] })));
    expect(many.map((r) => r.status).sort()).toEqual([201, 201, 201, 409, 409, 409]);
    const same = await Promise.all(Array.from({ length: 4 }, () => create(USERS.bob, { name: 'same', scopes: ['read'] })));
    expect(same.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    expect((await list(USERS.alice)).filter((v) => v.status === 'active')).toHaveLength(3);
    expect((await list(USERS.bob)).map((v) => v.name)).toEqual(['same']);
  });

  it('hostile bodies: unknown, repeated-to-excess or mistyped scopes, unknown fields, and Bearer callers are refused with clear errors', async () => {
    const cases: [unknown, number, string][] = [
      [{ name: 'a', scopes: ['admin'] }, 400, 'unknown scope "admin" (known: read, full, upload)'],
      [{ name: 'a', scopes: Array.from({ length: 1000 }, (_, i) => `s${i}`) }, 400, 'scopes: expected a list of 1 to 16 scope names'],
      [{ name: 'a', scopes: [] }, 400, 'scopes: expected a list'],
      [{ name: 'a', scopes: 'read' }, 400, 'scopes: expected a list'],
      [{ name: 'a', scopes: [{ read: true }] }, 400, 'scopes: expected a list'],
      [{ name: 'a' }, 400, 'scopes: expected a list'],
      [{ name: 'a', scopes: ['read'], validityMinutes: 0 }, 400, 'validityMinutes'],
      [{ name: 'a', scopes: ['read'], validityMinutes: '10' }, 400, 'validityMinutes'],
      [{ name: 'a', scopes: ['read'], admin: true }, 400, 'admin: unknown field'],
      [['read'], 400, 'expected a JSON object'],
    ];
    for (const [body, status, says] of cases) {
      const r = await create(USERS.alice, body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(r.json<{ error_description: string }>().error_description).toContain(says);
    }
    const huge = await g.request('POST', '/auth/tokens', { as: USERS.alice, json: { name: 'a', scopes: Array(20_000).fill('read') } });
    expect(huge.status).toBe(413);
    // A token cannot mint tokens, whatever its scopes.
    const personal = await g.issue(USERS.alice);
    const viaBearer = await g.request('POST', '/auth/tokens', { bearer: personal.access_token, json: { name: 'a', scopes: ['read'] } });
    expect(viaBearer.status).toBe(401);
    expect(await list(USERS.alice)).toHaveLength(1);
  });

  it('the token policy narrows the scopes users may choose (audited); the manager alone may change it', async () => {
    const put = await g.setPolicy(USERS.manager, { allowedScopes: ['read'] });
    expect(put.status).toBe(200);
    expect(put.json()).toMatchObject({ allowedScopes: ['read'] });
    const refused = await create(USERS.alice, { name: 'up', scopes: ['read', 'upload'] });
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'scope_not_allowed', error_description: expect.stringContaining('upload (allowed: read)') });
    await named(USERS.alice, 'ok', ['read']);
    expect((await g.setPolicy(USERS.manager, { allowedScopes: ['nope'] })).status).toBe(400);
    expect((await g.setPolicy(USERS.alice, { allowedScopes: ['read', 'upload', 'full'] }, 'acme')).status).toBe(403);
    const reset = await g.setPolicy(USERS.manager, { allowedScopes: null });
    expect(reset.json()).toMatchObject({ allowedScopes: null });
    await named(USERS.alice, 'up', ['upload']);
    const audit = (await g.request('GET', '/auth/portfolios/acme/audit', { as: USERS.manager })).json<{ events: { action: string; detail: Record<string, unknown> }[] }>().events;
    expect(audit.filter((e) => e.action === 'policy.update').map((e) => e.detail.allowedScopes)).toEqual([null, ['read'], undefined]);
    expect(audit.filter((e) => e.action === 'token.create').map((e) => [e.detail.name, e.detail.scopes])).toEqual([['up', ['upload']], ['ok', ['read']]]);
  });

  it('from a portal session: with its CSRF token and our Origin only', async () => {
    const portal = new PortalClient(g.url);
    const s = await portal.signIn(USERS.alice.login, USERS.alice.password);
    const body = { name: 'from the portal', scopes: ['read'] };
    expect((await portal.request('POST', 'tokens', { session: s, csrf: null, json: body })).json()).toMatchObject({ code: 'csrf_rejected' });
    expect((await portal.request('POST', 'tokens', { session: s, origin: 'https://evil.example', json: body })).json()).toMatchObject({ code: 'csrf_rejected' });
    expect(await list(USERS.alice)).toEqual([]);
    const r = await portal.request('POST', 'tokens', { session: s, json: body });
    expect(r.status).toBe(201);
    expect(r.json()).toMatchObject({ name: 'from the portal', scopes: ['read'] });
    expect((await g.useToken(r.json<Named>().access_token)).status).toBe(200);
  });

  it('list filters: a manager by user, status and expiry; bad filters are 400', async () => {
    const soon = await named(USERS.alice, 'soon', ['read'], 30);
    await named(USERS.alice, 'later', ['read']);
    const bobs = await named(USERS.bob, 'bobs', ['read']);
    expect((await g.request('DELETE', `/auth/tokens/${bobs.token_id}`, { as: USERS.bob })).status).toBe(204);
    expect((await list(USERS.manager, `?user=${encodeURIComponent(USERS.alice.login)}`)).map((v) => v.name).sort()).toEqual(['later', 'soon']);
    expect((await list(USERS.manager, `?user=${USERS.bob.userId}&status=revoked`)).map((v) => v.name)).toEqual(['bobs']);
    expect((await list(USERS.manager, '?expiring_within=60')).map((v) => v.token_id)).toEqual([soon.token_id]);
    expect(await list(USERS.manager, '?status=expired')).toEqual([]);
    // A user's filters apply to their own tokens only.
    expect(await list(USERS.alice, `?user=${USERS.bob.userId}`)).toEqual([]);
    for (const q of ['?status=bogus', '?expiring_within=abc', '?expiring_within=0', '?since=1', '?status=active&status=revoked']) {
      expect((await g.request('GET', `/auth/tokens${q}`, { as: USERS.manager })).status, q).toBe(400);
    }
  });
});
