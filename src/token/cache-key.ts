import { hash } from 'node:crypto';
import { CHECKSUM_CHARS } from './checksum.js';

interface LastToken {
  token: string;
  key: string;
}

/**
 * Each connection's last token and that token's key. A WeakMap, not a property on the socket: a
 * property added to some sockets gives them a second hidden class, and Node's stream code, which
 * sees every socket, got slower on Node 20 for every request (anonymous ones too).
 */
const LAST = new WeakMap<object, LastToken>();

/**
 * The token caches' key: SHA-256 of the whole token. A tampered token hashes elsewhere, so it can
 * never land on another token's entry, and the caches hold no raw token.
 *
 * `conn` is the connection the token came on. A keep-alive connection usually sends the same
 * token on every request (an API client, a CI job), so it remembers its last token and that
 * token's key: a repeat costs a comparison instead of a hash. The hash is native code that runs
 * with the CPU's caches cold between the sockets' work; it cost about 1 µs CPU per request on
 * bench's bearer-hot row and about 5 on bearer-hot@http-proxy, Node 24 (bench/RESULTS.md, "Where the time
 * goes"). The token stays in memory as long as the connection that carried it, no longer. A
 * connection from a proxy in front carries other clients' tokens: see sameToken.
 */
export function cacheKeyOf(token: string, conn?: object): string {
  const last = conn === undefined ? undefined : LAST.get(conn);
  if (last !== undefined && sameToken(last.token, token)) return last.key;
  const key = hash('sha256', token, 'base64'); // one-shot: half the cost of createHash()
  if (last !== undefined) {
    last.token = token;
    last.key = key;
  } else if (conn !== undefined) {
    LAST.set(conn, { token, key });
  }
  return key;
}

/**
 * Equal tokens. The last CHECKSUM_CHARS characters come first, with an early exit: they are the
 * checksum, a CRC32 of the rest, which tells nothing that helps find a token, and a different
 * token almost always differs there, so it costs a few comparisons. A full comparison of every
 * character on each new token measured 5 µs CPU per request more on bench's bearer-10k row
 * (Node 20). The characters before it are then compared in a time that depends on the length
 * only (a token's length is public).
 */
function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const body = a.length - CHECKSUM_CHARS;
  for (let i = body; i < a.length; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return false;
  let diff = 0;
  for (let i = 0; i < body; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
