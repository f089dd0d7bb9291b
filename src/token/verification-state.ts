import type { KeyObject } from 'node:crypto';
import type { GenerationVoid } from '../store/types.js';

/** What the hot path needs to know about one portfolio, kept in memory. */
export interface PortfolioRuntime {
  readonly companyId: string;
  readonly enabled: boolean;
  /** Bumped on every disable/enable and pass-phrase change: older tokens are void. */
  readonly generation: number;
  readonly durationMinutes: number;
  /** Derived portfolio key (unsealed with the master key); absent until a pass phrase is set. */
  readonly key: KeyObject | undefined;
  /** When and why recent generations began (listing voided tokens; never read by the hot path). */
  readonly voids?: readonly GenerationVoid[];
}

/**
 * What verifying a token reads on every request, hit or miss: the portfolio's policy and key,
 * the operator's allowance and the revoked ids. TokenState (src/state/token-state.ts) is the one
 * implementation; the verification code depends on this interface, not on the state's module.
 */
export interface VerificationState {
  portfolio(companyId: string): PortfolioRuntime | undefined;
  isAllowed(companyId: string): boolean;
  /** Refused by the operator's own decision (not merely absent from `portfolios.allowed`). */
  isDeniedByOperator(companyId: string): boolean;
  isRevoked(tokenId: string): boolean;
  /** Marks a token revoked in memory until `expiresAt` (seconds), e.g. when its record says so. */
  revoke(tokenId: string, expiresAt: number): void;
}
