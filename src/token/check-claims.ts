import type { ErrorCode } from '../errors.js';
import type { PortfolioRuntime, VerificationState } from './verification-state.js';
import type { TokenClaims } from './format.js';

/**
 * The checks that must never be stale, run on every request including cache hits:
 * expiry (capped by the portfolio's duration in force), the portfolio still allowed and enabled
 * with the same key generation, the company still under the root whose key opened the token (a
 * reparented company's cached tokens stop here at once), and the token id not revoked. Pure and allocation-free;
 * `undefined` means the token is good.
 */
export function checkClaims(c: TokenClaims, state: VerificationState, nowSeconds: number, skewSeconds: number): ErrorCode | undefined {
  if (c.expiresAt + skewSeconds <= nowSeconds) return 'token_expired';
  const p = state.portfolio(c.companyId);
  if (p === undefined || !state.isAllowed(c.companyId)) return notAllowed(c.companyId, state);
  if (!p.enabled) return 'token_auth_disabled';
  if (c.portfolioId !== undefined && p.companyId !== c.portfolioId) return 'token_revoked';
  if (p.generation !== c.generation) return 'token_revoked';
  if (c.issuedAt + p.durationMinutes * 60 + skewSeconds <= nowSeconds) return 'token_expired';
  if (state.isRevoked(c.tokenId)) return 'token_revoked';
  return undefined;
}

/** Why a portfolio that is unknown or not allowed refuses the token: the operator's deny has its own code. */
export function notAllowed(companyId: string, state: VerificationState): ErrorCode {
  return state.isDeniedByOperator(companyId) ? 'token_portfolio_denied' : 'token_wrong_portfolio';
}

/**
 * When a token stops being valid, in seconds: `min(exp, iat + duration in force)`. The duration
 * is "the policy for user tokens created within your portfolio": lowering it shortens tokens
 * already issued, at once; raising it never extends a token past its own `exp`.
 */
export function effectiveExpiry(c: Pick<TokenClaims, 'issuedAt' | 'expiresAt'>, p: Pick<PortfolioRuntime, 'durationMinutes'>): number {
  return Math.min(c.expiresAt, c.issuedAt + p.durationMinutes * 60);
}
