import { randomBytes, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import type { ForwarderName } from '../../src/proxy/forwarder.js';
import { MasterKey } from '../../src/secrets/master-key.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { GatewayError } from '../../src/errors.js';
import { FakeClock } from '../support/fake-clock.js';
import { forgedKey, jweToken, nonCanonicalVariants, sealWith, v1Key, v1Token, type RawClaims } from '../support/forge.js';
import { call, type Reply } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { RedisServer } from '../support/redis-server.js';
import { lacks } from '../support/requires.js';
import { PASSPHRASE, enableAndIssue, startGateway, type TestGateway } from '../support/start-gateway.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

const FORWARDERS: ForwarderName[] = ['undici', 'http-proxy'];
const idBytes = (tokenId: string) => Buffer.from(tokenId, 'base64url');
const COMBOS = STORE_FACTORIES.flatMap((factory) => FORWARDERS.map((forwarder) => ({ factory, forwarder, name: `${factory.name}, ${forwarder}` })));

/**
 * The seal, attacked as a portfolio manager would: they know the pass phrase and the
 * key schedule, hold tokens of their own, and maybe even the master key. On both stores and both forwarders.
 */
describe.each(COMBOS)('the token seal ($name)', ({ factory, forwarder }) => {
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let up: RecordingUpstream;
  let t: TestGateway;
  let clock: FakeClock;
  let alice: Awaited<ReturnType<typeof enableAndIssue>>;
  const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');
  const now = () => Math.floor(clock.now() / 1000);
  const gen = (cid = 'acme') => t.gw.state.portfolio(cid)!.generation;
  const realKey = (cid = 'acme'): KeyObject => t.gw.state.portfolio(cid)!.key!;
  const use = (token: string): Promise<Reply> => call(t.url, '/WS2/x', { headers: { authorization: `Bearer ${token}` } });

  async function expectRefused(token: string, code: string): Promise<void> {
    const r = await use(token);
    expect(r.json()).toMatchObject({ code });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(up.requests).toHaveLength(0);
  }

  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    clock = new FakeClock();
    fresh = await freshStore(factory);
    t = await startGateway({ upstreamUrl: up.url, clock, store: fresh.store, masterKey, forwarder, config: { portfolios: { allowed: ['acme', 'globex'] } } });
    alice = await enableAndIssue(t);
    await enableAndIssue(t, 'globex', { userId: 'g-1', login: 'gina@globex.example' });
  });
  afterAll(async () => {
    await t.close();
    await fresh.close();
    await up.stop();
  });
  beforeEach(() => {
    up.requests.length = 0;
  });

  it('an issued token works (the baseline of every case below)', async () => {
    expect((await use(alice.token)).status).toBe(200);
    expect(alice.token).toMatch(/^hlgw_[A-Za-z0-9_-]+[0-9A-Za-z]{6}$/);
  });

  describe('a pass-phrase holder without the master key mints nothing', () => {
    it('the key schedule with a guessed master key: invalid seal', async () => {
      const key = await forgedKey({ passphrase: PASSPHRASE, companyId: 'acme', generation: gen() });
      await expectRefused(sealWith(key, { generation: gen() }, { userId: 'u-42', login: 'alice@acme.example', tokenId: idBytes(alice.record.tokenId) }), 'token_invalid_seal');
    });

    it('the 0.1.0 schedule (pass phrase alone) in the current format: invalid seal', async () => {
      const key = await v1Key(PASSPHRASE, 'acme');
      await expectRefused(sealWith(key, { generation: gen() }, { userId: 'g-1', login: 'x', exp: 2 ** 32 - 1 }), 'token_invalid_seal');
    });

    it('a 0.1.0-format token is 401 malformed, never 500', async () => {
      await expectRefused(await v1Token(await v1Key(PASSPHRASE, 'acme'), 'acme', gen()), 'token_malformed');
      await expectRefused(await v1Token(realKey(), 'acme', gen()), 'token_malformed');
    });

    it('a JWE of the previous format (hlgw-at+v2), even sealed with the real key, is 401 malformed', async () => {
      await expectRefused(await jweToken(realKey(), { kgen: gen() }), 'token_malformed');
    });
  });

  describe('with the master key too, only what the store issued passes', () => {
    let key: KeyObject;
    beforeAll(async () => {
      key = await forgedKey({ passphrase: PASSPHRASE, companyId: 'acme', generation: gen(), masterKey });
      // The schedule is public: with both secrets the attacker has the real key.
      expect(key.export().equals(realKey().export())).toBe(true);
    });
    const asIssued = (): RawClaims => ({ userId: alice.record.userId, login: alice.record.login, tokenId: idBytes(alice.record.tokenId), iat: alice.record.createdAt / 1000, exp: alice.record.expiresAt / 1000 });

    it.each<[string, () => RawClaims]>([
      ['a token id the store never issued', () => ({ tokenId: randomBytes(16) })],
      ["an issued token id with another user's id", () => ({ userId: 'u-1' })],
      ["an issued token id with another company's user id", () => ({ userId: 'g-1', login: 'gina@globex.example' })],
      ['an issued token id with another login', () => ({ login: 'maria@acme.example' })],
      ['an issued token id with a far expiry', () => ({ exp: 2 ** 32 - 1 })],
      ['an issued token id issued later than on record', () => ({ iat: alice.record.createdAt / 1000 + 60 })],
    ])('%s → 401', async (_name, change) => {
      await expectRefused(sealWith(key, { generation: gen() }, { ...asIssued(), ...change() }), 'token_unknown');
    });

    it('re-sealing exactly what is on record is the same token again: revoking it ends both', async () => {
      const again = sealWith(key, { generation: gen() }, asIssued());
      expect(again).not.toBe(alice.token);
      expect((await use(again)).status).toBe(200);
      const bob = await t.gw.tokens.issue({ userId: 'u-43', login: 'bob@acme.example', companyId: 'acme' });
      const bobAgain = sealWith(key, { generation: gen() }, {
        userId: 'u-43', login: 'bob@acme.example', tokenId: idBytes(bob.record.tokenId), iat: bob.record.createdAt / 1000, exp: bob.record.expiresAt / 1000,
      });
      await t.gw.tokens.revoke(bob.record.tokenId);
      up.requests.length = 0;
      await expectRefused(bob.token, 'token_revoked');
      await expectRefused(bobAgain, 'token_revoked');
    });
  });

  it('disable/enable changes the key: the old key sealing the new generation is an invalid seal', async () => {
    const before = realKey('globex');
    const oldGen = gen('globex');
    await t.gw.portfolios.update('globex', { enabled: false });
    await t.gw.portfolios.update('globex', { enabled: true });
    expect(gen('globex')).toBe(oldGen + 2);
    expect(realKey('globex').export().equals(before.export())).toBe(false);
    const fresh = await t.gw.tokens.issue({ userId: 'g-1', login: 'gina@globex.example', companyId: 'globex' });
    expect((await use(fresh.token)).status).toBe(200);
    up.requests.length = 0;
    const r = fresh.record;
    await expectRefused(sealWith(before, { companyId: 'globex', generation: gen('globex') }, {
      userId: r.userId, login: r.login, tokenId: idBytes(r.tokenId), iat: r.createdAt / 1000, exp: r.expiresAt / 1000,
    }), 'token_invalid_seal');
  });

  it('lowering durationMinutes shortens existing tokens at once, cached or never seen', async () => {
    const carol = await t.gw.tokens.issue({ userId: 'u-44', login: 'carol@acme.example', companyId: 'acme' });
    const dave = await t.gw.tokens.issue({ userId: 'u-45', login: 'dave@acme.example', companyId: 'acme' });
    expect((await use(carol.token)).status).toBe(200); // now cached
    clock.advance(10 * 60_000);
    await t.gw.portfolios.update('acme', { durationMinutes: 5 });
    up.requests.length = 0;
    await expectRefused(carol.token, 'token_expired');
    await expectRefused(dave.token, 'token_expired');
    // The duration in force caps; it never extends a token past its own expiry.
    await t.gw.portfolios.update('acme', { durationMinutes: 60 });
    expect((await use(carol.token)).status).toBe(200);
    clock.advance(51 * 60_000);
    up.requests.length = 0;
    await t.gw.portfolios.update('acme', { durationMinutes: 6000 });
    await expectRefused(carol.token, 'token_expired');
    clock.advance(-61 * 60_000);
  });

  describe('values that become headers are checked before injection, and the process lives', () => {
    // Sealed with the real key, so only the claims' own checks stand between these and a header.
    it.each<[string, RawClaims]>([
      ['CR/LF in the user id', { userId: 'u-1\r\nx-evil: 1' }],
      ['NUL in the user id', { userId: 'u-1\u0000' }],
      ['an empty user id', { userId: '' }],
      ['invalid UTF-8 in the user id (a lone surrogate, encoded)', { userId: Buffer.from([0x75, 0xed, 0xa0, 0x80]) }],
      ['CR/LF in the login', { login: 'eve@acme.example\r\nx-highlight-user-id: u-1' }],
      ['a DEL in the login', { login: 'eve\u007f@acme.example' }],
      ['a C1 control in the login', { login: 'eve\u0085@acme.example' }],
      ['a login of 513 characters', { login: `${'e'.repeat(500)}@acme.example` }],
      ['a length spelled in two bytes that fits in one', { userId: Buffer.from([0x80, 0x03, 0x75, 0x2d, 0x31]) }],
      ['unknown flag bits', { flags: 0x04 }],
      ['a replay-key flag without the key', { flags: 0x01 }],
      ["a scope list spelling ['full'] (one spelling: the flag)", { scopes: ['full'] }],
      ['an empty scope list', { scopes: [] }],
      ['a scope with a space', { scopes: ['read all'] }],
      ['a byte left over', { trailing: Buffer.from([0]) }],
    ])('%s → 401 malformed', async (_name, claims) => {
      const token = sealWith(realKey(), { generation: gen() }, { iat: now(), exp: now() + 600, ...claims });
      await expectRefused(token, 'token_malformed');
      expect((await use(alice.token)).status).toBe(200);
    });
  });

  describe('one token, one cache entry: non-canonical base64url is refused', () => {
    const variants = () => nonCanonicalVariants(alice.token);

    it('there are variants to try', () => {
      expect(variants().map(([n]) => n).join('\n')).toMatch(/padded/);
    });

    it('each variant is malformed for the validator, and none lands in the cache', async () => {
      expect((await use(alice.token)).status).toBe(200);
      const size = t.gw.validator.size;
      for (const [name, v] of variants()) {
        const r = await t.gw.validator.validate(v);
        expect(r instanceof GatewayError ? r.code : 'valid', name).toBe('token_malformed');
      }
      expect(t.gw.validator.size).toBe(size);
    });

    it('through the gateway each variant is refused (400 where RFC 6750 b64token already excludes it, else 401)', async () => {
      for (const [name, v] of variants()) {
        const r = await use(v);
        expect([400, 401], name).toContain(r.status);
        expect(['bearer_malformed', 'token_malformed'], name).toContain(r.json().code);
      }
      expect(up.requests).toHaveLength(0);
    });
  });
});

