import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN_PREFIX } from '../../src/token/format.js';
import { TokenValidator } from '../../src/token/validator.js';
import { FakeClock } from '../support/fake-clock.js';
import { bodyBytes, flipBodyBit, jweToken, sealWith, withChecksum, type RawClaims, type RawEnvelope } from '../support/forge.js';
import { call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { PASSPHRASE, enableAndIssue, startGateway, type TestGateway } from '../support/start-gateway.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

/** Every way a Bearer credential can be bad: answered by the gateway, never by the upstream. On every store. */
describe.each(STORE_FACTORIES)('Bearer validation on $name', (factory) => {
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let up: RecordingUpstream;
  let t: TestGateway;
  let clock: FakeClock;
  let token: string;
  let key: KeyObject;

  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    clock = new FakeClock();
    fresh = await freshStore(factory);
    t = await startGateway({ upstreamUrl: up.url, clock, store: fresh.store, config: { portfolios: { allowed: ['acme', 'globex', 'initech'] } } });
    token = (await enableAndIssue(t)).token;
    await enableAndIssue(t, 'globex', { userId: 'g-1', login: 'gina@globex.example' });
    key = t.gw.state.portfolio('acme')!.key!;
  });
  afterAll(async () => {
    await t.close();
    await fresh.close();
    await up.stop();
  });
  beforeEach(() => {
    up.requests.length = 0;
  });

  async function expectRejected(authorization: string, status: number, error: string, description: string) {
    const r = await call(t.url, '/WS2/x', { headers: { authorization } });
    expect(r.status).toBe(status);
    expect(r.headers['www-authenticate']).toBe(`Bearer realm="highlight", error="${error}", error_description="${description}"`);
    expect(r.json()).toMatchObject({ error, error_description: description });
    expect(r.headers['content-type']).toContain('application/json');
    expect(up.requests).toHaveLength(0);
    return r;
  }

  const sealed = (e: RawEnvelope, claims?: RawClaims) => sealWith(key, e, claims);
  const prefix = DEFAULT_TOKEN_PREFIX.length;
  /** Body layout: version (0), generation (1-4), cid length (5), cid (6-9 for acme), IV, ciphertext, tag. */
  const bodyLength = () => bodyBytes(token).length;

  it.each<[string, () => Promise<string> | string, string]>([
    ['the version byte changed', () => flipBodyBit(token, 0), 'malformed'],
    ['the key generation changed', () => flipBodyBit(token, 4, 1), 'revoked'],
    ['the company id changed (acme → acmf)', () => flipBodyBit(token, 9, 2), 'not valid for this portfolio'],
    ['the IV changed', () => flipBodyBit(token, 12), 'invalid seal'],
    ['the ciphertext changed', () => flipBodyBit(token, 30), 'invalid seal'],
    ['the tag changed', () => flipBodyBit(token, bodyLength() - 1), 'invalid seal'],
    ['a character changed, checksum not updated', () => token.slice(0, prefix + 3) + (token[prefix + 3] === 'A' ? 'B' : 'A') + token.slice(prefix + 4), 'malformed'],
    ['the checksum changed', () => token.slice(0, -1) + (token.endsWith('0') ? '1' : '0'), 'malformed'],
    ['truncated', () => token.slice(0, -7), 'malformed'],
    ['truncated, checksum recomputed', () => withChecksum(token.slice(0, -10)), 'invalid seal'],
    ['extended, checksum recomputed', () => withChecksum(`${token.slice(0, -6)}AAAA`), 'invalid seal'],
    ['another prefix', () => withChecksum(`ghp_${token.slice(prefix, -6)}`), 'malformed'],
    ['another prefix in the seal too', () => sealed({ prefix: 'hlgw_', aadPrefix: 'ghp_' }), 'invalid seal'],
    ['a JWE of the previous format', () => jweToken(key), 'malformed'],
    ['not a token at all', () => 'abc.def', 'malformed'],
    ['another version', () => sealed({ version: 2 }), 'malformed'],
    ['generation 0', () => sealed({ generation: 0 }), 'malformed'],
    ['strange cid', () => sealed({ companyId: '../../etc/passwd' }), 'malformed'],
    ['cid __proto__', () => sealed({ companyId: '__proto__' }), 'not valid for this portfolio'],
    ['sealed with another key', () => sealWith(createSecretKey(randomBytes(32))), 'invalid seal'],
    ['header names another portfolio', () => sealed({ companyId: 'globex' }), 'invalid seal'],
    ['unknown portfolio', () => sealed({ companyId: 'nobody' }), 'not valid for this portfolio'],
    ['portfolio the operator does not allow', () => sealed({ companyId: 'umbrella' }), 'not valid for this portfolio'],
    ['portfolio allowed but never enabled', () => sealed({ companyId: 'initech' }), 'not valid for this portfolio'],
  ])('%s → 401 invalid_token', async (_name, make, description) => {
    await expectRejected(`Bearer ${await make()}`, 401, 'invalid_token', description);
  });

  it.each([
    ['no token', 'Bearer', 'malformed Bearer credential'],
    ['two tokens', 'Bearer eyJhbGc.a.b.c.d eyJhbGc.e.f.g.h', 'malformed Bearer credential'],
    ['characters outside b64token', 'Bearer abc$def', 'malformed Bearer credential'],
    ['oversized (4 KiB + 1)', `Bearer ${'a'.repeat(4097)}`, 'token too large'],
  ])('%s → 400 invalid_request', async (_name, header, description) => {
    await expectRejected(header, 400, 'invalid_request', description);
  });

  it('an expired token is refused (after the clock skew), even when cached', async () => {
    const { token: short } = await t.gw.tokens.issue({ companyId: 'acme', userId: 'u-7', login: 'bob@acme.example' }, 1);
    expect((await call(t.url, '/x', { headers: { authorization: `Bearer ${short}` } })).status).toBe(200);
    clock.advance(60_000 + 29_000); // inside the 30 s skew
    expect((await call(t.url, '/x', { headers: { authorization: `Bearer ${short}` } })).status).toBe(200);
    up.requests.length = 0;
    clock.advance(2_000);
    await expectRejected(`Bearer ${short}`, 401, 'invalid_token', 'expired');
    clock.advance(-62_000 - 29_000);
  });

  it('a token that expired before it was ever seen is refused on the cold path too', async () => {
    clock.advance(-7200_000);
    const { token: old } = await t.gw.tokens.issue({ companyId: 'acme', userId: 'u-8', login: 'old@acme.example' }, 1);
    clock.advance(7200_000);
    await expectRejected(`Bearer ${old}`, 401, 'invalid_token', 'expired');
  });

  it('a cache hit still honours revocation', async () => {
    const issued = await t.gw.tokens.issue({ userId: 'u-9', login: 'carol@acme.example', companyId: 'acme' });
    const auth = `Bearer ${issued.token}`;
    expect((await call(t.url, '/x', { headers: { authorization: auth } })).status).toBe(200);
    expect((await call(t.url, '/x', { headers: { authorization: auth } })).status).toBe(200); // now cached
    await t.gw.tokens.revoke(issued.record.tokenId);
    up.requests.length = 0;
    await expectRejected(auth, 401, 'invalid_token', 'revoked');
  });

  it('a portfolio disabled after caching refuses its tokens; re-enabling does not revive them', async () => {
    const issued = await t.gw.tokens.issue({ userId: 'g-2', login: 'gus@globex.example', companyId: 'globex' });
    const auth = `Bearer ${issued.token}`;
    expect((await call(t.url, '/x', { headers: { authorization: auth } })).status).toBe(200);
    await t.gw.portfolios.update('globex', { enabled: false });
    up.requests.length = 0;
    await expectRejected(auth, 401, 'invalid_token', 'token authentication disabled');
    await t.gw.portfolios.update('globex', { enabled: true });
    await expectRejected(auth, 401, 'invalid_token', 'revoked');
  });

  it('a new pass phrase voids tokens sealed with the old one, and forging the new generation fails the seal', async () => {
    const issued = await t.gw.tokens.issue({ userId: 'u-10', login: 'dave@acme.example', companyId: 'acme' });
    const auth = `Bearer ${issued.token}`;
    expect((await call(t.url, '/x', { headers: { authorization: auth } })).status).toBe(200);
    const oldKey = t.gw.state.portfolio('acme')!.key!;
    await t.gw.portfolios.update('acme', { passphrase: `${PASSPHRASE} v2` });
    up.requests.length = 0;
    await expectRejected(auth, 401, 'invalid_token', 'revoked');
    const gen = t.gw.state.portfolio('acme')!.generation;
    const forged = sealWith(oldKey, { generation: gen }, { userId: 'u-10', login: 'dave@acme.example' });
    await expectRejected(`Bearer ${forged}`, 401, 'invalid_token', 'invalid seal');
    // Fresh tokens under the new pass phrase work.
    const renewed = await t.gw.tokens.issue({ userId: 'u-10', login: 'dave@acme.example', companyId: 'acme' });
    expect((await call(t.url, '/x', { headers: { authorization: `Bearer ${renewed.token}` } })).status).toBe(200);
  });

  it('the token is opaque: its body, decoded, shows the company and generation, never the login or user id', () => {
    const decoded = bodyBytes(token).toString('latin1');
    expect(decoded).not.toContain('alice');
    expect(decoded).not.toContain('u-42');
    const b = bodyBytes(token);
    expect([b[0], b.readUInt32BE(1) >= 1, b.toString('latin1', 6, 6 + b[5]!)]).toEqual([1, true, 'acme']);
  });

  it('a flood of one forged token is verified once, then answered from the negative cache', async () => {
    const issued = await t.gw.tokens.issue({ userId: 'u-12', login: 'frank@acme.example', companyId: 'acme' });
    const forged = flipBodyBit(issued.token, 30);
    const before = await t.gw.metrics.registry.getSingleMetricAsString('hlgw_token_cache_requests_total');
    for (let i = 0; i < 5; i++) await call(t.url, '/x', { headers: { authorization: `Bearer ${forged}` } });
    const after = await t.gw.metrics.registry.getSingleMetricAsString('hlgw_token_cache_requests_total');
    const count = (text: string, result: string) => Number(text.match(new RegExp(`result="${result}"} (\\d+)`))?.[1] ?? 0);
    expect(count(after, 'miss') - count(before, 'miss')).toBe(1);
    expect(count(after, 'negative_hit') - count(before, 'negative_hit')).toBe(4);
    expect(up.requests).toHaveLength(0);
  });

  it('noise (a wrong checksum, another prefix) is refused synchronously, before any decryption, and remembered', async () => {
    const typo = token.slice(0, 40) + (token[40] === 'x' ? 'y' : 'x') + token.slice(41);
    for (const bad of [typo, `ghp_${token.slice(5)}`]) {
      const first = t.gw.validator.validate(bad);
      expect(first).toBeInstanceOf(Error); // not a promise: no decryption was started
      expect((first as { code: string }).code).toBe('token_malformed');
      const before = await t.gw.metrics.registry.getSingleMetricAsString('hlgw_token_cache_requests_total');
      expect((t.gw.validator.validate(bad) as { code: string }).code).toBe('token_malformed');
      const after = await t.gw.metrics.registry.getSingleMetricAsString('hlgw_token_cache_requests_total');
      const count = (text: string) => Number(text.match(/result="negative_hit"} (\d+)/)?.[1] ?? 0);
      expect(count(after) - count(before)).toBe(1);
    }
  });

  it('a cache hit is answered synchronously', async () => {
    const issued = await t.gw.tokens.issue({ userId: 'u-13', login: 'gail@acme.example', companyId: 'acme' });
    expect(await t.gw.validator.validate(issued.token)).not.toBeInstanceOf(Error);
    const hit = t.gw.validator.validate(issued.token);
    expect(hit).not.toBeInstanceOf(Promise);
    expect(hit).not.toBeInstanceOf(Error);
  });

  it('the misses of one turn are verified together at its end, each with its own verdict', async () => {
    const a = await t.gw.tokens.issue({ userId: 'u-14', login: 'hal@acme.example', companyId: 'acme' });
    const b = await t.gw.tokens.issue({ userId: 'u-15', login: 'ida@acme.example', companyId: 'acme' });
    const p = t.gw.state.portfolio('acme')!;
    // Sealed right (the current key and generation) around an id the store never issued.
    const forged = sealWith(p.key!, { generation: p.generation });
    const badSeal = flipBodyBit(b.token, 30);
    const cached = t.gw.validator.size;
    const misses = [a.token, b.token, a.token, forged, badSeal].map((x) => t.gw.validator.validate(x));
    for (const m of misses) expect(m).toBeInstanceOf(Promise);
    expect(t.gw.validator.size).toBe(cached); // nothing verified before the turn ends
    await new Promise((r) => setImmediate(r)); // after the validator's
    // SQLite answers at once: the turn's misses are settled with it; Redis's replies take their time.
    if (factory.name === 'sqlite') expect(t.gw.validator.size).toBe(cached + 2);
    const [first, second, again, unknown, sealBroken] = await Promise.all(misses);
    expect(t.gw.validator.size).toBe(cached + 2);
    expect(first).not.toBeInstanceOf(Error);
    expect(again).toBe(first); // one token, one verification, shared
    expect((second as { claims: { userId: string } }).claims.userId).toBe('u-15');
    expect((unknown as { code: string }).code).toBe('token_unknown');
    expect((sealBroken as { code: string }).code).toBe('token_invalid_seal');
    expect(t.gw.validator.validate(a.token)).toBe(first); // a hit now, synchronously
    expect(t.gw.validator.validate(b.token)).toBe(second);
  });

  it('a fault while the misses of a turn are verified fails their requests, not the process', async () => {
    // The gateway's own state and store, with an observer that throws: the fault surfaces inside the turn's verification.
    const v = new TokenValidator({
      state: t.gw.state, prefix: DEFAULT_TOKEN_PREFIX, clock, skewSeconds: 0, maxEntries: 10, negativeMaxEntries: 10, negativeTtlSeconds: 10,
      issuedRecord: (id) => fresh.store.getToken(id), prepare: () => ({}),
      observer: { cache() {}, result() { throw new Error('observer fault'); } },
    });
    const p = t.gw.state.portfolio('acme')!;
    const forged = sealWith(p.key!, { generation: p.generation }); // refused by the store read: token_unknown
    const badSeal = flipBodyBit(token, 30); // refused by the seal
    await expect(v.validate(forged)).rejects.toThrow('observer fault');
    await expect(v.validate(badSeal)).rejects.toThrow('observer fault');
    // The in-flight entries went with them: asked again, each is verified again (and fails again).
    await expect(v.validate(forged)).rejects.toThrow('observer fault');
  });

  it('concurrent first uses of one token are verified once', async () => {
    const issued = await t.gw.tokens.issue({ userId: 'u-11', login: 'erin@acme.example', companyId: 'acme' });
    const results = await Promise.all(Array.from({ length: 8 }, () => t.gw.validator.validate(issued.token)));
    expect(results[0]).not.toBeInstanceOf(Error);
    // One verification → one cached entry object shared by every caller.
    for (const r of results) expect(r).toBe(results[0]);
  });
});
