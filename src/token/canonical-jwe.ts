/**
 * One token, one spelling. RFC 7515 §2 / RFC 7516 §7.1: each segment of a compact JWE is
 * base64url without padding (RFC 4648 §5), and a canonical encoder leaves the unused bits of the
 * last character at zero (RFC 4648 §3.5). Decoders (Node's, hence jose's) also accept padding,
 * the `+/` alphabet and non-zero unused bits, so without this check one token would have many
 * spellings, each its own cache entry. Runs on the miss path only: a cached token is canonical,
 * and any other spelling hashes elsewhere and misses.
 */
export function isCanonicalCompactJwe(token: string): boolean {
  let segments = 1;
  let start = 0;
  for (let i = 0; i <= token.length; i++) {
    const c = i === token.length ? 46 : token.charCodeAt(i);
    if (c === 46 /* . */) {
      if (!canonicalTail(token, start, i)) return false;
      if (i < token.length && ++segments > 5) return false;
      start = i + 1;
    } else if (VALUE[c] === undefined || VALUE[c]! < 0) {
      return false;
    }
  }
  return segments === 5;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Character code → 6-bit value; -1 outside the base64url alphabet. */
const VALUE: readonly number[] = Array.from({ length: 128 }, (_, c) => ALPHABET.indexOf(String.fromCharCode(c)));

/** A segment of length n: n % 4 === 1 is never valid; 2 or 3 leave 4 or 2 unused bits that must be zero. */
function canonicalTail(s: string, start: number, end: number): boolean {
  const n = end - start;
  const rest = n % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = VALUE[s.charCodeAt(end - 1)]!;
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}
