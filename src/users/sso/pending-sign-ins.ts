import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../../clock.js';

/** What the return step needs to check the provider's answer; never sent to the browser. */
export type PendingSignIn = PendingOidc | PendingSaml;

export interface PendingOidc {
  kind: 'oidc';
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
}

export interface PendingSaml {
  kind: 'saml';
  provider: string;
  /** The AuthnRequest's ID: the assertion's InResponseTo must be this one. */
  requestId: string;
  /** Our ACS URL (the assertion's Recipient) and entity id (its audience), as sent. */
  acsUrl: string;
  entityId: string;
}

/**
 * Sign-ins started and not yet finished, kept server-side and bound to a short-lived
 * pre-session cookie (256 random bits; stored under its SHA-256, so a heap dump names no
 * usable cookie). One use: the callback takes the entry out whatever the outcome, so a state
 * that leaked (it travels in URLs) cannot be replayed, and a stolen cookie is worth one attempt
 * within `ttlMs`. Bounded: a flood of started sign-ins evicts the oldest, it cannot grow memory.
 *
 * In memory, per process: with several workers or instances, the callback must reach the
 * process that started the sign-in (docs/ARCHITECTURE.md, identity sources).
 */
export class PendingSignIns {
  private readonly entries: LRUCache<string, PendingSignIn>;

  constructor(clock: Clock, readonly ttlMs: number, max = 10_000) {
    this.entries = new LRUCache({ max, ttl: ttlMs, perf: { now: () => clock.now() } });
  }

  /** Remembers `p`; returns the cookie value that alone can claim it. */
  begin(p: PendingSignIn): string {
    const cookie = randomBytes(32).toString('base64url');
    this.entries.set(hashOf(cookie), p);
    return cookie;
  }

  /** The sign-in this cookie started, removed; undefined when unknown, used or expired. */
  take(cookie: string | undefined): PendingSignIn | undefined {
    if (cookie === undefined) return undefined;
    const key = hashOf(cookie);
    const p = this.entries.get(key);
    this.entries.delete(key);
    return p;
  }
}

function hashOf(cookie: string): string {
  return createHash('sha256').update(cookie).digest('base64url');
}
