import { describe, expect, it } from 'vitest';
import { createIdentityStripper } from '../../src/auth/strip-identity.js';

describe('createIdentityStripper', () => {
  const strip = createIdentityStripper(['x-highlight-user-id', 'X-Highlight-Login']);

  it.each([
    'x-highlight-user-id',
    'x-highlight-login',
    'x_highlight_user_id',
    'x_highlight-login',
  ])('removes %s', (name) => {
    const h: Record<string, string> = { [name]: 'evil', accept: 'x' };
    strip(h);
    expect(h).toEqual({ accept: 'x' });
  });

  it('keeps headers outside the namespace', () => {
    const h = { 'x-highlight-user-idx': 'a', 'x-other': 'b', authorization: 'Basic x' };
    strip(h);
    expect(h).toEqual({ 'x-highlight-user-idx': 'a', 'x-other': 'b', authorization: 'Basic x' });
  });
});
