import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import { namedBy, outsideScope, parseScope, type ProviderScope } from '../../../src/users/sso/provider-scope.js';

const oidc = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'oidc', name, displayName: name, issuer: `https://${name}.example`, clientId: 'hlgw', ...extra });
const configWith = (providers: unknown[]) => ({ upstream: { url: 'http://127.0.0.1:9' }, users: { source: 'none', sso: { providers } } });

describe('users.sso.providers[].companies', () => {
  it('two providers without `companies`: a config error naming each path', () => {
    let err: unknown;
    try { parseConfig(configWith([oidc('a-idp'), oidc('b-idp', { companies: ['b'] }), oidc('c-idp')]), '<test>', {}); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    const paths = (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
    expect(paths).toEqual([
      expect.stringMatching(/^users\.sso\.providers\.0\.companies: required when more than one provider is configured/),
      expect.stringMatching(/^users\.sso\.providers\.2\.companies: required when more than one provider is configured/),
    ]);
  });

  it('one provider may go without; entries are company ids or id/*', () => {
    expect(() => parseConfig(configWith([oidc('a-idp')]), '<test>', {})).not.toThrow();
    expect(() => parseConfig(configWith([oidc('a-idp', { companies: ['acme', 'holding/*'] })]), '<test>', {})).not.toThrow();
    expect(() => parseConfig(configWith([oidc('a-idp', { companies: ['*'] })]), '<test>', {})).toThrow(ConfigError);
    expect(() => parseConfig(configWith([oidc('a-idp', { companies: ['holding/**'] })]), '<test>', {})).toThrow(ConfigError);
  });
});

describe('outsideScope', () => {
  const nobody = () => undefined;
  const mine = parseScope(['acme', 'holding/*']);
  const others = namedBy([parseScope(['globex', 'holding-b'])]);
  const check = (chain: string[], placedBy: (c: string) => string | undefined = nobody, scope: ProviderScope | undefined = mine) =>
    outsideScope(chain, { source: 'sso:a-idp', scope, namedElsewhere: others, placedBy });
  const checkDefault = (chain: string[], placedBy: (c: string) => string | undefined) =>
    outsideScope(chain, { source: 'sso:a-idp', scope: undefined, namedElsewhere: new Set(), placedBy });

  it.each([
    [['acme'], undefined],
    [['holding'], undefined],
    [['holding', 'emea', 'emea-fr'], undefined],
    // A company the entries do not reach, as the user's company or as an ancestor.
    [['initech'], 'initech'],
    [['initech', 'acme'], 'initech'],
    [['acme', 'acme-eu'], 'acme-eu'],
    // A subtree never reaches a company another provider's entries name.
    [['holding', 'globex'], 'globex'],
    [['holding', 'holding-b', 'x'], 'holding-b'],
  ] as const)('with companies: %j → %s', (chain, outside) => {
    expect(check([...chain])).toBe(outside);
  });

  it('without companies: any company nobody else placed; never one of the users file', () => {
    const placed = (c: string) => ({ acme: 'users file', up: 'upstream', own: 'sso:a-idp' } as Record<string, string>)[c];
    expect(checkDefault(['newco', 'own', 'x'], placed)).toBeUndefined();
    expect(checkDefault(['acme'], placed)).toBe('acme');
    expect(checkDefault(['acme', 'sub'], placed)).toBe('acme');
    expect(checkDefault(['up', 'sub'], placed)).toBe('up');
  });
});
