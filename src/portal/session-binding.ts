import type { SessionRecord } from '../store/types.js';
import type { UserStanding } from '../users/types.js';

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
 * The check every use of a session makes (src/portal/sessions.ts resume): does the user source
 * still describe the user the session was made for? A users-file session holds while the file
 * lists its login with the same user id, company, manager role and password hash (passwordMark:
 * a record without one predates the binding and does not hold). A session the file made that no
 * file can vouch for any more (the source became upstream) does not hold either. SSO sessions and
 * upstream ones are not checked here: their provider or directory is asked only at sign-in
 * (src/portal/sessions.ts create ends the older sessions a new sign-in contradicts).
 */
export function bindingProblem(r: SessionRecord, standing: UserStanding, managerRole: string): BindingProblem | undefined {
  if (r.signIn !== undefined) return undefined;
  if (standing.kind === 'unknowable') return r.passwordMark === undefined ? undefined : 'user no longer in the users file';
  if (standing.kind === 'absent') return 'user no longer in the users file';
  return identityProblem(r, { userId: standing.userId, companyId: standing.companyId, manager: standing.roles.includes(managerRole) })
    ?? (r.passwordMark !== standing.passwordMark ? 'password changed' : undefined);
}
