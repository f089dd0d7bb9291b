import { randomBytes, type KeyObject } from 'node:crypto';
import { encodeClaims } from './claims-codec.js';
import { seal } from './envelope.js';
import { DEFAULT_TOKEN_PREFIX, FULL_SCOPES, type TokenClaims } from './format.js';

export interface MintInput {
  companyId: string;
  generation: number;
  key: KeyObject;
  userId: string;
  login: string;
  /** Seconds since the epoch. */
  now: number;
  validitySeconds: number;
  /** Fixed id (tests): base64url of 16 bytes; random 128 bits otherwise. */
  tokenId?: string;
  /** `crk`: the key of the credential sealed for replay (src/identity/replay-credential.ts). */
  replayKey?: string;
  /** What the token may do; `['full']` (the personal token) by default. */
  scopes?: readonly string[];
  /** `tokens.prefix`; `hlgw_` by default. */
  prefix?: string;
}

export function newTokenId(): string {
  // Never starting with `-` (1 id in 64 otherwise): a command line reads such an id as an option
  // (`hlgw token revoke -3Yh...` is "unknown option"). The first 6 bits are then never 62.
  for (;;) {
    const id = randomBytes(16);
    if (id[0]! >> 2 !== 62) return id.toString('base64url');
  }
}

/**
 * Seals a token for one user of one portfolio (src/token/format.ts). Used by the issuing service
 * and by tests. Sealing is synchronous; the promise keeps the callers' contract.
 */
export function mintToken(input: MintInput): Promise<{ token: string; claims: TokenClaims }> {
  const claims: TokenClaims = {
    tokenId: input.tokenId ?? newTokenId(),
    userId: input.userId,
    login: input.login,
    companyId: input.companyId,
    generation: input.generation,
    issuedAt: input.now,
    expiresAt: input.now + input.validitySeconds,
    scopes: input.scopes ?? FULL_SCOPES,
    ...(input.replayKey === undefined ? {} : { replayKey: input.replayKey }),
  };
  try {
    const token = seal(input.prefix ?? DEFAULT_TOKEN_PREFIX, claims.companyId, claims.generation, input.key, encodeClaims(claims));
    return Promise.resolve({ token, claims });
  } catch (err) {
    return Promise.reject(err as Error);
  }
}
