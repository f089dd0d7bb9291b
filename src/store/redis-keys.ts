import { createHash } from 'node:crypto';
import type { RevokeReason, TokenRecord } from './types.js';

const REVOKE_REASONS: ReadonlySet<string> = new Set<RevokeReason>(['revoked', 'renewed', 'reparented', 'leaked']);

/**
 * Key layout of the Redis store. Everything about one portfolio shares the hash tag `{companyId}`,
 * so it lives in one Redis Cluster slot and a renewal (revoke the user's tokens + insert) runs as
 * one atomic script. Only the two global indexes below sit outside a portfolio's slot.
 *
 *   <p>:portfolios                  SET   company ids that have any data (global index)
 *   <p>:token-portfolio             HASH  token id → company id (global index, for lookups by id)
 *   <p>:{c}:portfolio               STRING the PortfolioRecord as JSON
 *   <p>:{c}:tok:<tokenId>           HASH  one TokenRecord (null fields stored as '')
 *   <p>:{c}:tokens                  ZSET  token ids by createdAt
 *   <p>:{c}:user:<userId>           SET   token ids of one user
 *   <p>:{c}:revoked                 ZSET  revoked token ids by expiresAt (rebuilds TokenState)
 *   <p>:{c}:audit                   ZSET  "<id>|<json>" by id, newest = highest
 *   <p>:{c}:audit-seq               STRING last audit id of the portfolio
 *   <p>:{<budget>}:login-attempts   ZSET  failed-login reservations by expiry; <budget> is the limiter's
 *                                         opaque key (`l:<hash of login>`, `a:<hash of address>`), its own
 *                                         hash tag: a login's budget is one slot, reserved by one script
 *   <p>:access                      HASH  company id → AccessRecord JSON (the operator's allow/deny, global)
 *   <p>:changes                     pub/sub channel of StateChange messages
 *   <p>:session:<idHash>            STRING a portal SessionRecord as JSON, PEXPIRE = its remaining life
 *   <p>:user-sessions:<userId>      SET   id hashes of one user's sessions (may name ended ones), PEXPIRE =
 *                                         the longest remaining life among them
 *   <p>:login-sessions:<hash>       SET   the same for one login (<hash>: base64url SHA-256 of the login as
 *                                         recorded), whatever user id its sessions name
 *   <p>:signing-keys                HASH  kid → SigningKeyRecord as JSON (global: shared by every portfolio)
 *   <p>:once:<kind>:<idHash>        STRING a one-time record (SSO pending sign-in, seen SAML assertion id),
 *                                         PEXPIRE = its remaining life; taken with GETDEL
 *   <p>:company-edges               HASH  company id → learned CompanyEdge JSON, `#version` → last version (global)
 *   <p>:{c}:expiry                  ZSET  token ids by expiresAt (token.expiring's scan; pruned as they expire)
 *   <p>:{c}:outbox                  ZSET  webhook event ids by due time (a claim moves it to the lease's end)
 *   <p>:{c}:outbox-entries          HASH  event id → OutboxEntry JSON
 *   <p>:{c}:expiring:<tokenId>:<m>  STRING token.expiring sent for lead <m> minutes, PEXPIRE = until the token expires
 *
 * The outbox sits in the portfolio's slot, so each change and its events are one script.
 */
export class RedisKeys {
  constructor(private readonly p: string) {}

  get portfolios(): string { return `${this.p}:portfolios`; }
  get tokenPortfolio(): string { return `${this.p}:token-portfolio`; }
  get channel(): string { return `${this.p}:changes`; }
  get access(): string { return `${this.p}:access`; }
  get signingKeys(): string { return `${this.p}:signing-keys`; }
  get companyEdges(): string { return `${this.p}:company-edges`; }

