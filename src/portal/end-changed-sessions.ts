import { FileUserSource } from '../users/file-user-source.js';
import type { UserSource } from '../users/types.js';
import { bindingProblem } from './session-binding.js';
import type { SessionManager } from './sessions.js';

/**
 * A users file reload: every user of the old file whose entry the new source no longer matches
 * (removed; another user id, company, manager role or password) loses their portal sessions,
 * deleted from the store, so on every instance, and audited (actor `operator`). Only users whose
 * entry changed are looked up in the store. Without an old file (the source was upstream) there is
 * nothing to compare: each session is still checked at its next use.
 */
export async function endSessionsOfChangedUsers(before: UserSource, after: UserSource, sessions: Pick<SessionManager, 'endOutdated'>, managerRole: string): Promise<number> {
  if (!(before instanceof FileUserSource)) return 0;
  let ended = 0;
  for (const old of before.standings()) {
    // The old entry as if it were a session made from it: does the new source still vouch for it?
    const asSession = { idHash: '', userId: old.userId, login: old.login, companyId: old.companyId, manager: old.roles.includes(managerRole), passwordMark: old.passwordMark, createdAt: 0, lastSeenAt: 0, expiresAt: 0 };
    if (bindingProblem(asSession, after.standingOf(old.login), managerRole) === undefined) continue;
    ended += await sessions.endOutdated(old.userId, 'operator', (r) => bindingProblem(r, after.standingOf(r.login), managerRole));
  }
  return ended;
}
