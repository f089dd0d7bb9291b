import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertConformsToOpenApi } from '../support/openapi-conformance.js';
import { LEAK_REPORT_MAX_TOKENS } from '../../src/admin/leaked-tokens-body.js';
import { MasterKey } from '../../src/secrets/master-key.js';
import { FakeClock } from '../support/fake-clock.js';
import { jweToken, sealWith, withChecksum } from '../support/forge.js';
import { call, type Reply } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { eventually } from '../support/gateway-process.js';
import { enableAndIssue, startGateway, type TestGateway } from '../support/start-gateway.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

const SECRET = 'operator-secret-0123456789-abcdefghij';
const KEY_ID = 'f9525bf080f75b3506ca1ead061add62b8633a346606dc5fe544e29231c6ee0d';

/** GitHub's signing key, made here: the test plays GitHub (no network). */
function githubKey(): { privateKey: KeyObject; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/**
 * Leak reports end a token at once, on both stores, through a real gateway: the operator API's
 * POST /tokens/leaked and GitHub secret scanning's {prefix}/leaked-tokens.
 */
describe.each(STORE_FACTORIES)('leak reports ($name store)', (factory) => {
  const up = new RecordingUpstream();
  const gh = githubKey();
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-leaks-'));
  const keysFile = join(dir, 'secret_scanning.json');
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let t: TestGateway;
  let clock: FakeClock;

  const use = (token: string): Promise<Reply> => call(t.url, '/x', { headers: { authorization: `Bearer ${token}` } });
  const report = (body: unknown, secret = SECRET) => call(t.admin, '/tokens/leaked', {
    method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  // Every answer is also checked against the OpenAPI document ({prefix}/openapi.json).
  const github = async (body: string, opts: { keyId?: string; signature?: string } = {}) => {
    const r = await call(t.url, '/auth/leaked-tokens', {
      method: 'POST', body,
      headers: {
        'content-type': 'application/json', 'github-public-key-identifier': opts.keyId ?? KEY_ID,
        'github-public-key-signature': opts.signature ?? sign('sha256', Buffer.from(body), gh.privateKey).toString('base64'),
      },
    });
    assertConformsToOpenApi('POST', '/auth/leaked-tokens', r);
    return r;
  };
  const issue = (userId: string) => t.gw.tokens.issue({ userId, login: `${userId}@acme.example`, companyId: 'acme' });
  const leakedEvents = async () => (await t.gw.store.listAudit('acme', { limit: 100 })).events.filter((e) => e.action === 'token.leaked');

  beforeAll(async () => {
    writeFileSync(keysFile, JSON.stringify({ public_keys: [{ key_identifier: KEY_ID, key: gh.pem, is_current: true }] }));
    await up.start();
    clock = new FakeClock();
    fresh = await freshStore(factory);
    t = await startGateway({
      upstreamUrl: up.url, clock, store: fresh.store,
      config: { admin: { operatorToken: { fromEnv: 'OP_SECRET' } }, leaks: { github: { keysFile } } },
      env: { OP_SECRET: SECRET },
    });
    await enableAndIssue(t);
  });
  afterAll(async () => {
    await t.close();
    await fresh.close();
    await up.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    up.requests.length = 0;
  });

  it('operator API: each token gets its verdict by index and id, never echoed; the leaked one is refused at once', async () => {
    const alice = await issue('u-100');
    const revoked = await issue('u-101');
    await t.gw.tokens.revoke(revoked.record.tokenId);
    expect((await use(alice.token)).status).toBe(200); // cached: the revocation must reach the cache hit
    const key = t.gw.state.portfolio('acme')!.key!;
    const gen = t.gw.state.portfolio('acme')!.generation;
    const neverIssued = sealWith(key, { generation: gen }, { userId: 'u-102', login: 'x@acme.example' });
    const tokens = [alice.token, 'hlgw_not-a-token', revoked.token, neverIssued, alice.token, await jweToken(key), withChecksum(`hlgw_${'A'.repeat(120)}`)];
    const r = await report({ tokens });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ results: [
      { index: 0, result: 'revoked', tokenId: alice.record.tokenId },
      { index: 1, result: 'not_ours' },
      { index: 2, result: 'already_revoked', tokenId: revoked.record.tokenId },
      { index: 3, result: 'unknown', tokenId: expect.any(String) },
      { index: 4, result: 'already_revoked', tokenId: alice.record.tokenId },
      { index: 5, result: 'not_ours' },
      { index: 6, result: 'not_ours' },
    ] });
    for (const token of tokens) expect(r.text).not.toContain(token);
    up.requests.length = 0;
    const refused = await use(alice.token);
    expect([refused.status, refused.json().code]).toEqual([401, 'token_revoked']);
    expect(up.requests).toHaveLength(0);
    expect((await t.gw.store.getToken(alice.record.tokenId))!.revokedReason).toBe('leaked');
    expect(await leakedEvents()).toEqual([expect.objectContaining({
      actor: 'operator', detail: { tokenId: alice.record.tokenId, userId: 'u-100', via: 'operator' }, clientAddress: '127.0.0.1',
    })]);
    expect(t.logs.join('')).not.toContain(alice.token);
    const metrics = await t.gw.metrics.registry.getSingleMetricAsString('hlgw_tokens_revoked_total');
    expect(metrics).toMatch(/reason="leaked"} 1\b/);
  });

  it('an expired token is still recognised as ours and revoked', async () => {
    const old = await issue('u-110');
    clock.advance(2 * 3600_000);
    try {
      expect((await use(old.token)).json().code).toBe('token_expired');
      expect((await report({ tokens: [old.token] })).json()).toEqual({ results: [{ index: 0, result: 'revoked', tokenId: old.record.tokenId }] });
    } finally {
      clock.advance(-2 * 3600_000);
    }
  });

  it.each<[string, () => unknown]>([
    ['no tokens field', () => ({})],
    ['an empty list', () => ({ tokens: [] })],
    ['more than the bound', () => ({ tokens: Array.from({ length: LEAK_REPORT_MAX_TOKENS + 1 }, () => 'hlgw_x') })],
    ['a token longer than any token can be', () => ({ tokens: [`hlgw_${'A'.repeat(8000)}`] })],
    ['a non-string', () => ({ tokens: [42] })],
  ])('operator API refuses %s with 400, revoking nothing', async (_name, body) => {
    const before = await leakedEvents();
    const r = await report(body());
    expect([r.status, r.json().code]).toEqual([400, 'validation_failed']);
    expect(await leakedEvents()).toEqual(before);
  });

  it('operator API: its secret is required, and only POST', async () => {
    const other = await issue('u-120');
    expect((await report({ tokens: [other.token] }, 'wrong-secret')).status).toBe(401);
    expect((await call(t.admin, '/tokens/leaked', { headers: { authorization: `Bearer ${SECRET}` } })).status).toBe(405);
    expect((await use(other.token)).status).toBe(200);
  });

  it("GitHub: a signed report revokes ours and labels each match in GitHub's format", async () => {
    const bob = await issue('u-130');
    const url = 'https://github.com/octocat/Hello-World/blob/1234567/config.yml';
    const body = JSON.stringify([
      { token: bob.token, type: 'hlgw_token', url, source: 'content' },
      { token: withChecksum(`hlgw_${randomBytes(90).toString('base64url')}`), type: 'hlgw_token', url, source: 'content' },
    ]);
    const r = await github(body);
    expect(r.status).toBe(200);
    expect(r.json()).toEqual([
      { token_raw: bob.token, token_type: 'hlgw_token', label: 'true_positive' },
      { token_raw: JSON.parse(body)[1].token, token_type: 'hlgw_token', label: 'false_positive' },
    ]);
    expect((await use(bob.token)).json().code).toBe('token_revoked');
    expect((await leakedEvents()).find((e) => e.detail.tokenId === bob.record.tokenId)).toMatchObject({
      actor: 'github-secret-scanning', detail: { via: 'github', url },
    });
    expect(t.logs.join('')).not.toContain(bob.token);
    // Reported again (GitHub retries): already void, still ours.
    expect((await github(body)).json<{ label: string }[]>()[0]!.label).toBe('true_positive');
  });

  it.each<[string, (body: string) => { keyId?: string; signature?: string }]>([
    ['a signature by another key', (body) => ({ signature: sign('sha256', Buffer.from(body), githubKey().privateKey).toString('base64') })],
    ['a signature of another body', (body) => ({ signature: sign('sha256', Buffer.from(`${body} `), githubKey().privateKey).toString('base64') })],
    ['an unknown key identifier', () => ({ keyId: 'not-a-key-we-know' })],
    ['a signature that is not DER', () => ({ signature: 'bm90IGEgc2lnbmF0dXJl' })],
    ['an empty signature', () => ({ signature: '' })],
  ])('GitHub: %s → 401, nothing revoked', async (_name, headers) => {
    const carol = await issue(`u-14${Math.floor(Math.random() * 10)}`);
    const body = JSON.stringify([{ token: carol.token, type: 'hlgw_token', url: 'https://github.com/x', source: 'content' }]);
    const r = await github(body, headers(body));
    expect([r.status, r.json().code]).toEqual([401, 'leak_report_signature_invalid']);
    expect((await use(carol.token)).status).toBe(200);
  });

  it('GitHub: no signature headers → 401; a body past the bound → 413', async () => {
    const r = await call(t.url, '/auth/leaked-tokens', { method: 'POST', body: '[]', headers: { 'content-type': 'application/json' } });
    expect([r.status, r.json().code]).toEqual([401, 'leak_report_signature_invalid']);
    const big = JSON.stringify([{ token: 'x'.repeat(1024 * 1024), type: 't' }]);
    const tooBig = await github(big);
    expect([tooBig.status, tooBig.json().code]).toEqual([413, 'payload_too_large']);
  });

  it('GitHub: an unreadable keys file → 503 and the log says why; the file is read on every report', async () => {
    const dave = await issue('u-150');
    const body = JSON.stringify([{ token: dave.token, type: 'hlgw_token', url: 'https://github.com/x', source: 'content' }]);
    writeFileSync(keysFile, 'not json');
    try {
      const r = await github(body);
      expect([r.status, r.json().code]).toEqual([503, 'leak_report_keys_unavailable']);
      expect(t.logs.join('')).toContain('leaks.github.keysFile cannot be used');
      expect((await use(dave.token)).status).toBe(200);
    } finally {
      writeFileSync(keysFile, JSON.stringify({ public_keys: [{ key_identifier: KEY_ID, key: gh.pem, is_current: true }] }));
    }
    expect((await github(body)).json<{ label: string }[]>()[0]!.label).toBe('true_positive');
  });
});

