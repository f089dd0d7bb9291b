import { DEFAULTS } from '../config/schema.js';

/**
 * The token format, in one place (docs/architecture/token.md, "The wire format"):
 *
 *   token = prefix ‖ base64url(envelope) ‖ checksum
 *   envelope = version (1 byte) ‖ key generation (u32) ‖ len ‖ company id ‖ IV (12) ‖ AES-256-GCM(claims) ‖ tag (16)
 *   checksum = CRC32(prefix ‖ base64url(envelope)) in base62, 6 characters (src/token/checksum.ts)
 *
 * The prefix (`tokens.prefix`, `hlgw_` by default) and the checksum make a leaked token recognisable
 * by a secret scanner (src/token/scanner-pattern.ts) and let noise be refused before any
 * decryption. The GCM additional data is prefix ‖ everything before the IV, so nothing readable can
 * be changed without the key. Only the company id and the key generation are readable: never who
 * the user is (the token is anonymous). The claims are a compact binary record (src/token/claims-codec.ts).
 */
export const TOKEN_FORMAT_VERSION = 1;
/** What `tokens.prefix` defaults to. */
export const DEFAULT_TOKEN_PREFIX: string = DEFAULTS.tokenPrefix;
/**
 * The format's label in the key schedule's info (src/token/derive-key.ts): bumped with every format,
 * so no two formats share a key. `hlgw-at+v2` was the JWE of 0.2; 0.1.0's was `hlgw-at`.
 */
export const TOKEN_KEY_LABEL = 'hlgw-at+v3';
/** The personal token's scopes: everything. */
export const FULL_SCOPES: readonly string[] = Object.freeze(['full']);
/** One scope name as sealed (at most SCOPES_MAX of them, each at most 64 characters). */
export const SCOPE_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
export const SCOPES_MAX = 32;
export const COMPANY_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
/** What the gateway issues and the format carries: base64url of 128 random bits (22 characters). */
export const TOKEN_ID_RE = /^[A-Za-z0-9_-]{21}[AQgw]$/;
/** User ids and logins longer than this are refused (they become header values). */
export const IDENTITY_MAX_CHARS = 512;
/** `crk`: base64url of 32 random bytes (an AES-256 key), no padding. */
export const REPLAY_KEY_RE = /^[A-Za-z0-9_-]{43}$/;
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
  /** What the token may do, sealed in it; `['full']` for the personal token. */
  scopes: readonly string[];
  /** `crk`: base64url key of the replayed credential (basic mode); absent otherwise. Never logged. */
  replayKey?: string;
  /**
   * Not a claim: the root company whose key opened the token (set by openToken). A cached token
   * whose company has since moved to another root is refused on the next hit (checkClaims).
   */
  portfolioId?: string;
}
