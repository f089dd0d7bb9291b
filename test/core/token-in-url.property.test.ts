import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasTokenInUrl } from '../../src/http/token-in-url.js';

/** One character of the name, spelled as a URL may carry it: any case, percent-encoded or not, maybe twice. */
function spell(c: string) {
  const hex = c.charCodeAt(0).toString(16);
  const variants = [c, c.toUpperCase(), `%${hex}`, `%${hex.toUpperCase()}`, `%25${hex}`];
  if (c === '_') variants.push('.', '+', '%20', '%5f', '[');
  return fc.constantFrom(...variants);
}
const spelledName = fc.tuple(...[...'access_token'].map(spell)).map((cs) => cs.join(''));
const query = fc.array(fc.stringMatching(/^[a-z0-9%]{0,8}(=[a-z0-9%+]{0,8})?$/), { maxLength: 4 });
const separator = fc.constantFrom('&', ';');

describe('hasTokenInUrl (properties)', () => {
  it('finds the access_token parameter however it is spelled and wherever it sits', () => {
    fc.assert(fc.property(query, spelledName, query, separator, fc.constantFrom('?', ';'), (before, name, after, sep, start) => {
      const url = `/WS2/x${start}${[...before, `${name}=T`, ...after].join(sep)}`;
      expect(hasTokenInUrl(url)).toBe(true);
    }), { numRuns: 2000 });
  });

  it('never throws on any URL', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.webUrl().map((u) => new URL(u).pathname + new URL(u).search)), (url) => {
      expect(typeof hasTokenInUrl(url)).toBe('boolean');
    }), { numRuns: 500 });
  });

  it('a name that only contains the words, or a value that names it, is not a token parameter', () => {
    fc.assert(fc.property(fc.constantFrom('x_access_token', 'access_tokens', 'accesstoken', 'access-token', 'token'), spelledName, (other, v) => {
      expect(hasTokenInUrl(`/p?${other}=1&q=${v}`)).toBe(false);
    }), { numRuns: 300 });
  });
});
