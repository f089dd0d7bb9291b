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

/** `s` percent-encoded `layers` times over (each layer encodes the previous one's `%`). */
function layered(s: string, layers: number): string {
  let out = s;
  for (let i = 0; i < layers; i++) out = out.replace(/%/g, '%25');
  return out;
}

describe('hasTokenInUrl: spellings servers normalise', () => {
  it.each([
    ['a hyphen for the underscore', '/p?access-token=T'],
    ['a hyphen, upper case', '/p?ACCESS-TOKEN=T'],
    ['%uXXXX (IIS, old ASP)', '/p?%u0061ccess_token=T'],
    ['%uXXXX for the underscore', '/p?access%u005ftoken=T'],
    ['four layers of %25', '/p?access%2525255Ftoken=T'],
    ['seven layers of %25', `/p?${layered('access%5Ftoken', 7)}=T`],
    ['an encoded hyphen', '/p?access%2Dtoken=T'],
    ['%u inside %25 layers', '/p?%25u0061ccess-token=T'],
  ])('refuses %s: %s', (_n, url) => {
    expect(hasTokenInUrl(url)).toBe(true);
  });

  it.each(['/p?access-tokens=T', '/p?x-access-token=T', '/p?accesstoken=T', '/p?q=access-token', '/p?%u=1', '/p?%u00zz=1'])('lets %s through', (url) => {
    expect(hasTokenInUrl(url)).toBe(false);
  });
});

describe('hasTokenInUrl (properties)', () => {
  it('finds the name under any number of %25 layers (up to the decoding bound) and with - for _', () => {
    fc.assert(fc.property(spelledName, fc.integer({ min: 0, max: 6 }), fc.boolean(), (name, layers, hyphen) => {
      const n = hyphen ? name.replace(/^(access)_/i, '$1-') : name;
      expect(hasTokenInUrl(`/p?${layered(n, layers)}=T`)).toBe(true);
    }), { numRuns: 1000 });
  });

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
    fc.assert(fc.property(fc.constantFrom('x_access_token', 'access_tokens', 'accesstoken', 'access-tokens', 'token'), spelledName, (other, v) => {
      expect(hasTokenInUrl(`/p?${other}=1&q=${v}`)).toBe(false);
    }), { numRuns: 300 });
  });
});