  /** Outside any portfolio's slot: a session belongs to a person, looked up by its id alone. */
  session(idHash: string): string { return `${this.p}:session:${idHash}`; }
  /** Its own key too: a user's sessions are found (and ended) by user id. */
  userSessions(userId: string): string { return `${this.p}:user-sessions:${userId}`; }
  /** And by login (hashed: a login is free text), for a login the directory now answers with another user id. */
  loginSessions(login: string): string { return `${this.p}:login-sessions:${createHash('sha256').update(login).digest('base64url')}`; }
  /** Like a session: one key, looked up by its hash alone. */
  once(kind: string, idHash: string): string { return `${this.p}:once:${kind}:${idHash}`; }

  portfolio(c: string): string { return `${this.p}:{${c}}:portfolio`; }
  /** Prefix of the per-token hashes of a portfolio (the renewal script appends ids). */
  tokenPrefix(c: string): string { return `${this.p}:{${c}}:tok:`; }
  token(c: string, tokenId: string): string { return this.tokenPrefix(c) + tokenId; }
  tokens(c: string): string { return `${this.p}:{${c}}:tokens`; }
  user(c: string, userId: string): string { return `${this.p}:{${c}}:user:${userId}`; }
  revoked(c: string): string { return `${this.p}:{${c}}:revoked`; }
  audit(c: string): string { return `${this.p}:{${c}}:audit`; }
  auditSeq(c: string): string { return `${this.p}:{${c}}:audit-seq`; }
  loginAttempts(budget: string): string { return `${this.p}:{${budget}}:login-attempts`; }
  expiry(c: string): string { return `${this.p}:{${c}}:expiry`; }
  outbox(c: string): string { return `${this.p}:{${c}}:outbox`; }
  outboxEntries(c: string): string { return `${this.p}:{${c}}:outbox-entries`; }
  expiringMark(c: string, tokenId: string, leadMinutes: number): string { return `${this.p}:{${c}}:expiring:${tokenId}:${leadMinutes}`; }
}

/** TokenRecord ↔ hash fields. */
export function tokenFields(r: TokenRecord): string[] {
  return [
    'tokenId', r.tokenId, 'companyId', r.companyId, 'userId', r.userId, 'login', r.login,
    'generation', String(r.generation), 'createdAt', String(r.createdAt), 'expiresAt', String(r.expiresAt),
    'revokedAt', r.revokedAt === null ? '' : String(r.revokedAt),
    'revokedReason', r.revokedReason ?? '',
    'lastUsedAt', r.lastUsedAt === null ? '' : String(r.lastUsedAt),
    'sealedCredential', r.sealedCredential ?? '',
    ...(r.signIn ? ['signInProvider', r.signIn.provider, 'signInIssuer', r.signIn.issuer] : []),
    ...(r.portfolioId !== undefined ? ['portfolioId', r.portfolioId] : []),
    ...(r.name !== undefined ? ['name', r.name] : []),
    ...(r.scopes !== undefined ? ['scopes', r.scopes.join(' ')] : []),
  ];
}

export function tokenFromHash(h: Record<string, string>): TokenRecord | undefined {
  if (!h.tokenId) return undefined;
  return {
    tokenId: h.tokenId, companyId: h.companyId ?? '', userId: h.userId ?? '', login: h.login ?? '',
    generation: Number(h.generation), createdAt: Number(h.createdAt), expiresAt: Number(h.expiresAt),
    revokedAt: h.revokedAt ? Number(h.revokedAt) : null,
    revokedReason: REVOKE_REASONS.has(h.revokedReason ?? '') ? h.revokedReason as RevokeReason : null,
    lastUsedAt: h.lastUsedAt ? Number(h.lastUsedAt) : null,
    ...(h.sealedCredential ? { sealedCredential: h.sealedCredential } : {}),
    ...(h.signInProvider ? { signIn: { provider: h.signInProvider, issuer: h.signInIssuer ?? '' } } : {}),
    ...(h.portfolioId ? { portfolioId: h.portfolioId } : {}),
    ...(h.name ? { name: h.name } : {}),
    ...(h.scopes ? { scopes: h.scopes.split(' ') } : {}),
    ...(h.lastUsedIp ? { lastUsedIp: h.lastUsedIp } : {}),
  };
}
