import type { ErrorCode } from '../errors.js';
import type { TokenRecord } from '../store/types.js';
import type { TokenClaims } from './format.js';

/**
 * Only issued tokens are valid: a well-sealed token must also be the one the store
 * recorded when it was issued, claim for claim. The seal already needs the master key; this
 * check means that even with it (and the pass phrase) nobody mints a token for another user,
 * with a longer life, or with an id that was never issued. Pure; the caller fetches the record.
 * Revocation is not decided here: TokenState holds it, for cache hits too (the caller passes on
 * a revocation the record shows and the state has not heard of yet).
 */
export function checkIssued(c: TokenClaims, r: TokenRecord | undefined): ErrorCode | undefined {
  if (r === undefined) return 'token_unknown';
  if (r.tokenId !== c.tokenId || r.companyId !== c.companyId || r.userId !== c.userId || r.login !== c.login ||
      r.generation !== c.generation || r.createdAt !== c.issuedAt * 1000 || r.expiresAt !== c.expiresAt * 1000 ||
      // A replay key and a sealed credential come together, or not at all.
      (c.replayKey !== undefined) !== (r.sealedCredential != null)) {
    return 'token_unknown';
  }
  return undefined;
}
