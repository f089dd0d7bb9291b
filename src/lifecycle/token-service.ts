import { GatewayError } from '../errors.js';
import type { TokenState } from '../state/token-state.js';
import type { InsertTokenOptions, RevokeReason, SignIn, TokenRecord, TokenStore, VoidReason } from '../store/types.js';
import { effectiveExpiry } from '../token/check-claims.js';
import { SCOPES_MAX, isIdentityValue } from '../token/format.js';
import type { ScopeCatalog } from '../token/scopes.js';
import { mintToken, newTokenId } from '../token/mint.js';
import { newReplayKey, sealCredential } from '../identity/replay-credential.js';
import { DURATION_MAX_MINUTES } from './portfolio-service.js';
import type { WebhookAnnouncer } from './webhook-events.js';

export interface TokenOwner {
  userId: string;
  login: string;
  companyId: string;
  /** Absent = a password sign-in; else the SSO provider the token is bound to. */
  signIn?: SignIn;
}

export interface IssuedToken {
  token: string;
  record: TokenRecord;
  /** Ids of the user's previous tokens revoked by this renewal. */
  revoked: string[];
}

/** What the token lifecycle reports as it happens (metrics); the composition root injects it. */
export interface TokenEvents {
  issued(): void;
  revoked(reason: RevokeReason, count: number): void;
}

export type TokenStatus = 'active' | 'expired' | 'revoked';

export interface TokenServiceOptions {
  /** `identity.upstream: basic`: tokens issued with a credential carry it, sealed (src/identity/replay-credential.ts). */
  sealCredential: (companyId: string, viaSso: boolean) => boolean;
  events?: TokenEvents;
  /** Every scope a named token may name (`read`, `full`, `tokens.scopes`); without it, only `full`. */
  scopes?: ScopeCatalog;
  /** `tokens.maxPerUser`. */
  maxNamedPerUser?: number;
  /** Webhooks (src/lifecycle/webhook-events.ts): the events go into the store with the change. */
  announce?: WebhookAnnouncer;
  /** The tokens' prefix (`tokens.prefix`). */
  prefix?: string;
}

/** What `POST {prefix}/tokens` asks for, as sent (checked here). */
export interface NamedTokenRequest {
  name: unknown;
  scopes: unknown;
  validityMinutes?: number;
  /** The portfolio policy's allowedScopes; undefined = all. */
  allowedScopes?: readonly string[];
}

/** The personal token's name in lists; no named token may take it. */
export const PERSONAL_TOKEN_NAME = 'personal';
const NAME_MAX_CHARS = 100;
const DEFAULT_MAX_NAMED = 10;
// C0 controls, DEL, C1 controls, and the line and paragraph separators: a name is shown on one line.
const NAME_CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A token name: 1-100 printable characters, no controls, not "personal" (any case), not only spaces. */
function checkTokenName(name: unknown): string {
  const problem = 'name: expected 1 to 100 printable characters';
  if (typeof name !== 'string' || name.trim() === '') throw new GatewayError('validation_failed', problem);
  if ([...name].length > NAME_MAX_CHARS || NAME_CONTROL_RE.test(name) || LONE_SURROGATE_RE.test(name)) throw new GatewayError('validation_failed', `${problem} (no control characters)`);
  if (name.toLowerCase() === PERSONAL_TOKEN_NAME) throw new GatewayError('validation_failed', 'name: "personal" is reserved for the personal token');
  return name;
}

/** Issuing (one active personal token per user, and named tokens beside it), listing and revoking tokens. */
export class TokenService {
  constructor(
    private readonly store: TokenStore,
    private readonly state: TokenState,
    private readonly now: () => number,
    private readonly opts: TokenServiceOptions = { sealCredential: () => false },
  ) {}

