import { GatewayError } from '../errors.js';
import { notAllowed } from './check-claims.js';
import { isCanonicalToken } from './canonical-token.js';
import { decodeClaims } from './claims-codec.js';
import { readEnvelope, unseal } from './envelope.js';
import { DEFAULT_TOKEN_PREFIX, type TokenClaims } from './format.js';
import type { PortfolioRuntime, VerificationState } from './verification-state.js';

/**
 * Opens a token: the spelling and checksum, the readable company id and generation, the key of
 * that portfolio and generation from the state, the seal (AES-256-GCM, node:crypto directly), then
 * the claims. This is the cache-miss path; checkClaims runs on every request anyway. `prefix` is
 * `tokens.prefix`. Throws GatewayError with the reason.
 */
export function openToken(token: string, state: VerificationState, nowSeconds: number, skewSeconds: number, prefix = DEFAULT_TOKEN_PREFIX): Promise<TokenClaims> {
  try {
    const claims = openSealed(token, state, prefix);
    if (claims.expiresAt + skewSeconds <= nowSeconds) throw new GatewayError('token_expired');
    return Promise.resolve(claims);
  } catch (err) {
    return Promise.reject(err instanceof GatewayError ? err : new GatewayError('token_malformed'));
  }
}

/**
 * The claims of a token whose seal holds with its portfolio's key in force, expired or not (a
 * leak report recognises an expired token too). Synchronous: no step waits on anything.
 */
export function openSealed(token: string, state: VerificationState, prefix: string): TokenClaims {
  if (!isCanonicalToken(token, prefix)) throw new GatewayError('token_malformed');
  return openCanonical(token, state, prefix);
}

/** openSealed for a token that isCanonicalToken already accepted (the validator checks it first, to negative-cache noise). */
export function openCanonical(token: string, state: VerificationState, prefix: string): TokenClaims {
  const e = readEnvelope(token, prefix);
  if (e === undefined) throw new GatewayError('token_malformed');
  const p = keyFor(e.companyId, e.generation, state);
  const plaintext = unseal(e, p.key!);
  if (plaintext === undefined) throw new GatewayError('token_invalid_seal');
  // Sealed with our key yet not a record of this format: only a holder of the key can get here.
  const claims = decodeClaims(plaintext, e.companyId, e.generation);
  if (claims === undefined) throw new GatewayError('token_malformed');
  claims.portfolioId = p.companyId;
  return claims;
}

/** The portfolio whose key opens this token (its key is set). The company id is untrusted: only ever a Map lookup. */
function keyFor(companyId: string, generation: number, state: VerificationState): PortfolioRuntime {
  const p = state.portfolio(companyId);
  if (!p || !state.isAllowed(companyId)) throw new GatewayError(notAllowed(companyId, state));
  if (!p.enabled) throw new GatewayError('token_auth_disabled');
  // A token of an older generation was reset (disable/enable or new pass phrase).
  if (p.generation !== generation) throw new GatewayError('token_revoked');
  if (!p.key) throw new GatewayError('token_auth_disabled');
  return p;
}
