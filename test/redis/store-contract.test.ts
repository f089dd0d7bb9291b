import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeOrigin, LoginAttemptStore, OutboxEvent, PortfolioRecord, SigningKeyRecord, StateChange, Store, TokenRecord } from '../../src/store/types.js';
import { STORE_FACTORIES, redisClusterFactory, type StoreLocation } from '../support/stores.js';
import { lacks } from '../support/requires.js';
import { ClusterSet } from '../support/redis-topologies.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const HOUR = 3_600_000;

function portfolio(companyId: string, generation: number, enabled = true): PortfolioRecord {
  return { companyId, enabled, generation, durationMinutes: 60, sealedKey: 'sealed', updatedAt: NOW };
}

function token(tokenId: string, userId: string, o: Partial<TokenRecord> = {}): TokenRecord {
  return {
    tokenId, companyId: 'acme', userId, login: `${userId}@acme.example`, generation: 1,
    createdAt: NOW, expiresAt: NOW + HOUR, revokedAt: null, revokedReason: null, lastUsedAt: null, ...o,
  };
}

function event(id: string, o: Partial<OutboxEvent> = {}): OutboxEvent {
  return { id, type: 'token.created', at: NOW, companyId: 'acme', data: { token_id: id, expires_at: NOW + HOUR }, ...o };
}

/** Redis Cluster (3 primaries, `redis-cli --cluster create`), started on first use by this file. */
let cluster: Promise<ClusterSet> | undefined;
const CLUSTER = redisClusterFactory(() => (cluster ??= new ClusterSet(3, 0).start()));
afterAll(async () => (await cluster)?.stop());
const FACTORIES = lacks('redis-cli') || lacks('redis-server') ? STORE_FACTORIES : [...STORE_FACTORIES, CLUSTER];

/**
 * The Store's promises, one describe per role (src/store/types.ts), the same on every store
 * (test/support/stores.ts lists them) and on a Redis Cluster.
 */