  /**
   * Seals a new personal token for `owner`, revoking the previous personal one (renewal; named
   * tokens are never touched). `credential` is the caller's own `Authorization: Basic` (authorize):
   * kept for replay when the mode wants it.
   */
  async issue(owner: TokenOwner, validityMinutes?: number, credential?: string): Promise<IssuedToken> {
    return this.seal(owner, validityMinutes, credential, {}, { revokePreviousOfUser: true });
  }

  /**
   * A named token (`POST {prefix}/tokens`): its own name and scopes, beside the personal token and
   * the user's other named ones (at most `maxNamedPerUser` live ones, names unique among them).
   * `allowedScopes`: the portfolio policy's list (undefined = every scope the gateway knows).
   */
  async createNamed(owner: TokenOwner, req: NamedTokenRequest, credential?: string): Promise<IssuedToken> {
    const name = checkTokenName(req.name);
    const scopes = this.checkScopes(req.scopes, req.allowedScopes);
    return this.seal(owner, req.validityMinutes, credential, { name, scopes }, { revokePreviousOfUser: false, maxNamed: this.opts.maxNamedPerUser ?? DEFAULT_MAX_NAMED });
  }

  /** Every scope name the gateway knows, built-in first (the portal's choices). */
  scopeNames(): string[] {
    return this.opts.scopes?.names ?? ['full'];
  }

  /** A scope name the gateway knows (built-in or configured). */
  knowsScope(name: string): boolean {
    return this.opts.scopes?.has(name) ?? name === 'full';
  }

  private checkScopes(scopes: unknown, allowed: readonly string[] | undefined): string[] {
    if (!Array.isArray(scopes) || scopes.length === 0 || scopes.length > SCOPES_MAX || !scopes.every((x) => typeof x === 'string')) {
      throw new GatewayError('validation_failed', `scopes: expected a list of 1 to ${SCOPES_MAX} scope names`);
    }
    const names = [...new Set(scopes as string[])];
    const unknown = names.filter((n) => !this.knowsScope(n));
    if (unknown.length > 0) {
      const known = this.opts.scopes?.names.join(', ') ?? 'full';
      throw new GatewayError('validation_failed', `scopes: unknown scope ${unknown.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')} (known: ${known})`);
    }
    const refused = allowed === undefined ? [] : names.filter((n) => !allowed.includes(n));
    if (refused.length > 0) throw new GatewayError('scope_not_allowed', `${refused.join(', ')} (allowed: ${allowed!.join(', ') || 'none'})`);
    return names;
  }