/**
 * The store cannot be asked on a miss: a token never seen is answered 503 token_store_stale
 * (retry later; not 401, which would tell a client to throw a good token away), while tokens
 * already verified keep being served from the cache without the store, and a revoked one is refused.
 */
describe('a cache miss while the store is unreachable', () => {
  let up: RecordingUpstream;
  beforeAll(async () => {
    up = await new RecordingUpstream().start();
  });
  afterAll(async () => {
    await up.stop();
  });

  async function check(t: TestGateway, breakStore: () => Promise<void>) {
    const seen = await enableAndIssue(t);
    const unseen = await t.gw.tokens.issue({ userId: 'u-50', login: 'erin@acme.example', companyId: 'acme' });
    const revoked = await t.gw.tokens.issue({ userId: 'u-51', login: 'fred@acme.example', companyId: 'acme' });
    await t.gw.tokens.revoke(revoked.record.tokenId);
    expect((await call(t.url, '/x', { headers: { authorization: `Bearer ${seen.token}` } })).status).toBe(200);
    await breakStore();
    const r = await call(t.url, '/x', { headers: { authorization: `Bearer ${unseen.token}` } });
    expect(r.status).toBe(503);
    expect(r.json()).toMatchObject({ code: 'token_store_stale' });
    // What the state decides alone needs no store: a revoked token, never seen, is still a 401.
    const gone = await call(t.url, '/x', { headers: { authorization: `Bearer ${revoked.token}` } });
    expect(gone.json()).toMatchObject({ code: 'token_revoked' });
    expect((await call(t.url, '/x', { headers: { authorization: `Bearer ${seen.token}` } })).status).toBe(200);
  }

  it('sqlite (the database closed under the gateway)', async () => {
    const store = new SqliteStore(':memory:');
    const t = await startGateway({ upstreamUrl: up.url, store });
    try {
      await check(t, () => store.close());
    } finally {
      await t.close();
    }
  });

  it.skipIf(lacks('redis-server'))('redis (the server killed)', async () => {
    const redis = await new RedisServer().start();
    const store = await RedisStore.open({ url: redis.url, log: createLogger('silent') });
    const t = await startGateway({ upstreamUrl: up.url, store, config: { store: { type: 'redis', url: redis.url, staleMaxSeconds: 60 } } });
    try {
      await check(t, () => redis.kill());
    } finally {
      await t.close();
      await store.close();
      await redis.stop();
    }
  });
});