describe.each(FACTORIES)('Store contract: $name', (factory) => {
  let location: StoreLocation;
  let store: Store;
  let changes: StateChange[];

  beforeEach(async () => {
    location = await factory.prepare();
    store = await location.open();
    changes = [];
    store.onChange((c) => changes.push(c));
  });

  afterEach(async () => {
    await store.close();
    await location.dispose();
  });

  /** Portfolio policies, the operator's access decisions, learned company edges. */
  describe('PortfolioStore', () => {
    it('portfolios: put, get, list; every write announced to this instance at once', async () => {
      expect(await store.getPortfolio('acme')).toBeUndefined();
      await store.putPortfolio(portfolio('acme', 1));
      await store.putPortfolio(portfolio('globex', 3, false));
      await store.putPortfolio(portfolio('acme', 2));
      expect(await store.getPortfolio('acme')).toEqual(portfolio('acme', 2));
      expect((await store.listPortfolios()).sort((a, b) => a.companyId.localeCompare(b.companyId))).toEqual([portfolio('acme', 2), portfolio('globex', 3, false)]);
      expect(changes.map((c) => c.kind === 'portfolio' && c.record.generation)).toEqual([1, 3, 2]);
      await store.putPortfolio({ ...portfolio('acme', 2), allowedScopes: ['read'] });
      expect((await store.getPortfolio('acme'))?.allowedScopes).toEqual(['read']);
    });

    it('the operator\'s access decisions: put, list (last one wins), each announced; voids kept on the portfolio', async () => {
      expect(await store.listAccess()).toEqual([]);
      await store.putAccess({ companyId: 'acme', allowed: true, updatedAt: NOW });
      await store.putAccess({ companyId: 'globex', allowed: true, updatedAt: NOW });
      await store.putAccess({ companyId: 'acme', allowed: false, updatedAt: NOW + 1 });
      expect((await store.listAccess()).sort((a, b) => a.companyId.localeCompare(b.companyId))).toEqual([
        { companyId: 'acme', allowed: false, updatedAt: NOW + 1 },
        { companyId: 'globex', allowed: true, updatedAt: NOW },
      ]);
      expect(changes.map((c) => c.kind === 'access' && [c.record.companyId, c.record.allowed])).toEqual([['acme', true], ['globex', true], ['acme', false]]);
      const voided = { ...portfolio('acme', 2), voids: [{ generation: 2, at: NOW, reason: 'denied' as const }] };
      await store.putPortfolio(voided);
      expect(await store.getPortfolio('acme')).toEqual(voided);
    });

    it('learned company edges: one version per chain, increasing; last write per company wins; each chain announced', async () => {
      expect(await store.listCompanyEdges()).toEqual([]);
      const first = await store.putCompanyEdges([{ companyId: 'emea', parent: 'holding' }, { companyId: 'emea-fr', parent: 'emea' }], NOW);
      const second = await store.putCompanyEdges([{ companyId: 'emea', parent: null }], NOW + 1);
      expect(new Set(first.map((e) => e.version)).size).toBe(1);
      expect(second[0]!.version).toBeGreaterThan(first[0]!.version);
      expect((await store.listCompanyEdges()).sort((a, b) => a.companyId.localeCompare(b.companyId))).toEqual([
        { companyId: 'emea', parent: null, version: second[0]!.version, updatedAt: NOW + 1 },
        { companyId: 'emea-fr', parent: 'emea', version: first[0]!.version, updatedAt: NOW },
      ]);
      expect(changes).toEqual([{ kind: 'company', edges: first }, { kind: 'company', edges: second }]);
    });

    it('learned company edges keep which source placed them; an edge written without one reads back without', async () => {
      const [placed] = await store.putCompanyEdges([{ companyId: 'emea', parent: 'holding', placedBy: 'sso:acme-idp' }], NOW);
      const [legacy] = await store.putCompanyEdges([{ companyId: 'apac', parent: null }], NOW);
      expect(placed).toMatchObject({ placedBy: 'sso:acme-idp' });
      const listed = await store.listCompanyEdges();
      expect(listed.find((e) => e.companyId === 'emea')).toEqual({ companyId: 'emea', parent: 'holding', placedBy: 'sso:acme-idp', version: placed!.version, updatedAt: NOW });
      expect(listed.find((e) => e.companyId === 'apac')).toEqual({ companyId: 'apac', parent: null, version: legacy!.version, updatedAt: NOW });
      expect(changes).toContainEqual({ kind: 'company', edges: [placed] });
    });
  });

  /** Token records: issue, read, list, revoke, last use. */
  describe('TokenStore', () => {
    it('insert, get, list newest first; renewal revokes the user\'s other active tokens atomically', async () => {
      expect(await store.insertToken(token('t1', 'u1'), { revokePreviousOfUser: true, now: NOW })).toEqual([]);
      await store.insertToken(token('t0', 'u1', { expiresAt: NOW - 1 }), { revokePreviousOfUser: false, now: NOW }); // expired
      await store.insertToken(token('t2', 'u2', { createdAt: NOW + 1 }), { revokePreviousOfUser: true, now: NOW });
      const revoked = await store.insertToken(token('t3', 'u1', { createdAt: NOW + 2 }), { revokePreviousOfUser: true, now: NOW + 5 });
      expect(revoked).toEqual(['t1']);
      expect(changes).toEqual([{ kind: 'revoked', tokenId: 't1', expiresAt: NOW + HOUR }]);
      expect(await store.getToken('t1')).toMatchObject({ revokedAt: NOW + 5, revokedReason: 'renewed' });
      expect(await store.getToken('t3')).toEqual(token('t3', 'u1', { createdAt: NOW + 2 }));
      expect(await store.getToken('nope')).toBeUndefined();
      expect((await store.listTokens('acme')).map((t) => t.tokenId)).toEqual(['t3', 't2', 't1', 't0']);
      expect((await store.listTokens('acme', 'u1')).map((t) => t.tokenId)).toEqual(['t3', 't1', 't0']);
      expect(await store.listTokens('globex')).toEqual([]);
    });

    it('how the owner signed in: an SSO token keeps its provider and issuer, a password token has none', async () => {
      const sso = token('s1', 'u9', { signIn: { provider: 'acme-idp', issuer: 'https://idp.acme.example' } });
      await store.insertToken(sso, { revokePreviousOfUser: true, now: NOW });
      await store.insertToken(token('p1', 'u8'), { revokePreviousOfUser: true, now: NOW });
      expect(await store.getToken('s1')).toEqual(sso);
      expect((await store.getToken('p1'))?.signIn).toBeUndefined();
      expect((await store.listTokens('acme', 'u9'))[0]?.signIn).toEqual(sso.signIn);
      const session = {
        idHash: 'h'.repeat(43), userId: 'u9', login: 'sso@acme.example', companyId: 'acme', manager: false,
        createdAt: NOW, lastSeenAt: NOW, expiresAt: NOW + HOUR, signIn: { provider: 'acme-idp', issuer: 'https://idp.acme.example' },
      };
      await store.putSession(session);
      expect(await store.getSession(session.idHash)).toEqual(session);
    });

    it('revoke: true once, false when already revoked or unknown; listRevoked drops the expired', async () => {
      await store.insertToken(token('t1', 'u1'), { revokePreviousOfUser: false, now: NOW });
      await store.insertToken(token('t2', 'u2', { expiresAt: NOW + 10 }), { revokePreviousOfUser: false, now: NOW });
      expect(await store.revokeToken('t1', NOW + 1)).toBe(true);
      expect(await store.revokeToken('t1', NOW + 2)).toBe(false);
      expect(await store.revokeToken('unknown', NOW)).toBe(false);
      expect(await store.revokeToken('t2', NOW + 3)).toBe(true);
      expect(changes).toEqual([
        { kind: 'revoked', tokenId: 't1', expiresAt: NOW + HOUR },
        { kind: 'revoked', tokenId: 't2', expiresAt: NOW + 10 },
      ]);
      expect(await store.getToken('t1')).toMatchObject({ revokedAt: NOW + 1, revokedReason: 'revoked' });
      expect((await store.listRevoked(NOW)).sort((a, b) => a.tokenId.localeCompare(b.tokenId))).toEqual([
        { tokenId: 't1', expiresAt: NOW + HOUR }, { tokenId: 't2', expiresAt: NOW + 10 },
      ]);
      expect(await store.listRevoked(NOW + 10)).toEqual([{ tokenId: 't1', expiresAt: NOW + HOUR }]);
    });

    it('revoke with a reason: a reparented token reads back as such', async () => {
      await store.insertToken(token('t1', 'u1'), { revokePreviousOfUser: false, now: NOW });
      expect(await store.revokeToken('t1', NOW + 1, 'reparented')).toBe(true);
      expect(await store.getToken('t1')).toMatchObject({ revokedAt: NOW + 1, revokedReason: 'reparented' });
      expect(changes).toEqual([{ kind: 'revoked', tokenId: 't1', expiresAt: NOW + HOUR }]);
    });

    it('touchTokens keeps the latest last use with its address and ignores unknown ids', async () => {
      await store.insertToken(token('t1', 'u1'), { revokePreviousOfUser: false, now: NOW });
      await store.touchTokens(new Map([['t1', { at: NOW + 100, ip: '203.0.113.7' }], ['ghost', { at: NOW, ip: null }]]));
      await store.touchTokens(new Map([['t1', { at: NOW + 50, ip: '198.51.100.1' }]]));
      expect(await store.getToken('t1')).toMatchObject({ lastUsedAt: NOW + 100, lastUsedIp: '203.0.113.7' });
      await store.touchTokens(new Map([['t1', { at: NOW + 200, ip: null }]]));
      expect(await store.getToken('t1')).toMatchObject({ lastUsedAt: NOW + 200, lastUsedIp: '203.0.113.7' });
      expect(await store.getToken('ghost')).toBeUndefined();
    });

    it('named tokens: name and scopes kept; renewal of the personal token never touches them', async () => {
      const ci = token('n1', 'u1', { name: 'ci', scopes: ['read', 'upload'] });
      await store.insertToken(ci, { revokePreviousOfUser: false, now: NOW, maxNamed: 10 });
      await store.insertToken(token('p1', 'u1'), { revokePreviousOfUser: true, now: NOW });
      expect(await store.insertToken(token('p2', 'u1', { createdAt: NOW + 1 }), { revokePreviousOfUser: true, now: NOW + 1 })).toEqual(['p1']);
      expect(await store.getToken('n1')).toEqual(ci);
      expect((await store.getToken('p2'))?.name).toBeUndefined();
    });

    it('named tokens: a live name is refused, a revoked, expired or older-generation one frees it; the limit counts live ones', async () => {
      const named = (id: string, name: string, o: Partial<TokenRecord> = {}) => token(id, 'u1', { name, scopes: ['read'], ...o });
      const opts = { revokePreviousOfUser: false, now: NOW, maxNamed: 3 };
      await store.insertToken(named('a', 'one'), opts);
      await expect(store.insertToken(named('a2', 'one'), opts)).rejects.toMatchObject({ code: 'name_taken' });
      expect(await store.getToken('a2')).toBeUndefined();
      await store.revokeToken('a', NOW);
      await store.insertToken(named('a3', 'one'), opts);
      await store.insertToken(named('b', 'two', { expiresAt: NOW - 1 }), opts); // expired: not counted
      await store.insertToken(named('c', 'two', { generation: 0 }), opts); // voided generation: not counted
      await store.insertToken(named('d', 'two'), opts);
      await store.insertToken(named('e', 'three'), opts);
      await expect(store.insertToken(named('f', 'four'), opts)).rejects.toMatchObject({ code: 'too_many_tokens' });
      // Another user has their own limit and their own names.
      await store.insertToken(token('g', 'u2', { name: 'one' }), opts);
      expect((await store.listTokens('acme', 'u1')).map((t) => t.tokenId).sort()).toEqual(['a', 'a3', 'b', 'c', 'd', 'e']);
    });

    it('named tokens: parallel creates can neither pass the limit nor share a name', async () => {
      const opts = { revokePreviousOfUser: false, now: NOW, maxNamed: 3 };
      const many = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.insertToken(token(`x${i}`, 'u1', { name: `n${i}` }), opts)));
      expect(many.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      expect(many.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as { code: string }).map((e) => e.code)).toEqual(Array(5).fill('too_many_tokens'));
      const same = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => store.insertToken(token(`y${i}`, 'u2', { name: 'deploy' }), opts)));
      expect(same.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((await store.listTokens('acme', 'u2')).map((t) => t.name)).toEqual(['deploy']);
    });
  });

  /** Assertion signing keys, shared by every instance. */
  describe('SigningKeyStore', () => {
    it('signing keys: every one listed, retired included; a put with a known kid replaces it', async () => {
      const key = (kid: string, alg: SigningKeyRecord['alg'], activeFrom: number, retiredAt: number | null = null): SigningKeyRecord => ({
        kid, alg, publicJwk: JSON.stringify({ kid }), sealedPrivateKey: `sealed:${kid}`, createdAt: NOW, activeFrom, retiredAt,
      });
      expect(await store.listSigningKeys()).toEqual([]);
      await store.putSigningKey(key('k1', 'EdDSA', NOW));
      await store.putSigningKey(key('k2', 'ES256', NOW + HOUR));
      await store.putSigningKey(key('k1', 'EdDSA', NOW, NOW + HOUR)); // a rotation retires k1: same kid, replaced
      expect((await store.listSigningKeys()).sort((a, b) => a.kid.localeCompare(b.kid))).toEqual([
        key('k1', 'EdDSA', NOW, NOW + HOUR), key('k2', 'ES256', NOW + HOUR),
      ]);
    });
  });

  /** The audit trail: append-only, newest first. */
  describe('AuditStore', () => {
    it('audit: per portfolio, newest first, with a cursor', async () => {
      for (let i = 0; i < 5; i++) {
        await store.appendAudit({ at: NOW + i, companyId: 'acme', actor: 'maria', action: 'token.issue', detail: { n: i }, clientAddress: '127.0.0.1' });
      }
      await store.appendAudit({ at: NOW, companyId: 'globex', actor: 'operator', action: 'policy.update', detail: {}, clientAddress: null });
      const p1 = await store.listAudit('acme', { limit: 2 });
      expect(p1.events.map((e) => e.detail.n)).toEqual([4, 3]);
      expect(p1.events[0]).toMatchObject({ at: NOW + 4, companyId: 'acme', actor: 'maria', action: 'token.issue', clientAddress: '127.0.0.1' });
      const p2 = await store.listAudit('acme', { limit: 2, before: p1.next! });
      const p3 = await store.listAudit('acme', { limit: 2, before: p2.next! });
      expect([...p2.events, ...p3.events].map((e) => e.detail.n)).toEqual([2, 1, 0]);
      expect(p3.next).toBeNull();
      expect((await store.listAudit('globex', { limit: 10 })).events).toHaveLength(1);
    });
  });

  /** Failed-login budgets, shared by every worker and instance. */
  describe('LoginAttemptStore', () => {
    const login = { key: 'l:alice', max: 3, windowMs: 60_000 };
    const address = { key: 'a:nat', max: 5, windowMs: 120_000 };
    const reserve = (member: string, now = NOW, s: LoginAttemptStore = store) => s.reserveLoginAttempt({ member, budgets: [login, address], now });

    it('reserves up to max, then answers the wait until the oldest slot frees, writing nothing', async () => {
      expect(await reserve('m1', NOW)).toBe(0);
      expect(await reserve('m2', NOW + 1_000)).toBe(0);
      expect(await reserve('m3', NOW + 2_000)).toBe(0);
      expect(await reserve('m4', NOW + 10_000)).toBe(50_000);
      // The refusal left the address budget alone: 2 more fit there for another login.
      const other = { ...login, key: 'l:bob' };
      expect(await store.reserveLoginAttempt({ member: 'b1', budgets: [other, address], now: NOW + 10_000 })).toBe(0);
      expect(await store.reserveLoginAttempt({ member: 'b2', budgets: [other, address], now: NOW + 10_000 })).toBe(0);
      expect(await store.reserveLoginAttempt({ member: 'b3', budgets: [other, address], now: NOW + 10_000 })).toBe(110_000);
      // Both budgets are full: the later one to free decides (login: m1 at NOW + 60 s; address: m1 at NOW + 120 s).
      expect(await reserve('m5', NOW + 59_999)).toBe(60_001);
      await store.settleLoginAttempt({ release: [{ key: address.key, member: 'm1' }], clear: [] });
      expect(await reserve('m5', NOW + 59_999)).toBe(1);
      // The window slides: m1 leaves the login budget at NOW + 60 s exactly.
      expect(await reserve('m5', NOW + 60_000)).toBe(0);
    });

    it('settle: release gives one slot back, clear empties a budget', async () => {
      for (const m of ['m1', 'm2', 'm3']) expect(await reserve(m)).toBe(0);
      await store.settleLoginAttempt({ release: [{ key: login.key, member: 'm2' }], clear: [] });
      expect(await reserve('m4')).toBe(0);
      expect(await reserve('m5')).toBeGreaterThan(0);
      await store.settleLoginAttempt({ release: [], clear: [login.key] });
      expect(await reserve('m6')).toBe(0); // the address has 5 of 5 now
      expect(await reserve('m7')).toBeGreaterThan(0);
    });

    it('two handles on the same data (two workers) racing: never more than max reserved', async () => {
      const second = await location.open();
      try {
        const waits = await Promise.all(Array.from({ length: 20 }, (_, i) => reserve(`r${i}`, NOW, i % 2 === 0 ? store : second)));
        expect(waits.filter((w) => w === 0)).toHaveLength(3);
      } finally {
        await second.close();
      }
    });
  });

  /** Portal sessions and the SSO one-time records. */
  describe('SessionStore', () => {
    it('a user\'s sessions: found by user id with their password mark, a touch keeps it, a delete says whether it deleted', async () => {
      const session = (n: string, userId: string, extra: Record<string, unknown> = {}) => ({
        idHash: n.repeat(43), userId, login: `${userId}@acme.example`, companyId: 'acme', manager: false,
        createdAt: NOW, lastSeenAt: NOW, expiresAt: NOW + HOUR, ...extra,
      });
      const a1 = session('a', 'u-sess-1', { passwordMark: 'm'.repeat(22) });
      const a2 = session('b', 'u-sess-1', { manager: true });
      const other = session('c', 'u-sess-2');
      for (const s of [a1, a2, other]) await store.putSession(s);
      await store.putSession({ ...a1, lastSeenAt: NOW + 5, expiresAt: NOW + HOUR + 5 }); // a touch
      const mine = await store.listSessionsOfUser('u-sess-1');
      expect(mine.sort((x, y) => (x.idHash < y.idHash ? -1 : 1))).toEqual([{ ...a1, lastSeenAt: NOW + 5, expiresAt: NOW + HOUR + 5 }, a2]);
      expect(await store.deleteSession(a1.idHash)).toBe(true);
      expect(await store.deleteSession(a1.idHash)).toBe(false);
      expect(await store.listSessionsOfUser('u-sess-1')).toEqual([a2]);
      expect(await store.listSessionsOfUser('u-sess-2')).toEqual([other]);
      expect(await store.listSessionsOfUser('nobody')).toEqual([]);
    });

    it('a login\'s sessions: found by the login whatever user id they name, not by another login, gone once deleted', async () => {
      const session = (n: string, userId: string, login: string) => ({
        idHash: n.repeat(43), userId, login, companyId: 'acme', manager: false, createdAt: NOW, lastSeenAt: NOW, expiresAt: NOW + HOUR,
      });
      const old = session('d', 'u-login-1', 'Kim@acme.example');
      const renumbered = session('e', 'u-login-2', 'Kim@acme.example');
      const otherLogin = session('f', 'u-login-1', 'kim@acme.example');
      for (const s of [old, renumbered, otherLogin]) await store.putSession(s);
      const byIdHash = (x: { idHash: string }, y: { idHash: string }) => (x.idHash < y.idHash ? -1 : 1);
      expect((await store.listSessionsOfLogin('Kim@acme.example')).sort(byIdHash)).toEqual([old, renumbered]);
      expect(await store.listSessionsOfLogin('kim@acme.example')).toEqual([otherLogin]);
      expect(await store.deleteSession(old.idHash)).toBe(true);
      expect(await store.listSessionsOfLogin('Kim@acme.example')).toEqual([renumbered]);
      expect(await store.listSessionsOfLogin('nobody@acme.example')).toEqual([]);
    });

    it('one-time records (SSO pending sign-ins, seen SAML assertions): put if absent, taken once, per kind, not after expiry', async () => {
      expect(await store.putOnce('sso-pending', 'h1', '{"a":1}', NOW + HOUR, NOW)).toBe(true);
      expect(await store.putOnce('sso-pending', 'h1', 'other', NOW + HOUR, NOW + 1)).toBe(false); // live: not replaced
      expect(await store.putOnce('saml-assertion', 'h1', '1', NOW + HOUR, NOW)).toBe(true); // kinds do not collide
      expect(await store.takeOnce('sso-pending', 'h1', NOW + 2)).toBe('{"a":1}');
      expect(await store.takeOnce('sso-pending', 'h1', NOW + 3)).toBeUndefined();
      expect(await store.takeOnce('sso-pending', 'never-put', NOW)).toBeUndefined();
      // Taken at or after its expiry (by the caller's clock): gone, and not given out.
      await store.putOnce('sso-pending', 'h2', 'late', NOW + 10, NOW);
      expect(await store.takeOnce('sso-pending', 'h2', NOW + 10)).toBeUndefined();
    });

    it('one-time records: of two handles (two workers) taking or putting the same record at once, exactly one wins', async () => {
      const second = await location.open();
      try {
        await store.putOnce('sso-pending', 'race', 'v', NOW + HOUR, NOW);
        const takes = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store : second).takeOnce('sso-pending', 'race', NOW)));
        expect(takes.filter((t) => t === 'v')).toHaveLength(1);
        const puts = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store : second).putOnce('saml-assertion', 'race', '1', NOW + HOUR, NOW)));
        expect(puts.filter(Boolean)).toHaveLength(1);
      } finally {
        await second.close();
      }
    });
  });

  /** What this instance hears of durable writes (other instances: the Redis block below). */
  describe('ChangeFeed', () => {
    it('own writes reach every listener by the time they resolve, without an origin; an unsubscribed listener hears no more', async () => {
      const heard: [StateChange, ChangeOrigin | undefined][] = [];
      const stop = store.onChange((c, origin) => heard.push([c, origin]));
      const allow = { companyId: 'acme', allowed: true, updatedAt: NOW };
      await store.putAccess(allow);
      expect(heard).toEqual([[{ kind: 'access', record: allow }, undefined]]);
      stop();
      await store.putAccess({ ...allow, allowed: false, updatedAt: NOW + 1 });
      expect(heard).toHaveLength(1);
      expect(changes.map((c) => c.kind === 'access' && c.record.allowed)).toEqual([true, false]); // the other listener still hears
    });

    it('a connection only on a store shared by instances (Redis), up once the store is open', () => {
      if (factory.name === 'sqlite') expect(store.connection).toBeUndefined();
      else expect(store.connection?.up).toBe(true);
    });
  });

  /** What the process itself needs: type, ping, close (a restart). */
  /** The webhook outbox: written by the changes themselves, claimed with a lease, settled or deferred. */
  describe('Outbox', () => {
    it('a token write queues its events in the same step; a renewal adds token.revoked (renewed) for each token it revoked', async () => {
      await store.insertToken(token('t1', 'u1'), { revokePreviousOfUser: true, now: NOW, announce: { events: [event('e1')], renewedIdPrefix: 'r1.' } });
      await store.insertToken(token('t2', 'u1', { createdAt: NOW + 1 }), { revokePreviousOfUser: true, now: NOW + 1, announce: { events: [event('e2', { at: NOW + 1 })], renewedIdPrefix: 'r2.' } });
      await store.insertToken(token('t3', 'u3'), { revokePreviousOfUser: false, now: NOW }); // no announcement: nothing queued
      expect(await store.outboxDepth()).toBe(3);
      const claimed = await store.claimOutbox(NOW + 1, 60_000, 10);
      expect(claimed.map((e) => e.event.id).sort()).toEqual(['e1', 'e2', 'r2.t1']);
      expect(claimed.find((e) => e.event.id === 'r2.t1')).toEqual({
        event: { id: 'r2.t1', type: 'token.revoked', at: NOW + 1, companyId: 'acme', data: { token_id: 't1', user_id: 'u1', login: 'u1@acme.example', company_id: 'acme', reason: 'renewed', expires_at: NOW + HOUR } },
        attempts: 0, delivered: [],
      });
      expect(claimed.find((e) => e.event.id === 'e1')).toEqual({ event: event('e1'), attempts: 0, delivered: [] });
    });

    it('a revocation queues its events only when it revoked; a policy write queues its own', async () => {
      await store.insertToken(token('t1', 'u1'), { revokePreviousOfUser: false, now: NOW });
      expect(await store.revokeToken('t1', NOW, 'revoked', [event('v1', { type: 'token.revoked' })])).toBe(true);
      expect(await store.revokeToken('t1', NOW, 'revoked', [event('v2', { type: 'token.revoked' })])).toBe(false);
      await store.putPortfolio(portfolio('acme', 2), [event('p1', { type: 'policy.changed', data: { enabled: true } })]);
      expect((await store.claimOutbox(NOW, 1000, 10)).map((e) => e.event.id).sort()).toEqual(['p1', 'v1']);
    });

    it('a claim leases: nothing claimed twice before the lease ends; deferred keeps progress; settled is gone', async () => {
      await store.putPortfolio(portfolio('acme', 1), [event('a'), event('b', { at: NOW + 1 })]);
      await store.putPortfolio(portfolio('globex', 1), [event('c', { companyId: 'globex' })]);
      expect(await store.claimOutbox(NOW - 1, 1000, 10)).toEqual([]); // not due yet
      const first = await store.claimOutbox(NOW + 1, 1000, 2);
      expect(first).toHaveLength(2);
      const rest = await store.claimOutbox(NOW + 1, 1000, 10);
      expect([...first, ...rest].map((e) => e.event.id).sort()).toEqual(['a', 'b', 'c']);
      expect(await store.claimOutbox(NOW + 999, 1000, 10)).toEqual([]); // leased
      const a = [...first, ...rest].find((e) => e.event.id === 'a')!;
      await store.deferOutbox({ ...a, attempts: 1, delivered: ['https://x.example/hook'] }, NOW + 5000);
      for (const e of [...first, ...rest].filter((x) => x.event.id !== 'a')) await store.settleOutbox(e);
      expect(await store.outboxDepth()).toBe(1);
      expect(await store.claimOutbox(NOW + 4999, 1000, 10)).toEqual([]);
      expect(await store.claimOutbox(NOW + 5000, 1000, 10)).toEqual([{ event: event('a'), attempts: 1, delivered: ['https://x.example/hook'] }]);
      await store.settleOutbox(a);
      await store.deferOutbox(a, NOW); // a settled entry never comes back
      expect(await store.outboxDepth()).toBe(0);
      expect(await store.claimOutbox(NOW + 10_000_000, 1000, 10)).toEqual([]);
    });

    it('expiring tokens: listed in the window, unrevoked only; one event per (token, lead) however often asked', async () => {
      await store.insertToken(token('soon', 'u1', { expiresAt: NOW + 10 * 60_000 }), { revokePreviousOfUser: false, now: NOW });
      await store.insertToken(token('later', 'u2', { expiresAt: NOW + 2 * HOUR }), { revokePreviousOfUser: false, now: NOW });
      await store.insertToken(token('gone', 'u3', { expiresAt: NOW + 60_000 }), { revokePreviousOfUser: false, now: NOW });
      await store.revokeToken('gone', NOW);
      expect((await store.listExpiringTokens(NOW, HOUR)).map((t) => t.tokenId)).toEqual(['soon']);
      expect((await store.listExpiringTokens(NOW, 3 * HOUR)).map((t) => t.tokenId).sort()).toEqual(['later', 'soon']);
      const mark = { tokenId: 'soon', leadMinutes: 60, keepUntil: NOW + 10 * 60_000 };
      expect(await store.enqueueOnce(mark, event('x1', { type: 'token.expiring' }))).toBe(true);
      expect(await store.enqueueOnce(mark, event('x2', { type: 'token.expiring' }))).toBe(false);
      expect(await store.enqueueOnce({ ...mark, leadMinutes: 5 }, event('x3', { type: 'token.expiring' }))).toBe(true);
      expect((await store.claimOutbox(NOW, 1000, 10)).map((e) => e.event.id).sort()).toEqual(['x1', 'x3']);
    });

    it('survives a restart: queued events are there when the store is opened again', async () => {
      await store.putPortfolio(portfolio('acme', 1), [event('p1')]);
      await store.close();
      store = await location.open();
      expect((await store.claimOutbox(NOW, 1000, 10)).map((e) => e.event.id)).toEqual(['p1']);
    });
  });

  describe('Store', () => {
    it('names its type and answers a ping', async () => {
      expect(store.type).toBe(factory.name === 'sqlite' ? 'sqlite' : 'redis');
      await store.ping();
    });

    it('survives a restart: everything acknowledged is there when the store is opened again', async () => {
      await store.putPortfolio(portfolio('acme', 4));
      await store.insertToken(token('t1', 'u1'), { revokePreviousOfUser: false, now: NOW });
      await store.revokeToken('t1', NOW);
      await store.close();
      store = await location.open();
      expect(await store.getPortfolio('acme')).toEqual(portfolio('acme', 4));
      expect(await store.listRevoked(NOW)).toEqual([{ tokenId: 't1', expiresAt: NOW + HOUR }]);
    });
  });
});

