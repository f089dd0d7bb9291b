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
 * A JWS/JWE compact serialization starts with base64url('{"'): a token pasted into a path. Its
 * dots may arrive percent-encoded (`%2E`): they are followed too, so no part of it stays.
 */
const TOKEN_IN_PATH = /eyJ[A-Za-z0-9_-]*(?:(?:\.|%2[Ee])[A-Za-z0-9_-]*)*/g;

/**
 * A request target fit for a log line: the path only (a query string may carry anything, a token
 * included), each token-shaped part replaced by `[token]`; a target that is not a path (`*`, an
 * absolute URL) is not logged. Every log line that names a request's path goes through this.
 */
export function redactPath(target: string | undefined): string {
  const url = target ?? '';
  if (url.charCodeAt(0) !== 47 /* / */) return '(not a path)';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path.includes('eyJ') ? path.replace(TOKEN_IN_PATH, '[token]') : path;
}
