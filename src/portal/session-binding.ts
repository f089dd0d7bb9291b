import type { SessionRecord } from '../store/types.js';
import type { UserStanding } from '../users/types.js';
import { isUpstreamPasswordMark } from '../users/upstream-password-mark.js';

/** Why a session no longer holds (the audit's `reason`); undefined = it still does. */
export type BindingProblem =
  | 'user no longer in the users file'
  | 'user id changed'
  | 'company changed'
  | 'role changed'
  | 'password changed';

/** Who a sign-in says the user is now (the users file's entry, an SSO provider's claims, an upstream probe). */
export interface CurrentIdentity {
  userId: string;
  companyId: string;
  manager: boolean;
}

/** A session made for another identity than `now` says: another user id, company or manager role. */
export function identityProblem(r: Pick<SessionRecord, 'userId' | 'companyId' | 'manager'>, now: CurrentIdentity): BindingProblem | undefined {
  if (r.userId !== now.userId) return 'user id changed';
  if (r.companyId !== now.companyId) return 'company changed';
  if (r.manager !== now.manager) return 'role changed';
  return undefined;
}

/**
 * What an upstream directory's acceptance of the user's password (`now`, with the keyed mark of
 * that password: src/users/upstream-password-mark.ts) says of a password session made for the same
 * user id or login: another user id, company, manager role or password ends it. A session without a
 * mark predates the binding and ends too. SSO sessions are their provider's to judge.
 */
export function probeProblem(r: SessionRecord, now: CurrentIdentity & { passwordMark: string }): BindingProblem | undefined {
  if (r.signIn !== undefined) return undefined;
  return identityProblem(r, now) ?? (r.passwordMark !== now.passwordMark ? 'password changed' : undefined);
}

/**
 * The check every use of a session makes (src/portal/sessions.ts resume): does the user source
 * still describe the user the session was made for? A users-file session holds while the file
 * lists its login with the same user id, company, manager role and password hash (passwordMark:
 * a record without one predates the binding and does not hold). A session the file made that no
 * file can vouch for any more (the source became upstream) does not hold either; one an upstream
 * directory made (its mark says so) holds here, and ends under a users file (the marks differ). SSO sessions and
 * upstream ones are not checked here: their provider is asked only at sign-in (src/portal/sessions.ts
 * create ends the older sessions a new sign-in contradicts), their directory only with the user's
 * password (SessionManager.confirm, at every password it accepts: probeProblem).
 */
export function bindingProblem(r: SessionRecord, standing: UserStanding, managerRole: string): BindingProblem | undefined {
  if (r.signIn !== undefined) return undefined;
  if (standing.kind === 'unknowable') return r.passwordMark === undefined || isUpstreamPasswordMark(r.passwordMark) ? undefined : 'user no longer in the users file';
  if (standing.kind === 'absent') return 'user no longer in the users file';
  return identityProblem(r, { userId: standing.userId, companyId: standing.companyId, manager: standing.roles.includes(managerRole) })
    ?? (r.passwordMark !== standing.passwordMark ? 'password changed' : undefined);
}
