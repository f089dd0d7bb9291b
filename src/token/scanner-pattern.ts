import { CHECKSUM_CHARS } from './checksum.js';
import { BODY_MAX_CHARS, BODY_MIN_CHARS } from './envelope.js';

/** `tokens.prefix` is at most this long (src/config/schema.ts). */
const PREFIX_MAX_CHARS = 16;
/** No token of this format, with any prefix, is longer. */
export const TOKEN_MAX_CHARS = PREFIX_MAX_CHARS + BODY_MAX_CHARS + CHECKSUM_CHARS;

/**
 * The regular expression a secret scanner needs to find this gateway's tokens (published in
 * docs/architecture/token.md and docs/OPERATIONS.md, "If a token leaks"): the prefix, a body of a
 * length the format allows, the six base62 characters of the checksum. A scanner that also checks
 * the checksum (src/token/checksum.ts) tells real tokens from random strings of the same shape.
 * Returned as a source string: the gateway itself never runs it (it checks tokens without a regex).
 */
export function scannerPattern(prefix: string): string {
  return `\\b${prefix}[A-Za-z0-9_-]{${BODY_MIN_CHARS},${BODY_MAX_CHARS}}[0-9A-Za-z]{${CHECKSUM_CHARS}}\\b`;
}
