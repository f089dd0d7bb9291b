import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { mapClaims } from '../../../src/users/sso/claim-mapping.js';
import { CompanyTree, CompanyTreeError } from '../../../src/users/company-tree.js';

const P = { name: 'acme-idp', claims: { userId: 'sub', login: 'email', companyId: 'company_id', groups: 'groups' }, managerGroup: 'hl-managers' };
const OK = { sub: 'u-1', email: 'a@acme.example', company_id: 'acme', groups: ['staff'] };

describe('mapClaims', () => {
  it('maps the configured claims; the user id is in the provider\'s namespace; the manager group makes a manager; a numeric id is accepted', () => {
    expect(mapClaims(OK, P)).toEqual({ who: { userId: 'acme-idp:u-1', login: 'a@acme.example', companyId: 'acme', roles: [] }, manager: false });
    expect(mapClaims({ ...OK, sub: 42, groups: 'hl-managers' }, P)).toMatchObject({ who: { userId: 'acme-idp:42' }, manager: true });
    // Another provider's subject of the same value is another user.
    expect(mapClaims(OK, { ...P, name: 'other-idp' }).who.userId).toBe('other-idp:u-1');
    expect(mapClaims({ ...OK, groups: undefined }, P).manager).toBe(false);
  });

  it.each([
    ['no user id', { ...OK, sub: undefined }, /"sub" is missing/],
    ['an empty login', { ...OK, email: '' }, /"email" is not a non-empty string/],
    ['a login with a line break', { ...OK, email: 'a@b\r\nX-Evil: 1' }, /"email" cannot be sent as an identity header/],
    ['no company', { ...OK, company_id: undefined }, /"company_id" is missing/],
    ['a company that is not an id', { ...OK, company_id: '../acme' }, /"company_id" is not a company id/],
    ['an object for a company', { ...OK, company_id: { id: 'acme' } }, /"company_id" is not a non-empty string/],
    ['groups that are not names', { ...OK, groups: [1, 2] }, /"groups" is not a list of group names/],
  ])('%s: refused as sso_failed naming the claim, never a half identity', (_n, claims, reason) => {
    let err: unknown;
    try { mapClaims(claims as Record<string, unknown>, P); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('sso_failed');
    expect((err as GatewayError).detail).toMatch(reason);
  });
});

describe('CompanyTree', () => {
  const tree = new CompanyTree([
    { id: 'h', name: 'H' }, { id: 'e', name: 'E', parent: 'h' }, { id: 'f', name: 'F', parent: 'e' }, { id: 'a', name: 'A', parent: 'h' },
  ]);

  it('roots, sub-trees and membership; an unknown company is its own root', () => {
    expect(['h', 'e', 'f', 'a', 'x'].map((c) => tree.rootOf(c))).toEqual(['h', 'h', 'h', 'h', 'x']);
    expect(tree.subtree('e').sort()).toEqual(['e', 'f']);
    expect(tree.subtree('h').sort()).toEqual(['a', 'e', 'f', 'h']);
    expect([tree.contains('e', 'f'), tree.contains('e', 'a'), tree.contains('f', 'e')]).toEqual([true, false, false]);
    expect([tree.isRoot('h'), tree.isRoot('e')]).toEqual([true, false]);
  });

  it.each([
    ['an unknown parent', [{ id: 'a', name: 'A', parent: 'nope' }], 'companies.0.parent: unknown parent company'],
    ['a cycle', [{ id: 'a', name: 'A', parent: 'b' }, { id: 'b', name: 'B', parent: 'a' }], 'companies.0.parent: the parents form a cycle'],
    ['a duplicate id', [{ id: 'a', name: 'A' }, { id: 'a', name: 'A again' }], 'companies.1.id: duplicate company id'],
  ])('%s is refused at start with its path', (_n, nodes, problem) => {
    expect(() => new CompanyTree(nodes)).toThrow(CompanyTreeError);
    try { new CompanyTree(nodes); } catch (e) { expect((e as CompanyTreeError).problems.map((p) => `${p.path}: ${p.message}`)).toContain(problem); }
  });
});

describe('mapClaims: the company ancestors claim (the portfolio tree)', () => {
  const PA = { ...P, claims: { ...P.claims, ancestors: 'company_ancestors' } };

  it('root first; absent or empty is a root; without the mapping nothing is read', () => {
    expect(mapClaims({ ...OK, company_ancestors: ['holding', 'emea'] }, PA).who.ancestors).toEqual(['holding', 'emea']);
    expect(mapClaims({ ...OK, company_ancestors: [] }, PA).who.ancestors).toEqual([]);
    expect(mapClaims(OK, PA).who.ancestors).toEqual([]);
    expect(mapClaims({ ...OK, company_ancestors: ['holding'] }, P).who.ancestors).toBeUndefined();
  });

  it.each([
    ['the company itself', ['holding', 'acme'], /names a company twice/],
    ['a company twice', ['holding', 'emea', 'holding'], /names a company twice/],
    ['17 ancestors', Array.from({ length: 17 }, (_, i) => `c${i}`), /more than 16 ancestors/],
    ['a string', 'holding', /not a list of company ids/],
    ['an id with a space', ['holding', 'em ea'], /not a company id/],
  ])('%s: refused as sso_failed naming the claim', (_n, value, reason) => {
    let err: unknown;
    try { mapClaims({ ...OK, company_ancestors: value }, PA); } catch (e) { err = e; }
    expect((err as GatewayError).code).toBe('sso_failed');
    expect((err as GatewayError).detail).toMatch(/"company_ancestors"/);
    expect((err as GatewayError).detail).toMatch(reason);
  });
});
