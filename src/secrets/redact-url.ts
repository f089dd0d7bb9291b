/** A URL fit for logs and output: its password (redis://:secret@host) replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '<invalid url>';
  }
}

/**
 * A JWS/JWE compact serialization starts with base64url('{"'): a token pasted into a path (the
 * assertions of identity.upstream: assertion are JWS). Its dots may arrive percent-encoded (`%2E`):
 * they are followed too, so no part of it stays.
 */
const JWS_IN_PATH = /eyJ[A-Za-z0-9_-]*(?:(?:\.|%2[Ee])[A-Za-z0-9_-]*)*/g;
/**
 * A gateway token (src/token/format.ts): whatever `tokens.prefix` is, it is a run of at least 86
 * characters of `[A-Za-z0-9_-]` (the shortest body, src/token/envelope.ts BODY_MIN_CHARS, which this
 * layer cannot import; test/security/path-redaction.test.ts holds the two together), prefix
 * and checksum included. Any such run is taken for one: a path segment that long is rarely anything else.
 */
export const TOKEN_RUN = 86;
const TOKEN_IN_PATH = /[A-Za-z0-9_-]{86,}/g; // TOKEN_RUN: a literal, so the ReDoS check reads it

/**
 * A request target fit for a log line: the path only (a query string may carry anything, a token
 * included), each token-shaped part replaced by `[token]`; a target that is not a path (`*`, an
 * absolute URL) is not logged. Every log line that names a request's path goes through this.
 */
export function redactPath(target: string | undefined): string {
  const url = target ?? '';
  if (url.charCodeAt(0) !== 47 /* / */) return '(not a path)';
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  if (path.includes('eyJ')) path = path.replace(JWS_IN_PATH, '[token]');
  return path.length >= TOKEN_RUN ? path.replace(TOKEN_IN_PATH, '[token]') : path;
}
