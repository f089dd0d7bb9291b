import { describe, expect, it } from 'vitest';
import { PLACED_BY_FILE, PortfolioTree } from '../../src/state/portfolio-tree.js';
import { CompanyTree } from '../../src/users/company-tree.js';

/** Which source placed a company, and which claims may move it (pure: the tree alone). */
describe('PortfolioTree: placed-by and conflicting claims', () => {
  // The file: `holding` under companies:, `globex` only as a user's company.
  const file = new CompanyTree([{ id: 'holding', name: 'Holding' }, { id: 'emea', name: 'EMEA', parent: 'holding' }], ['globex', 'emea']);
  const tree = new PortfolioTree(() => file);
  tree.apply({ companyId: 'a-co', parent: 'a-root', placedBy: 'sso:a-idp', version: 1, updatedAt: 0 });
  tree.apply({ companyId: 'a-root', parent: null, placedBy: 'sso:a-idp', version: 1, updatedAt: 0 });
  tree.apply({ companyId: 'old-co', parent: 'old-root', version: 1, updatedAt: 0 });

  it('names who placed each company: the file (companies: and users\' companies), a source, a legacy edge as the probe\'s, or nobody', () => {
    expect(['holding', 'globex', 'a-co', 'old-co', 'newco'].map((c) => tree.placedBy(c))).toEqual([PLACED_BY_FILE, PLACED_BY_FILE, 'sso:a-idp', 'upstream', undefined]);
    expect(tree.rootOf('globex')).toBe('globex');
  });

  it.each([
    ['sso:b-idp', 'globex', ['b-root'], { companyId: 'globex', placedBy: PLACED_BY_FILE, claimed: 'b-root', current: null }],
    ['sso:b-idp', 'emea', ['b-root'], { companyId: 'emea', placedBy: PLACED_BY_FILE, claimed: 'b-root', current: 'holding' }],
    ['sso:b-idp', 'a-co', ['b-root'], { companyId: 'a-co', placedBy: 'sso:a-idp', claimed: 'b-root', current: 'a-root' }],
    ['upstream', 'a-co', [], { companyId: 'a-co', placedBy: 'sso:a-idp', claimed: null, current: 'a-root' }],
    ['sso:b-idp', 'old-co', [], { companyId: 'old-co', placedBy: 'upstream', claimed: null, current: 'old-root' }],
  ] as const)('%s placing %s under %j: refused', (source, company, ancestors, conflict) => {
    expect(tree.conflictIn(source, company, [...ancestors])).toEqual(conflict);
  });

  it.each([
    // Agreeing with the place in force is no move.
    ['sso:b-idp', 'a-co', ['a-root']],
    ['sso:b-idp', 'sub', ['holding', 'emea']],
    // A source moves what it placed; the probe moves legacy edges.
    ['sso:a-idp', 'a-co', ['elsewhere']],
    ['upstream', 'old-co', []],
  ] as const)('%s placing %s under %j: allowed', (source, company, ancestors) => {
    expect(tree.conflictIn(source, company, [...ancestors])).toBeUndefined();
  });

  it('writes a first-seen company even as a root, never a file company, each edge as the source\'s', () => {
    expect(tree.changesFor('sso:b-idp', 'newco', [])).toEqual([{ companyId: 'newco', parent: null, placedBy: 'sso:b-idp' }]);
    expect(tree.changesFor('sso:b-idp', 'sub', ['holding', 'emea'])).toEqual([{ companyId: 'sub', parent: 'emea', placedBy: 'sso:b-idp' }]);
    expect(tree.changesFor('sso:a-idp', 'a-co', ['a-root'])).toEqual([]);
  });
});
