import { describe, expect, it } from 'vitest';
import { TokenState } from '../../src/state/token-state.js';

/** A holding with one subsidiary: the allow-list and the operator's decisions name the root. */
function holdingState(allowed: '*' | readonly string[]): TokenState {
  const state = new TokenState(allowed);
  const roots: Record<string, string> = { holding: 'holding', emea: 'holding' };
  state.useTree({ rootOf: (c) => roots[c] ?? c, subtree: (c) => (c === 'holding' ? ['holding', 'emea'] : [c]) });
  return state;
}

describe('TokenState access: allowed and where the answer comes from', () => {
  it.each([
    ['a root, no decision', [], 'holding', false, 'config'],
    ['a subsidiary, no decision', ['holding'], 'emea', true, 'config'],
  ] as const)('%s → seed list', (_name, allowed, company, isAllowed, source) => {
    const state = holdingState(allowed);
    expect(state.isAllowed(company)).toBe(isAllowed);
    expect(state.accessSource(company)).toBe(source);
  });

  it.each([true, false])('the operator decided %s on the root: its subsidiary answers the same, from the operator', (decision) => {
    const state = holdingState(decision ? [] : ['holding']);
    state.setAccess('holding', decision);
    for (const company of ['holding', 'emea']) {
      expect(state.isAllowed(company)).toBe(decision);
      expect(state.accessSource(company)).toBe('operator');
    }
    // A company outside the tree keeps the seed's answer.
    expect(state.accessSource('globex')).toBe('config');
  });
});
