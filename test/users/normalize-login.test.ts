import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeLogin } from '../../src/users/normalize-login.js';

describe('normalizeLogin', () => {
  it.each([
    ['upper case', 'ALICE@ACME.EXAMPLE'],
    ['full-width letters', 'ａｌｉｃｅ@acme.example'],
    ['full-width upper case and at sign', 'ＡＬＩＣＥ＠ＡＣＭＥ.example'],
    ['decomposed accents', 'alice@acme.example'.normalize('NFD')],
  ])('%s fold to the plain login', (_name, spelling) => {
    expect(normalizeLogin(spelling)).toBe('alice@acme.example');
  });

  it('keeps composed and decomposed accents equal', () => {
    expect(normalizeLogin('Jos\u00e9@acme.example')).toBe(normalizeLogin('JOSE\u0301@acme.example'));
  });

  it('is idempotent, so a stored normalised login compares equal to itself', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => normalizeLogin(normalizeLogin(s)) === normalizeLogin(s)), { numRuns: 1000 });
  });
});
