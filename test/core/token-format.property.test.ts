import { createSecretKey, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { GatewayError } from '../../src/errors.js';
import { hasValidChecksum, tokenChecksum } from '../../src/token/checksum.js';
import { DEFAULT_TOKEN_PREFIX, FULL_SCOPES, type TokenClaims } from '../../src/token/format.js';
import { mintToken, newTokenId } from '../../src/token/mint.js';
import { openToken } from '../../src/token/open-token.js';
import { scannerPattern, TOKEN_MAX_CHARS } from '../../src/token/scanner-pattern.js';
import type { VerificationState } from '../../src/token/verification-state.js';

/**
 * The wire format on its own (src/token/format.ts): what is minted opens to the same claims, for
 * any claims the gateway can issue; the published scanner pattern finds every token and the
 * checksum tells real tokens from random strings of the same shape.
 */
const key = createSecretKey(randomBytes(32));
const NOW = 1_800_000_000;
function stateFor(companyId: string, generation: number): VerificationState {
  const p = { companyId, enabled: true, generation, durationMinutes: 60, key };
  return { portfolio: (c) => (c === companyId ? p : undefined), isAllowed: () => true, isDeniedByOperator: () => false, isRevoked: () => false, revoke: () => undefined };
}

const B64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];
const BASE62 = [...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'];
/** A user id or login the gateway issues for: no controls, no lone surrogates, 1 to 512 UTF-16 units. */
const identity = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 })
  .filter((s) => s.length <= 512 && !/[\u0000-\u001f\u007f-\u009f]/.test(s));
const companyId = fc.string({ unit: fc.constantFrom(...B64URL), minLength: 1, maxLength: 64 });
const scopes = fc.oneof(fc.constant(FULL_SCOPES), fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_.:-]{0,20}$/), { minLength: 1, maxLength: 5 }));
const prefix = fc.oneof(fc.constant(DEFAULT_TOKEN_PREFIX), fc.stringMatching(/^[a-z0-9_]{1,15}_$/));
const input = fc.record({
  companyId, generation: fc.integer({ min: 1, max: 0xffff_ffff }), userId: identity, login: identity, scopes, prefix,
  validitySeconds: fc.integer({ min: 60, max: 400 * 86400 }), replayKey: fc.option(fc.constant(null).map(() => randomBytes(32).toString('base64url')), { nil: undefined }),
});

describe('the token wire format', () => {
  it('every minted token opens to exactly its claims', async () => {
    await fc.assert(fc.asyncProperty(input, async (i) => {
      const { token, claims } = await mintToken({ ...i, key, now: NOW });
      const opened = await openToken(token, stateFor(i.companyId, i.generation), NOW, 0, i.prefix);
      const expected: TokenClaims = { ...claims, portfolioId: i.companyId };
      expect(opened).toEqual(expected);
      expect(token.startsWith(i.prefix)).toBe(true);
      expect(hasValidChecksum(token)).toBe(true);
      expect(token.length).toBeLessThanOrEqual(TOKEN_MAX_CHARS);
    }), { numRuns: 300 });
  });

  it('the published scanner pattern finds every minted token, whole, in surrounding text', async () => {
    await fc.assert(fc.asyncProperty(input, fc.constantFrom(' ', '"', '=', '\n', '(', "'"), async (i, sep) => {
      const { token } = await mintToken({ ...i, key, now: NOW });
      const found = `GATEWAY_TOKEN${sep}${token}${sep === '(' ? ')' : sep}more`.match(new RegExp(scannerPattern(i.prefix), 'g'));
      expect(found).toEqual([token]);
    }), { numRuns: 300 });
  });

  it('the checksum separates real tokens from random strings of the same shape', async () => {
    const pattern = new RegExp(`^${scannerPattern(DEFAULT_TOKEN_PREFIX)}$`);
    const shaped = fc.tuple(
      fc.string({ unit: fc.constantFrom(...B64URL), minLength: 120, maxLength: 200 }),
      fc.string({ unit: fc.constantFrom(...BASE62), minLength: 6, maxLength: 6 }),
    ).map(([b, c]) => `${DEFAULT_TOKEN_PREFIX}${b}${c}`);
    await fc.assert(fc.property(shaped, (s) => {
      expect(pattern.test(s)).toBe(true);
      // 1 in 2^32 would pass by chance; a failure here is a broken checksum, not bad luck.
      expect(hasValidChecksum(s)).toBe(false);
    }), { numRuns: 2000 });
    const { token } = await mintToken({ companyId: 'acme', generation: 1, key, userId: 'u-42', login: 'alice@acme.example', now: NOW, validitySeconds: 3600 });
    expect([pattern.test(token), hasValidChecksum(token)]).toEqual([true, true]);
  });

  it('the checksum is CRC32 in base62, zero-padded to six characters', () => {
    expect(tokenChecksum('')).toBe('000000');
    // CRC32("123456789") = 0xCBF43926 = 3421780262 (the standard check value).
    expect(tokenChecksum('123456789')).toBe(base62(3421780262));
  });

  it('lengths: a typical personal token, and what the scopes and a replay key add', async () => {
    const typical = { companyId: 'acme', generation: 1, key, userId: 'u-42', login: 'alice@acme.example', now: NOW, validitySeconds: 86400 };
    const lengths = await Promise.all([
      mintToken(typical), mintToken({ ...typical, scopes: ['read'] }), mintToken({ ...typical, replayKey: randomBytes(32).toString('base64url') }),
    ]).then((r) => r.map((x) => x.token.length));
    // prefix 5 + base64url of (6 + 4 + 12 + 49 + 16 = 87 bytes: 116) + checksum 6.
    expect(lengths).toEqual([127, 135, 170]);
  });

  it('a token id must be 16 bytes of base64url; other ids are refused when minting', async () => {
    await expect(mintToken({ companyId: 'acme', generation: 1, key, userId: 'u', login: 'l', now: NOW, validitySeconds: 60, tokenId: 'tok-1' })).rejects.toThrow(/token id/);
    expect(newTokenId()).toMatch(/^[A-Za-z0-9_-]{21}[AQgw]$/);
  });

  it('a token minted with another prefix is malformed for this one', async () => {
    const { token } = await mintToken({ companyId: 'acme', generation: 1, key, userId: 'u', login: 'l', now: NOW, validitySeconds: 60, prefix: 'acme_' });
    await expect(openToken(token, stateFor('acme', 1), NOW, 0)).rejects.toEqual(new GatewayError('token_malformed'));
    expect((await openToken(token, stateFor('acme', 1), NOW, 0, 'acme_')).userId).toBe('u');
  });

  it.each([['hlgw_', true], ['ab_', true], ['a_', true], ['abcdefghijklmno_', true], ['abcdefghijklmnop_', false], ['_', false], ['hlgw', false], ['HLGW_', false], ['hl-gw_', false]])(
    'tokens.prefix %j is accepted: %s', (p, ok) => {
      const parse = () => parseConfig({ tokens: { prefix: p } }, '<test>', {});
      if (ok) expect(parse().tokens.prefix).toBe(p);
      else expect(parse).toThrow(/tokens\.prefix/);
    },
  );
});

function base62(n: number): string {
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = BASE62[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out;
}

describe('token ids', () => {
  it('never start with "-", so no command line reads one as an option', async () => {
    const { newTokenId } = await import('../../src/token/mint.js');
    for (let i = 0; i < 20_000; i++) expect(newTokenId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
