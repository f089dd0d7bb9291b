import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import { GatewayError } from '../errors.js';
import type { SessionRecord, SignIn, Store } from '../store/types.js';
import type { UserIdentity } from '../users/types.js';

export interface SessionOptions {
  idleMs: number;
  absoluteMs: number;
}

/** A live session as the portal uses it: the record plus the id the cookie carries. */
export interface Session {
  id: string;
  record: SessionRecord;
}

/** base64url SHA-256: what the store keys a session by. */
export function hashSessionId(id: string): string {
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
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly o: SessionOptions) {}

  /** A new session with a fresh 256-bit id (never one the client chose). */
  async create(who: UserIdentity, manager: boolean, signIn?: SignIn): Promise<Session> {
    const id = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const record: SessionRecord = {
      idHash: hashSessionId(id), userId: who.userId, login: who.login, companyId: who.companyId, manager,
      createdAt: now, lastSeenAt: now, expiresAt: Math.min(now + this.o.idleMs, now + this.o.absoluteMs),
      ...(signIn ? { signIn } : {}),
    };
    await this.store.putSession(record);
    return { id, record };
  }

  /** The live session for `id`, its idle clock restarted; throws `session_required` when there is none. */
  async resume(id: string | undefined): Promise<Session> {
    if (id === undefined) throw new GatewayError('session_required');
    const record = await this.store.getSession(hashSessionId(id));
    const now = this.clock.now();
    if (record === undefined) throw new GatewayError('session_required');
    if (record.expiresAt <= now) {
      await this.store.deleteSession(record.idHash);
      throw new GatewayError('session_required');
    }
    const touched = { ...record, lastSeenAt: now, expiresAt: Math.min(now + this.o.idleMs, record.createdAt + this.o.absoluteMs) };
    await this.store.putSession(touched);
    return { id, record: touched };
  }

  /** Ends it server-side: the cookie is worthless from now on, wherever it is replayed. */
  async end(id: string | undefined): Promise<void> {
    if (id !== undefined) await this.store.deleteSession(hashSessionId(id));
  }

  purge(): Promise<number> {
    return this.store.purgeSessions(this.clock.now());
  }
}
