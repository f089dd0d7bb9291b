import { describe, expect, it } from 'vitest';
import { LearningUserSource } from '../../src/users/learning-user-source.js';
import type { UserIdentity, UserSource } from '../../src/users/types.js';

/** A password source answering one fixed identity (the directory is not what is tested here). */
function answering(who: UserIdentity): UserSource {
  return { kind: 'upstream', verify: async () => who, rolesOf: () => [], standingOf: () => ({ kind: 'unknowable' }), close: () => undefined };
}

describe('LearningUserSource: password users stay out of the identity providers\' namespaces', () => {
  const providers = ['acme-saml', 'acme-idp'];

  it.each([
    ['acme-saml:u-2', 'refused'],
    ['acme-idp:anything', 'refused'],
    // Not a configured provider's prefix, or no prefix at all: an ordinary id.
    ['ldap:u-2', 'accepted'],
    ['u-2', 'accepted'],
  ])('a password user id %s is %s', async (userId, outcome) => {
    const learned: string[] = [];
    const users = new LearningUserSource(answering({ userId, login: 'a@acme.example', companyId: 'acme', roles: [], ancestors: [] }), async (w) => { learned.push(w.userId); }, providers);
    const verified = users.verify('a@acme.example', 'pw');
    if (outcome === 'refused') {
      await expect(verified).rejects.toMatchObject({ code: 'forbidden' });
      expect(learned).toEqual([]);
    } else {
      await expect(verified).resolves.toMatchObject({ userId });
      expect(learned).toEqual([userId]);
    }
  });
});
