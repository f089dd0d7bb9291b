import type { UserIdentity, UserSource } from './types.js';
import { upstreamPasswordMark } from './upstream-password-mark.js';
import { WrappedUserSource } from './wrapped-user-source.js';

/**
 * Every password an upstream directory accepts (`users.source: upstream`: a portal sign-in or
 * password confirmation, any Basic call to the `/auth` endpoints; never the proxy path, which checks
 * no password) is the directory's current word on that login. Before the caller gets the identity,
 * it is given the keyed mark of the password (src/users/upstream-password-mark.ts) and reported:
 * src/portal/sessions.ts SessionManager.confirm ends the user's portal sessions it contradicts
 * (another user id for the login, company, manager role or password). A report that fails (the
 * store is away) fails the check: nobody is let in while sessions the directory disowned live on.
 *
 * A refused password reports nothing: anyone who knows a login could otherwise sign its owner out.
 * An answer from the source's cache (users.cacheSeconds) reports like a fresh one: it is what the
 * directory said within that window.
 */
export class ProbeReportingUserSource extends WrappedUserSource {
  constructor(inner: UserSource, private readonly markKey: Buffer, private readonly report: (who: UserIdentity & { passwordMark: string }) => Promise<unknown>) {
    super(inner);
  }

  async verify(login: string, password: string): Promise<UserIdentity | undefined> {
    // The source the check starts on decides (a reload may swap it meanwhile).
    const upstream = this.inner.kind === 'upstream';
    const who = await this.inner.verify(login, password);
    if (who === undefined || !upstream) return who;
    // A copy: the source may cache the object it answered.
    const marked = { ...who, passwordMark: upstreamPasswordMark(this.markKey, who.login, password) };
    await this.report(marked);
    return marked;
  }
}
