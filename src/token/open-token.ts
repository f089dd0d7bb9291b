import type { KeyObject } from 'node:crypto';
import { errors, jwtDecrypt, type JWEHeaderParameters } from 'jose';
import { GatewayError } from '../errors.js';
import type { TokenState } from '../state/token-state.js';
import { COMPANY_ID_RE, TOKEN_ALG, TOKEN_ENC, TOKEN_TYP, type TokenClaims } from './format.js';

/**
 * Opens a token: choose the key from the (untrusted) header, decrypt and authenticate,
 * validate the claims. Throws GatewayError with the reason. This is the cache-miss path.
 */
export async function openToken(token: string, state: TokenState, nowSeconds: number, skewSeconds: number): Promise<TokenClaims> {
  let header: { cid: string; kgen: number } | undefined;
  try {
    const { payload } = await jwtDecrypt(
      token,
      (h: JWEHeaderParameters) => {
        header = readHeader(h);
        return keyFor(header.cid, header.kgen, state);
      },
      {
        // Pinned: anything but dir + A256GCM with our typ is refused (RFC 8725 §3.1).
        keyManagementAlgorithms: [TOKEN_ALG],
        contentEncryptionAlgorithms: [TOKEN_ENC],
        typ: TOKEN_TYP,
        currentDate: new Date(nowSeconds * 1000),
        clockTolerance: skewSeconds,
        requiredClaims: ['jti', 'sub', 'iat', 'exp'],
      },
    );
    const { jti, sub, login, cid, iat, exp } = payload;
    if (typeof jti !== 'string' || typeof sub !== 'string' || typeof login !== 'string' || cid !== header!.cid ||
        typeof iat !== 'number' || typeof exp !== 'number') {
      throw new GatewayError('token_malformed');
    }
    return { tokenId: jti, userId: sub, login, companyId: cid, generation: header!.kgen, issuedAt: iat, expiresAt: exp };
  } catch (err) {
    throw toGatewayError(err);
  }
}

/** Header values are untrusted input: a strange one is a 401, never a lookup outside the known portfolios. */
function readHeader(h: JWEHeaderParameters): { cid: string; kgen: number } {
  const { cid, kgen } = h as { cid?: unknown; kgen?: unknown };
  if (typeof cid !== 'string' || !COMPANY_ID_RE.test(cid) || typeof kgen !== 'number' || !Number.isSafeInteger(kgen) || kgen < 1) {
    throw new GatewayError('token_malformed');
  }
  return { cid, kgen };
}

function keyFor(companyId: string, generation: number, state: TokenState): KeyObject {
  const p = state.portfolio(companyId);
  if (!p || !state.isAllowed(companyId)) throw new GatewayError('token_wrong_portfolio');
  if (!p.enabled) throw new GatewayError('token_auth_disabled');
  // A token of an older generation was reset (disable/enable or new pass phrase).
  if (p.generation !== generation) throw new GatewayError('token_revoked');
  if (!p.key) throw new GatewayError('token_auth_disabled');
  return p.key;
}

function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof errors.JWTExpired) return new GatewayError('token_expired');
  if (err instanceof errors.JWEDecryptionFailed) return new GatewayError('token_invalid_seal');
  // Wrong alg/enc/typ, bad JSON, missing claims, unsupported header: all "malformed".
  return new GatewayError('token_malformed');
}
