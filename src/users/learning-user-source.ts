import type { UserIdentity, UserSource, UserStanding } from './types.js';

/**
 * A user source whose answers teach the portfolio tree (issue 12): an identity that carries its
 * company's ancestors (the upstream probe's pointer) is placed before the caller gets it, so the
 * token issued next is sealed for the right root. A placement that fails (the store is away) fails
 * the sign-in: nobody gets a token for a root the other instances do not know.
 */
export class LearningUserSource implements UserSource {
  constructor(private readonly inner: UserSource, private readonly learn: (companyId: string, ancestors: readonly string[]) => Promise<void>) {}

  get kind(): UserSource['kind'] {
    return this.inner.kind;
  }

  get tree(): UserSource['tree'] {
    return this.inner.tree;
  }

  async verify(login: string, password: string): Promise<UserIdentity | undefined> {
    const who = await this.inner.verify(login, password);
    if (who?.ancestors !== undefined) await this.learn(who.companyId, who.ancestors);
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
