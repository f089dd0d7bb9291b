import type { UserIdentity, UserSource, UserStanding } from './types.js';

/**
 * A user source that adds a step after a successful `verify` (src/users/learning-user-source.ts,
 * src/users/probe-reporting-user-source.ts) and passes everything else to the source it wraps.
 */
export abstract class WrappedUserSource implements UserSource {
  constructor(protected readonly inner: UserSource) {}

  get kind(): UserSource['kind'] {
    return this.inner.kind;
  }

  get tree(): UserSource['tree'] {
    return this.inner.tree;
  }

  abstract verify(login: string, password: string): Promise<UserIdentity | undefined>;

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
