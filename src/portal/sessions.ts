import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import { GatewayError } from '../errors.js';
import type { AuditTrail } from '../lifecycle/audit-trail.js';
import type { SessionRecord, SessionStore, SignIn } from '../store/types.js';
import type { UserIdentity, UserSource } from '../users/types.js';
import { bindingProblem, identityProblem, probeProblem, type BindingProblem } from './session-binding.js';

export interface SessionOptions {
  idleMs: number;
  absoluteMs: number;
}

/** What a session is checked against on every use (src/portal/session-binding.ts), and where its endings are audited. */
export interface SessionBindingDeps {
  users: Pick<UserSource, 'standingOf'>;
  managerRole: string;
  audit: Pick<AuditTrail, 'record'>;
}

/** Who ended sessions: `system` (a use or a sign-in found them outdated), `operator` (a users file reload). */
export type EndingActor = 'system' | 'operator';

/** A live session as the portal uses it: the record plus the id the cookie carries. */
export interface Session {
  id: string;
  record: SessionRecord;
}

/** base64url SHA-256: what the store keys a session by. */
function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/**
 * The per-session CSRF token, derived from the id (a one-way function of 256 random bits):
 * nothing to store, and knowing it tells nothing about the cookie.
 */
export function csrfTokenOf(id: string): string {
  return createHash('sha256').update('hlgw/csrf/v1:').update(id).digest('base64url');
}

export function csrfMatches(id: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const want = Buffer.from(csrfTokenOf(id));
  const got = Buffer.from(given);
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * Server-side sessions in the store (SQLite table or Redis keys with a TTL, so with Redis a
 * session made on one instance works on all). A session ends `idleMs` after its last use or
 * `absoluteMs` after sign-in, whichever comes first, by the injected clock.
 */
export class SessionManager {
  constructor(private readonly store: SessionStore, private readonly clock: Clock, private readonly o: SessionOptions, private readonly b: SessionBindingDeps) {}

  /**
   * A new session with a fresh 256-bit id (never one the client chose), bound to the user as
   * the source says now. The user's older sessions of the same kind (password, or this SSO
   * provider) that this sign-in contradicts (another company or manager role: the upstream
   * directory's or the provider's newer answer) are ended.
   */
  async create(who: UserIdentity, manager: boolean, signIn?: SignIn): Promise<Session> {
    const id = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const record: SessionRecord = {
      idHash: hashSessionId(id), userId: who.userId, login: who.login, companyId: who.companyId, manager,
      createdAt: now, lastSeenAt: now, expiresAt: Math.min(now + this.o.idleMs, now + this.o.absoluteMs),
      ...(signIn ? { signIn } : {}),
      ...(who.passwordMark !== undefined ? { passwordMark: who.passwordMark } : {}),
    };
    await this.store.putSession(record);
    await this.endOutdated(who.userId, 'system', (r) =>
      r.signIn?.provider !== signIn?.provider ? undefined : identityProblem(r, { userId: who.userId, companyId: who.companyId, manager }));
    return { id, record };
  }

  /**
   * The live session for `id`, its idle clock restarted; throws `session_required` when there is
   * none, or when the user source no longer describes the user it was made for (it is then
   * deleted, on every instance, and the ending audited).
   */
  async resume(id: string | undefined): Promise<Session> {
    if (id === undefined) throw new GatewayError('session_required');
    const record = await this.store.getSession(hashSessionId(id));
    const now = this.clock.now();
    if (record === undefined) throw new GatewayError('session_required');
    if (record.expiresAt <= now) {
      await this.store.deleteSession(record.idHash);
      throw new GatewayError('session_required');
    }
    const problem = this.problemOf(record);
    if (problem !== undefined) {
      await this.endAll([record], problem, 'system');
      throw new GatewayError('session_required');
    }
    const touched = { ...record, lastSeenAt: now, expiresAt: Math.min(now + this.o.idleMs, record.createdAt + this.o.absoluteMs) };
    await this.store.putSession(touched);
    return { id, record: touched };
  }

  /**
   * An upstream directory accepted this user's password just now (src/users/probe-reporting-user-source.ts;
   * `who.passwordMark` is that password's keyed mark): ends the password sessions it contradicts
   * (session-binding.ts probeProblem), found by user id and by login, since the login may now
   * answer another user id; resolves with how many, each ending audited (actor `system`).
   */
  async confirm(who: UserIdentity & { passwordMark: string }): Promise<number> {
    const now = { userId: who.userId, companyId: who.companyId, manager: who.roles.includes(this.b.managerRole), passwordMark: who.passwordMark };
    const [ofUser, ofLogin] = await Promise.all([this.store.listSessionsOfUser(who.userId), this.store.listSessionsOfLogin(who.login)]);
    const found = new Map([...ofUser, ...ofLogin].map((r) => [r.idHash, r]));
    return this.endFound([...found.values()], 'system', (r) => probeProblem(r, now));
  }

  /**
   * Ends this user's sessions that the user source (or `problem`, when given) says no longer
   * hold; resolves with how many. Each ending is audited in the session's company.
   */
  async endOutdated(userId: string, actor: EndingActor, problem: (r: SessionRecord) => BindingProblem | undefined = (r) => this.problemOf(r)): Promise<number> {
    return this.endFound(await this.store.listSessionsOfUser(userId), actor, problem);
  }

  /** Ends those of `found` that are live and have a `problem`, grouped by it. */
  private async endFound(found: readonly SessionRecord[], actor: EndingActor, problem: (r: SessionRecord) => BindingProblem | undefined): Promise<number> {
    const now = this.clock.now();
    const byProblem = new Map<BindingProblem, SessionRecord[]>();
    for (const r of found) {
      const p = r.expiresAt > now ? problem(r) : undefined;
      if (p !== undefined) byProblem.set(p, [...(byProblem.get(p) ?? []), r]);
    }
    let ended = 0;
    for (const [p, records] of byProblem) ended += await this.endAll(records, p, actor);
    return ended;
  }

  private problemOf(r: SessionRecord): BindingProblem | undefined {
    return bindingProblem(r, this.b.users.standingOf(r.login), this.b.managerRole);
  }

  /**
   * Deletes them (one reason) and audits one entry per company and user id, counting only the
   * sessions this call deleted: instances ending the same sessions at once audit each ending once.
   */
  private async endAll(all: readonly SessionRecord[], reason: BindingProblem, actor: EndingActor): Promise<number> {
    const deleted = await Promise.all(all.map((r) => this.store.deleteSession(r.idHash)));
    const records = all.filter((_, i) => deleted[i]);
    const groups = new Map<string, SessionRecord[]>();
    for (const r of records) {
      const key = JSON.stringify([r.companyId, r.userId]);
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const rs of groups.values()) {
      await this.b.audit.record({
        companyId: rs[0]!.companyId, actor, action: 'session.end', clientAddress: null,
        detail: { userId: rs[0]!.userId, login: rs[0]!.login, reason, sessions: rs.length },
      });
    }
    return records.length;
  }

  /** Ends it server-side: the cookie is worthless from now on, wherever it is replayed. */
  async end(id: string | undefined): Promise<void> {
    if (id !== undefined) await this.store.deleteSession(hashSessionId(id));
  }

  purge(): Promise<number> {
    return this.store.purgeSessions(this.clock.now());
  }
}
