import type { UserIdentity, UserSource } from './types.js';
import { WrappedUserSource } from './wrapped-user-source.js';

/**
 * A user source whose answers teach the portfolio tree: an identity that carries its
 * company's ancestors (the upstream probe's pointer) is placed before the caller gets it, so the
 * token issued next is sealed for the right root. A placement that fails (the store is away) fails
 * the sign-in: nobody gets a token for a root the other instances do not know.
 */
export class LearningUserSource extends WrappedUserSource {
  constructor(inner: UserSource, private readonly learn: (companyId: string, ancestors: readonly string[]) => Promise<void>) {
    super(inner);
  }

  async verify(login: string, password: string): Promise<UserIdentity | undefined> {
    const who = await this.inner.verify(login, password);
    if (who?.ancestors !== undefined) await this.learn(who.companyId, who.ancestors);
    return who;
  }
}
