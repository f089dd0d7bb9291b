import { hash } from 'node:crypto';

/** Where a connection keeps the last token it carried, with that token's key. */
const LAST = Symbol('hlgw.lastToken');

interface LastToken {
  token: string;
  key: string;
}

type Connection = object & { [LAST]?: LastToken };

/**
 * The token caches' key: SHA-256 of the whole token. A tampered token hashes elsewhere, so it can
 * never land on another token's entry, and the caches hold no raw token.
 *
 * `conn` is the connection the token came on. A keep-alive connection usually sends the same
 * token on every request (an API client, a CI job), so it remembers its last token and that
 * token's key: a repeat costs a comparison instead of a hash. The hash is native code that runs
 * with the CPU's caches cold between the sockets' work; it cost 1 to 2 µs CPU per request on
 * bench's bearer-hot row and about 7 on bearer-hot@http-proxy (bench/RESULTS.md, "Where the time
 * goes"). The token stays in memory as long as the connection that carried it, no longer. The
 * comparison takes the same time wherever the tokens differ: a connection from a proxy in front
 * carries other clients' tokens.
 */
export function cacheKeyOf(token: string, conn?: object): string {
  const c = conn as Connection | undefined;
  const last = c?.[LAST];
  if (last !== undefined && sameToken(last.token, token)) return last.key;
  const key = hash('sha256', token, 'base64'); // one-shot: half the cost of createHash()
  if (last !== undefined) {
    last.token = token;
    last.key = key;
  } else if (c !== undefined) {
    c[LAST] = { token, key };
  }
  return key;
}

/** Equal strings, in a time that depends on their length only (a token's length is public). */
function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
