/**
 * The token format, in one place. A token is a JWE in compact serialization (RFC 7516 §7.1):
 *
 *   protected header  {"alg":"dir","enc":"A256GCM","typ":"hlgw-at","cid":<company id>,"kgen":<key generation>}
 *   encrypted claims  {"jti","sub" (user id),"login","cid","iat","exp"}
 *
 * `dir` + A256GCM: the portfolio key is the content key, the header is authenticated as AAD,
 * so nothing in the token can be changed without the key. Only the company id and the key
 * generation are readable: never who the user is (the token is anonymous).
 */
export const TOKEN_ALG = 'dir';
export const TOKEN_ENC = 'A256GCM';
export const TOKEN_TYP = 'hlgw-at';
export const COMPANY_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** What a successfully opened token says. */
export interface TokenClaims {
  tokenId: string;
  userId: string;
  login: string;
  companyId: string;
  generation: number;
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
}