  private async seal(owner: TokenOwner, validityMinutes: number | undefined, credential: string | undefined, named: { name?: string; scopes?: string[] }, insert: Omit<InsertTokenOptions, 'now'>): Promise<IssuedToken> {
    if (!this.state.isAllowed(owner.companyId)) throw new GatewayError('portfolio_not_allowed');
    const p = this.state.portfolio(owner.companyId);
    if (!p || !p.enabled) throw new GatewayError('portfolio_not_enabled');
    if (!p.key) {
      // The sealed key did not open with this master key (src/secrets/master-key.ts MasterKeyMismatch).
      throw new GatewayError('portfolio_not_enabled', 'the portfolio key cannot be unsealed with the current master key: restore it, or set the pass phrase again and re-issue every token');
    }
    // The gateway refuses such values when the token comes back (src/token/open-token.ts): never issue one.
    if (!isIdentityValue(owner.userId) || !isIdentityValue(owner.login)) {
      throw new GatewayError('validation_failed', 'user: the user id or login cannot be sent as an identity header');
    }
    if (validityMinutes !== undefined &&
        (!Number.isInteger(validityMinutes) || validityMinutes < 1 || validityMinutes > DURATION_MAX_MINUTES)) {
      throw new GatewayError('validation_failed', `validity: expected an integer number of minutes from 1 to ${DURATION_MAX_MINUTES}`);
    }
    // Capped by the portfolio's duration; the portfolio's duration by default.
    const minutes = Math.min(validityMinutes ?? p.durationMinutes, p.durationMinutes);
    const nowMs = this.now();
    const tokenId = newTokenId();
    // The per-token key goes into the sealed claims only; the store gets the ciphertext only.
    const replayKey = this.opts.sealCredential(owner.companyId, owner.signIn !== undefined) && credential !== undefined ? newReplayKey() : undefined;
    const { token, claims } = await mintToken({
      companyId: owner.companyId, generation: p.generation, key: p.key, userId: owner.userId, login: owner.login,
      now: Math.floor(nowMs / 1000), validitySeconds: minutes * 60, tokenId, replayKey, prefix: this.opts.prefix, ...(named.scopes ? { scopes: named.scopes } : {}),
    });
    const record: TokenRecord = {
      tokenId: claims.tokenId, companyId: owner.companyId, userId: owner.userId, login: owner.login, generation: p.generation,
      createdAt: claims.issuedAt * 1000, expiresAt: claims.expiresAt * 1000, revokedAt: null, lastUsedAt: null,
      ...(replayKey === undefined ? {} : { sealedCredential: sealCredential(credential!, replayKey, tokenId) }),
      ...(owner.signIn ? { signIn: owner.signIn } : {}),
      portfolioId: p.companyId,
      ...(named.name === undefined ? {} : { name: named.name }),
      ...(named.scopes === undefined ? {} : { scopes: named.scopes }),
    };
    const announce = this.opts.announce?.issued(record, nowMs);
    const revoked = await this.store.insertToken(record, { ...insert, now: nowMs, ...(announce ? { announce } : {}) });
    this.opts.events?.issued();
    this.opts.events?.revoked('renewed', revoked.length);
    return { token, record, revoked };
  }

  async list(companyId: string, userId?: string): Promise<TokenRecord[]> {
    return this.store.listTokens(companyId, userId);
  }

  async get(tokenId: string): Promise<TokenRecord | undefined> {
    return this.store.getToken(tokenId);
  }

  /** True when this call revoked it. */
  async revoke(tokenId: string, reason?: RevokeReason): Promise<boolean> {
    const now = this.now();
    // The events name the token's owner: read first (the store writes them only if this call revokes).
    const a = this.opts.announce;
    const record = a && (a.wants('token.revoked') || a.wants('token.leaked')) ? await this.store.getToken(tokenId) : undefined;
    const events = record ? a!.revoked(record, reason ?? 'revoked', now) : [];
    const done = await this.store.revokeToken(tokenId, now, reason, events);
    if (done) this.opts.events?.revoked(reason ?? 'revoked', 1);
    return done;
  }

  /** `revoked` also covers tokens of an older key generation or of a disabled portfolio; `expired` the duration in force. */
  status(r: TokenRecord): TokenStatus {
    if (r.revokedAt !== null) return 'revoked';
    const p = this.state.portfolio(r.companyId);
    if (!p || !p.enabled || p.generation !== r.generation) return 'revoked';
    return effectiveExpiry({ issuedAt: r.createdAt / 1000, expiresAt: r.expiresAt / 1000 }, p) * 1000 <= this.now() ? 'expired' : 'active';
  }

  /**
   * When and why a token stopped working before its expiry: revoked one by one (`revoked`,
   * `renewed`, `reparented`), or voided with its whole generation (`reset` by a disable/enable,
   * `passphrase_changed`, `denied` by the operator). Null for a token that is not void.
   */
  voided(r: TokenRecord): { at: number | null; reason: RevokeReason | VoidReason } | null {
    if (r.revokedAt !== null) return { at: r.revokedAt, reason: r.revokedReason ?? 'revoked' };
    const p = this.state.portfolio(r.companyId);
    if (p && p.enabled && p.generation === r.generation) return null;
    const v = p?.voids?.find((x) => x.generation > r.generation);
    return v ? { at: v.at, reason: v.reason } : { at: null, reason: 'reset' };
  }
}
