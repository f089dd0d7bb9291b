import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { SessionStore } from '../../store/types.js';

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
 * Sign-ins started and not yet finished, kept server-side in the store and bound to a
 * short-lived pre-session cookie (256 random bits; stored under its SHA-256, so a copy of the
 * store names no usable cookie). One use: the return step takes the entry out whatever the
 * outcome (atomically: of two concurrent attempts one gets it), so a state that leaked (it
 * travels in URLs) cannot be replayed, and a stolen cookie is worth one attempt within `ttlMs`.
 *
 * In the store, not in process memory: the provider's answer may reach another worker or
 * instance than the one that started the sign-in (server.workers, several instances on Redis).
 */
export class PendingSignIns {
  constructor(private readonly store: SessionStore, private readonly clock: Clock, readonly ttlMs: number) {}

  /** Remembers `p`; returns the cookie value that alone can claim it. */
  async begin(p: PendingSignIn): Promise<string> {
    const cookie = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    await this.store.putOnce('sso-pending', hashOf(cookie), JSON.stringify(p), now + this.ttlMs, now);
    return cookie;
  }

  /** The sign-in this cookie started, removed; undefined when unknown, used or expired. */
  async take(cookie: string | undefined): Promise<PendingSignIn | undefined> {
    if (cookie === undefined) return undefined;
    const json = await this.store.takeOnce('sso-pending', hashOf(cookie), this.clock.now());
    return json === undefined ? undefined : (JSON.parse(json) as PendingSignIn);
  }
}

export function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}
