import { hasValidChecksum, CHECKSUM_CHARS } from './checksum.js';
import { BODY_MAX_CHARS, BODY_MIN_CHARS } from './envelope.js';

/**
 * A token as the gateway spells it, checked on the miss path before anything else (sync, no
 * allocation past the checksum): the configured prefix, a body of a possible length, the checksum
 * (noise and typos end here, negative-cacheable as `token_malformed`), and one spelling of the body:
 * base64url without padding whose unused trailing bits are zero (RFC 4648 §3.5, §5). Decoders
 * (Node's) also accept padding, `+/` and non-zero unused bits, so without this check one token
 * would have many spellings, each its own cache entry.
 */
export function isCanonicalToken(token: string, prefix: string): boolean {
  const bodyChars = token.length - prefix.length - CHECKSUM_CHARS;
  if (bodyChars < BODY_MIN_CHARS || bodyChars > BODY_MAX_CHARS || !token.startsWith(prefix)) return false;
  if (!hasValidChecksum(token)) return false;
  const end = prefix.length + bodyChars;
  for (let i = prefix.length; i < end; i++) {
    const v = VALUE[token.charCodeAt(i)];
    if (v === undefined || v < 0) return false;
  }
  return canonicalTail(token, bodyChars, end);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Character code → 6-bit value; -1 outside the base64url alphabet. */
const VALUE: readonly number[] = Array.from({ length: 128 }, (_, c) => ALPHABET.indexOf(String.fromCharCode(c)));

/** A body of n characters: n % 4 === 1 is never valid; 2 or 3 leave 4 or 2 unused bits that must be zero. */
function canonicalTail(s: string, n: number, end: number): boolean {
  const rest = n % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = VALUE[s.charCodeAt(end - 1)]!;
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}
