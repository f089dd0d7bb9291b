import { crc32 } from 'node:zlib';

/**
 * The last characters of every token: CRC32 of everything before them (prefix included), in
 * base62, zero-padded to CHECKSUM_CHARS (GitHub's scheme for its tokens). Not a seal: it lets a
 * scanner tell a real token from a random string of the same shape, and the gateway refuse noise
 * (a typo, a truncated paste) without a decryption or a store read.
 */
export const CHECKSUM_CHARS = 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The checksum of `text` (62^6 > 2^32: six characters hold every CRC32). */
export function tokenChecksum(text: string): string {
  let n = crc32(text);
  let out = '';
  for (let i = 0; i < CHECKSUM_CHARS; i++) {
    out = BASE62[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** True when the token's last CHECKSUM_CHARS characters are the checksum of the rest. */
export function hasValidChecksum(token: string): boolean {
  if (token.length <= CHECKSUM_CHARS) return false;
  const cut = token.length - CHECKSUM_CHARS;
  return tokenChecksum(token.slice(0, cut)) === token.slice(cut);
}
