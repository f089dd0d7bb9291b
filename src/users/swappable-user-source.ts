import type { UserIdentity, UserSource, UserStanding } from './types.js';

/**
 * The user source the endpoints hold, whose directory a config reload can replace (a users file
 * edited, SIGHUP). A check under way finishes on the source it started with; the old one is
 * closed after the swap.
 */
export class SwappableUserSource implements UserSource {
  constructor(private current: UserSource) {}

  get kind(): UserSource['kind'] {
    return this.current.kind;
  }

  /** The current source's company tree (a reload may bring another). */
  get tree(): UserSource['tree'] {
    return this.current.tree;
  }

  /** The directory in use now (a reload compares it with the next one). */
  get currentSource(): UserSource {
    return this.current;
  }

  replace(next: UserSource): void {
    const old = this.current;
    this.current = next;
    if (old !== next) old.close();
  }

  verify(login: string, password: string): Promise<UserIdentity | undefined> {
    return this.current.verify(login, password);
  }

  rolesOf(userId: string, login: string, companyId: string): readonly string[] {
    return this.current.rolesOf(userId, login, companyId);
  }

  standingOf(login: string): UserStanding {
    return this.current.standingOf(login);
  }

  close(): void {
    this.current.close();
  }
}
