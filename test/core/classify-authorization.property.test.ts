import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyAuthorization } from '../../src/auth/classify-authorization.js';

const MAX = 4096;
const KINDS = ['none', 'basic', 'other', 'bearer', 'malformed'];
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** "bearer" in any mix of cases. */
const bearerWord = fc.array(fc.boolean(), { minLength: 6, maxLength: 6 })
  .map((upper) => [...'bearer'].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));
/** Arbitrary text, including control characters, lone surrogates and every separator. */
const anything = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'binary-ascii', maxLength: 200 }), fc.string({ maxLength: 200 }));

describe('classifyAuthorization (properties)', () => {
  it('never throws on any header value and always answers one of its kinds', () => {
    fc.assert(fc.property(anything, (h) => {
      expect(KINDS).toContain(classifyAuthorization(h, MAX).kind);
    }), { numRuns: 2000 });
  });

  it('a value whose scheme starts with "bearer" is Bearer or malformed, never passed through', () => {
    fc.assert(fc.property(bearerWord, anything, (word, rest) => {
      const kind = classifyAuthorization(word + rest, MAX).kind;
      expect(['bearer', 'malformed']).toContain(kind);
    }), { numRuns: 2000 });
  });

  it('Bearer means exactly "bearer", 1*SP, one b64token within the size limit (RFC 6750 §2.1)', () => {
    fc.assert(fc.property(fc.oneof(anything, fc.tuple(bearerWord, anything).map(([w, r]) => w + r)), (h) => {
      const c = classifyAuthorization(h, MAX);
      if (c.kind !== 'bearer') return;
      expect(h).toMatch(/^bearer +/i);
      expect(h.replace(/^bearer +/i, '')).toBe(c.token);
      expect(c.token).toMatch(B64TOKEN);
      expect(c.token.length).toBeLessThanOrEqual(MAX);
    }), { numRuns: 2000 });
  });

  it('what it passes through as another scheme does not start with "bearer" in any case', () => {
    fc.assert(fc.property(anything, (h) => {
      if (classifyAuthorization(h, MAX).kind === 'other') expect(h.slice(0, 6).toLowerCase()).not.toBe('bearer');
    }), { numRuns: 2000 });
  });
});
