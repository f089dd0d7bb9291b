import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cacheKeyOf } from '../../src/token/cache-key.js';

const sha = (s: string) => hash('sha256', s, 'base64');
const A = 'hlgw_' + 'a'.repeat(60);
/** A's length, one character away: at its start, in its middle, at its end. */
const NEAR = [`b${A.slice(1)}`, `${A.slice(0, 30)}b${A.slice(31)}`, `${A.slice(0, -1)}b`];

describe('the token cache key (src/token/cache-key.ts)', () => {
  it('is SHA-256 of the whole token, with or without a connection', () => {
    expect(cacheKeyOf(A)).toBe(sha(A));
    const conn = {};
    expect(cacheKeyOf(A, conn)).toBe(sha(A));
    expect(cacheKeyOf(A, conn)).toBe(sha(A));
  });

  it('a connection reuses its last key only for that exact token', () => {
    const conn = {};
    for (const near of NEAR) {
      expect(cacheKeyOf(A, conn)).toBe(sha(A));
      expect(cacheKeyOf(near, conn)).toBe(sha(near));
      expect(cacheKeyOf(near, conn)).toBe(sha(near));
      expect(cacheKeyOf(A.slice(0, -1), conn)).toBe(sha(A.slice(0, -1)));
      expect(cacheKeyOf(`${A}a`, conn)).toBe(sha(`${A}a`));
    }
    // A token equal to the last one but another string (as every request's header is).
    expect(cacheKeyOf(A, conn)).toBe(sha(A));
    expect(cacheKeyOf(['hlgw_', 'a'.repeat(60)].join(''), conn)).toBe(sha(A));
  });

  it('connections do not share what they remember', () => {
    const one = {};
    const two = {};
    expect(cacheKeyOf(A, one)).toBe(sha(A));
    expect(cacheKeyOf(NEAR[0]!, two)).toBe(sha(NEAR[0]!));
    expect(cacheKeyOf(NEAR[0]!, one)).toBe(sha(NEAR[0]!));
    expect(cacheKeyOf(A, two)).toBe(sha(A));
  });

  it('keeps nothing on the connection object a caller can see', () => {
    const conn = {};
    cacheKeyOf(A, conn);
    expect(Object.keys(conn)).toEqual([]);
    expect(JSON.stringify(conn)).toBe('{}');
  });
});
