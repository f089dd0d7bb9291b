import { GatewayError } from '../errors.js';
import type { LoginRateLimiter } from '../users/login-rate-limiter.js';
import type { UserIdentity } from '../users/types.js';

/**
 * The one place the portal talks to the failed-login limiter (src/users/login-rate-limiter.ts),
 * the same instance the /auth API uses, so failures on either count for both (and, with Redis,
 * on every instance). Kept to this adapter so a change of the limiter's API touches one file.
 *
 * Resolves the identity, or throws `rate_limited` (with Retry-After) or `login_failed`.
 */
export function createLoginGate(limiter: LoginRateLimiter) {
  return async function attempt(login: string, address: string, verify: () => Promise<UserIdentity | undefined>): Promise<UserIdentity> {
    const identity = await limiter.attempt(login, address, verify);
    if (identity === undefined) throw new GatewayError('login_failed');
    return identity;
  };
}

export type LoginGate = ReturnType<typeof createLoginGate>;