describe.each(STORE_FACTORIES)('a reported token whose portfolio key does not open with this master key ($name store)', (factory) => {
  it('stops the report with 403 portfolio_not_enabled (its tokens come back once the key is restored): never not_ours', async () => {
    const location = await factory.prepare();
    const up = await new RecordingUpstream().start();
    const config = { admin: { operatorToken: { fromEnv: 'OP_SECRET' } } };
    const s1 = await location.open();
    const first = await startGateway({ upstreamUrl: up.url, store: s1, config, env: { OP_SECRET: SECRET } });
    const { token } = await enableAndIssue(first);
    await first.close();
    await s1.close();
    const s2 = await location.open(); // the same data, and another master key (startGateway makes one)
    const other = await startGateway({ upstreamUrl: up.url, store: s2, config, env: { OP_SECRET: SECRET } });
    try {
      const r = await call(other.admin, '/tokens/leaked', {
        method: 'POST', headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' }, body: JSON.stringify({ tokens: [token] }),
      });
      expect([r.status, r.json().code]).toEqual([403, 'portfolio_not_enabled']);
      expect(r.text).not.toContain(token);
    } finally {
      await other.close();
      await s2.close();
      await up.stop();
      await location.dispose();
    }
  });
});

describe('GitHub leak reports are off unless leaks.github.keysFile is set', () => {
  it('{prefix}/leaked-tokens is 404', async () => {
    const up = await new RecordingUpstream().start();
    const t = await startGateway({ upstreamUrl: up.url });
    try {
      const r = await call(t.url, '/auth/leaked-tokens', { method: 'POST', body: '[]', headers: { 'github-public-key-identifier': KEY_ID, 'github-public-key-signature': 'x' } });
      expect([r.status, r.json().code]).toEqual([404, 'not_found']);
    } finally {
      await t.close();
      await up.stop();
    }
  });
});

