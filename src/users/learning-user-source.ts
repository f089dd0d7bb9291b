import { GatewayError } from '../errors.js';
import { ssoNamespaceOf } from './sso/user-namespace.js';
import type { UserIdentity, UserSource, UserStanding } from './types.js';

/**
 * A user source whose answers teach the portfolio tree: an identity that carries its
 * company's ancestors (the upstream probe's pointer) is placed before the caller gets it, so the
 * token issued next is sealed for the right root. A placement that fails (the store is away, or the
 * chain would move a company another source placed: `forbidden`) fails the sign-in: nobody gets a
 * token for a root the other instances do not know.
 *
 * It also keeps the password users out of the identity providers' namespaces: an identity whose
 * user id is `<configured provider>:...` is refused (`forbidden`), so a password user can never be
 * an SSO user (src/users/sso/user-namespace.ts).
 */
export class LearningUserSource implements UserSource {
  constructor(
    private readonly inner: UserSource,
    private readonly learn: (who: UserIdentity, ancestors: readonly string[]) => Promise<void>,
    private readonly ssoProviders: readonly string[] = [],
  ) {}

  get kind(): UserSource['kind'] {
    return this.inner.kind;
  }

  get tree(): UserSource['tree'] {
    return this.inner.tree;
  }

  async verify(login: string, password: string): Promise<UserIdentity | undefined> {
    const who = await this.inner.verify(login, password);
    if (who !== undefined && ssoNamespaceOf(who.userId, this.ssoProviders) !== undefined) {
      throw new GatewayError('forbidden', 'this user id is in an identity provider\'s namespace (<provider>:...); rename it in the user source');
    }
    if (who?.ancestors !== undefined) await this.learn(who, who.ancestors);
    return who;
  }

  rolesOf(userId: string, login: string, companyId: string): readonly string[] {
    return this.inner.rolesOf(userId, login, companyId);
  }

  standingOf(login: string): UserStanding {
    return this.inner.standingOf(login);
  }

  close(): void {
    this.inner.close();
  }
}
