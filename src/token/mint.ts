import { randomBytes, type KeyObject } from 'node:crypto';
import { EncryptJWT } from 'jose';
import { FULL_SCOPES, TOKEN_ALG, TOKEN_ENC, TOKEN_TYP, type TokenClaims } from './format.js';

export interface MintInput {
  companyId: string;
  generation: number;
  key: KeyObject;
  userId: string;
  login: string;
  /** Seconds since the epoch. */
  now: number;
  validitySeconds: number;
  /** Fixed id (tests); random 128 bits otherwise. */
  tokenId?: string;
  /** `crk`: the key of the credential sealed for replay (src/identity/replay-credential.ts). */
  replayKey?: string;
  /** Sealed as `scope`; default `['full']` (then no claim is written: absent means full). */
  scopes?: readonly string[];
}

export function newTokenId(): string {
  return randomBytes(16).toString('base64url');
}

/** Seals a token for one user of one portfolio. Used by the issuing endpoint and by tests. */
export async function mintToken(input: MintInput): Promise<{ token: string; claims: TokenClaims }> {
  const claims: TokenClaims = {
    tokenId: input.tokenId ?? newTokenId(),
    userId: input.userId,
    login: input.login,
    companyId: input.companyId,
    generation: input.generation,
    issuedAt: input.now,
    expiresAt: input.now + input.validitySeconds,
    ...(input.replayKey === undefined ? {} : { replayKey: input.replayKey }),
    scopes: input.scopes ?? FULL_SCOPES,
  };
  const full = claims.scopes.length === 1 && claims.scopes[0] === 'full';
  const payload = {
    sub: claims.userId, login: claims.login, cid: claims.companyId,
    ...(input.replayKey === undefined ? {} : { crk: input.replayKey }),
    ...(full ? {} : { scope: claims.scopes.join(' ') }),
  };
  const token = await new EncryptJWT(payload)
    .setProtectedHeader({ alg: TOKEN_ALG, enc: TOKEN_ENC, typ: TOKEN_TYP, cid: claims.companyId, kgen: claims.generation })
    .setJti(claims.tokenId)
    .setIssuedAt(claims.issuedAt)
    .setExpirationTime(claims.expiresAt)
    .encrypt(input.key);
  return { token, claims };
}
