import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqlDatabase } from '../../src/store/sqlite-driver.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { TokenRecord } from '../../src/store/types.js';

const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);

type StatementProto = { setReturnArrays?: unknown };
const nodeSqlite = process.getBuiltinModule?.('node:sqlite') as { StatementSync: { prototype: StatementProto } } | undefined;

/** Rows as arrays (SqlDatabase.prepareArrays), on the driver this Node uses and on node:sqlite as Node 22.15 has it. */
describe('SQLite rows as arrays', () => {
  const hidden: { proto?: StatementProto; method?: unknown } = {};
  afterEach(() => {
    if (hidden.proto) hidden.proto.setReturnArrays = hidden.method;
    hidden.proto = undefined;
    delete process.env.HLGW_SQLITE_DRIVER;
  });

  function check(db: SqlDatabase): void {
    try {
      db.exec("CREATE TABLE t (a TEXT, b INTEGER, c TEXT); INSERT INTO t VALUES ('x', 1, NULL), ('y', 2, 'z')");
      const one = db.prepareArrays<[string], [string, number, string | null]>('SELECT c, b, a FROM t WHERE a = ?');
      expect(one.get('x')).toEqual([null, 1, 'x']); // the SELECT's order, not the table's
      expect(one.get('nobody')).toBeUndefined();
      expect(db.prepareArrays('SELECT a, c FROM t ORDER BY a').all()).toEqual([['x', null], ['y', 'z']]);
    } finally {
      db.close();
    }
  }

  it('the driver this Node uses', () => check(openSqlite(':memory:')));

  it.skipIf(nodeSqlite === undefined)('node:sqlite without StatementSync.setReturnArrays (Node 22.15): the same arrays', () => {
    process.env.HLGW_SQLITE_DRIVER = 'node:sqlite';
    hidden.proto = nodeSqlite!.StatementSync.prototype;
    hidden.method = hidden.proto.setReturnArrays;
    expect(typeof hidden.method).toBe('function'); // what this test takes away
    hidden.proto.setReturnArrays = undefined;
    check(openSqlite(':memory:'));
  });

  it("the store's issued-id read (getTokenNow) answers the record its object reads answer, for every column", async () => {
    const store = new SqliteStore(':memory:');
    try {
      const full: TokenRecord = {
        tokenId: 'tok-1', companyId: 'acme', userId: 'u-1', login: 'ann@acme.example', generation: 3,
        createdAt: NOW, expiresAt: NOW + 3_600_000, revokedAt: null, revokedReason: null, lastUsedAt: null,
        sealedCredential: 'c1.sealed', signIn: { provider: 'acme-idp', issuer: 'https://idp.acme.example' },
        portfolioId: 'acme', name: 'ci', scopes: ['read', 'scans:upload'],
      };
      await store.insertToken(full, { revokePreviousOfUser: false, now: NOW });
      await store.touchTokens(new Map([['tok-1', { at: NOW + 5, ip: '203.0.113.7' }]]));
      await store.revokeToken('tok-1', NOW + 9, 'leaked');
      const listed = (await store.listTokens('acme'))[0]!; // SELECT * as objects
      expect(listed).toMatchObject({ lastUsedAt: NOW + 5, lastUsedIp: '203.0.113.7', revokedAt: NOW + 9, revokedReason: 'leaked', scopes: ['read', 'scans:upload'] });
      expect(store.getTokenNow('tok-1')).toEqual(listed);
      expect(await store.getToken('tok-1')).toEqual(listed);
      expect(store.getTokenNow('nope')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