describe.skipIf(!STORE_FACTORIES.some((f) => f.name === 'redis'))('a leaked token on two instances sharing Redis', () => {
  it('reported through A, it is refused on B, where it was cached', async () => {
    const factory = STORE_FACTORIES.find((f) => f.name === 'redis')!;
    const location = await factory.prepare();
    const [sa, sb] = [await location.open(), await location.open()];
    const up = await new RecordingUpstream().start();
    const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');
    const config = { admin: { operatorToken: { fromEnv: 'OP_SECRET' } } };
    const a = await startGateway({ upstreamUrl: up.url, store: sa, masterKey, config, env: { OP_SECRET: SECRET } });
    const b = await startGateway({ upstreamUrl: up.url, store: sb, masterKey, config, env: { OP_SECRET: SECRET } });
    try {
      const { token, record } = await enableAndIssue(a);
      const onB = () => call(b.url, '/x', { headers: { authorization: `Bearer ${token}` } });
      await eventually('B accepts the token', async () => (await onB()).status === 200);
      expect((await onB()).status).toBe(200); // a cache hit on B from now on
      const r = await call(a.admin, '/tokens/leaked', {
        method: 'POST', headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' }, body: JSON.stringify({ tokens: [token] }),
      });
      expect(r.json()).toEqual({ results: [{ index: 0, result: 'revoked', tokenId: record.tokenId }] });
      expect((await call(a.url, '/x', { headers: { authorization: `Bearer ${token}` } })).json().code).toBe('token_revoked');
      await eventually('B refuses the leaked token', async () => (await onB()).status === 401);
      expect((await onB()).json().code).toBe('token_revoked');
      expect(b.gw.state.isRevoked(record.tokenId)).toBe(true);
    } finally {
      await a.close();
      await b.close();
      await sa.close();
      await sb.close();
      await up.stop();
    }
  });
});