/**
 * Only a shared store has other instances to tell: Redis pushes every change to them. On a
 * Cluster the order holds per portfolio (one slot, one primary), not across portfolios.
 */
describe.skipIf(lacks('redis-server'))('ChangeFeed: Redis store shared by instances', () => {
  describe.each(FACTORIES.filter((f) => f.name.startsWith('redis')))('$name', (factory) => {
    let location: StoreLocation;
    let store: Store;

    beforeEach(async () => {
      location = await factory.prepare();
      store = await location.open();
    });

    afterEach(async () => {
      await store.close();
      await location.dispose();
    });

    it('a second instance on the same data receives every change, with its publish time', async () => {
      const other = await location.open();
      const seen: [StateChange, ChangeOrigin | undefined][] = [];
      other.onChange((c, o) => seen.push([c, o]));
      try {
        await store.putPortfolio(portfolio('acme', 1));
        await store.insertToken(token('t1', 'u1'), { revokePreviousOfUser: true, now: NOW });
        await store.insertToken(token('t2', 'u1'), { revokePreviousOfUser: true, now: NOW });
        await store.insertToken(token('t3', 'u2'), { revokePreviousOfUser: false, now: NOW });
        await store.revokeToken('t3', NOW);
        await store.putPortfolio(portfolio('globex', 7));
        const edges = await store.putCompanyEdges([{ companyId: 'emea', parent: 'acme' }], NOW);
        await other.connection!.confirmPush(); // every message published before this has arrived
        expect(seen.filter(([c]) => c.kind === 'company').map(([c]) => c)).toEqual([{ kind: 'company', edges }]);
        seen.splice(seen.findIndex(([c]) => c.kind === 'company'), 1);
        const globex = seen.filter(([c]) => c.kind === 'portfolio' && c.record.companyId === 'globex');
        expect(globex.map(([c]) => c)).toEqual([{ kind: 'portfolio', record: portfolio('globex', 7) }]);
        expect(seen.filter((s) => !globex.includes(s)).map(([c]) => c)).toEqual([
          { kind: 'portfolio', record: portfolio('acme', 1) },
          { kind: 'revoked', tokenId: 't1', expiresAt: NOW + HOUR },
          { kind: 'revoked', tokenId: 't3', expiresAt: NOW + HOUR },
        ]);
        for (const [, o] of seen) expect(o?.publishedAt).toBeTypeOf('number');
      } finally {
        await other.close();
      }
    });
  });
});
