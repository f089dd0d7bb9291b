import type { ErrorCode } from '../errors.js';
import type { TokenState } from '../state/token-state.js';
import type { TokenClaims } from './format.js';

/**
 * The checks that must never be stale, run on every request including cache hits:
 * expiry, the portfolio still allowed and enabled with the same key generation, and the
 * token id not revoked. Pure and allocation-free; `undefined` means the token is good.
 */
export function checkClaims(c: TokenClaims, state: TokenState, nowSeconds: number, skewSeconds: number): ErrorCode | undefined {
  if (c.expiresAt + skewSeconds <= nowSeconds) return 'token_expired';
  const p = state.portfolio(c.companyId);
  if (p === undefined || !state.isAllowed(c.companyId)) return 'token_wrong_portfolio';
  if (!p.enabled) return 'token_auth_disabled';
  if (p.generation !== c.generation) return 'token_revoked';
  if (state.isRevoked(c.tokenId)) return 'token_revoked';
  return undefined;
}
