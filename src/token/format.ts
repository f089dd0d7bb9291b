/**
 * The token format, in one place. A token is a JWE in compact serialization (RFC 7516 §7.1):
 *
 *   protected header  {"alg":"dir","enc":"A256GCM","typ":"hlgw-at+v2","cid":<company id>,"kgen":<key generation>}
 *   encrypted claims  {"jti","sub" (user id),"login","cid","iat","exp"[,"crk"][,"scope"]}
 *
 * `crk` (optional) is the per-token key that opens the user's own credential kept, encrypted, in
 * the token's store record (`identity.upstream: basic`, src/identity/replay-credential.ts). It is
 * an optional claim of the same format: a token without it is what every other mode issues.
 *
 * `dir` + A256GCM: the portfolio key is the content key, the header is authenticated as AAD,
 * so nothing in the token can be changed without the key. Only the company id and the key
 * generation are readable: never who the user is (the token is anonymous).
 */
export const TOKEN_ALG = 'dir';
export const TOKEN_ENC = 'A256GCM';
/**
 * The format version is in the type (RFC 8725 §3.11) and in the key schedule's info
 * (src/token/derive-key.ts). 0.1.0 tokens (`hlgw-at`, a key from the pass phrase alone) are refused as malformed.
 */
export const TOKEN_TYP = 'hlgw-at+v2';
export const COMPANY_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
/** What the gateway issues: base64url of 128 random bits (22 characters); a little room, nothing else. */
export const TOKEN_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
/** User ids and logins longer than this are refused (they become header values). */
const IDENTITY_MAX_CHARS = 512;
/** `crk`: base64url of 32 random bytes (an AES-256 key), no padding. */
export const REPLAY_KEY_RE = /^[A-Za-z0-9_-]{43}$/;
/**
 * `scope` (RFC 8693 §4.2: space-separated names): what the token may do at the gateway
 * (src/token/scopes.ts; names as src/config/scope-rules.ts SCOPE_NAME_PATTERN). Absent = `full`, as
 * every token issued before scopes existed.
 */
/** Scopes one token may carry. */
export const SCOPES_MAX = 16;
/** The personal token's scope, and that of every token without the claim. */
export const FULL_SCOPES: readonly string[] = Object.freeze(['full']);
// C0 controls, DEL, C1 controls: never in a user id or login, and CR/LF would split a header.
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A user id or login that can become an identity header value (src/identity/headers-mode.ts):
 * non-empty, bounded, well-formed UTF-16 (a lone surrogate cannot be percent-encoded), no controls.
 * Other non-ASCII characters are fine: they are sent percent-encoded.
 */
export function isIdentityValue(v: string): boolean {
  return v.length > 0 && v.length <= IDENTITY_MAX_CHARS && !CONTROL_RE.test(v) && !LONE_SURROGATE_RE.test(v);
}

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
  /** `crk`: base64url key of the replayed credential (basic mode); absent otherwise. Never logged. */
  replayKey?: string;
  /** `scope`: the scope names sealed in the token; `['full']` for the personal token and tokens without the claim. */
  scopes: readonly string[];
  /**
   * Not a claim: the root company whose key opened the token (set by openToken). A cached token
   * whose company has since moved to another root is refused on the next hit (checkClaims).
   */
  portfolioId?: string;
}
