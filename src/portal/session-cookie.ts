import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/**
 * The portal's session cookie. Over TLS it is `__Host-hlgw_session` with `Secure` and `Path=/`
 * (RFC 6265bis §4.1.3.2: the `__Host-` prefix requires `Path=/` and no `Domain`, so no sibling
 * subdomain can set or shadow it); over plain HTTP (127.0.0.1 during a trial) `hlgw_session`
 * with `Path` = the endpoints prefix. Always HttpOnly (no script reads it) and SameSite=Strict
 * (a cross-site request carries no session). No Max-Age: the server decides when it ends.
 */
const PLAIN_NAME = 'hlgw_session';
const TLS_NAME = '__Host-hlgw_session';

/** Whether this request reached us over TLS: directly, or as a trusted proxy says (X-Forwarded-Proto). */
export function arrivedOverTls(req: IncomingMessage, trustedProxies: ReadonlySet<string>): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  if (!trustedProxies.has(req.socket.remoteAddress ?? '')) return false;
  const proto = req.headers['x-forwarded-proto'];
  // The first value is the client's hop (RFC 7239 order).
  return typeof proto === 'string' && proto.split(',')[0]!.trim().toLowerCase() === 'https';
}

function cookieName(tls: boolean): string {
  return tls ? TLS_NAME : PLAIN_NAME;
}

/** The session id from the request's Cookie header, read under the name for this transport only. */
export function readSessionCookie(headers: IncomingHttpHeaders, tls: boolean): string | undefined {
  const header = headers.cookie;
  if (header === undefined) return undefined;
  const name = cookieName(tls);
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const v = part.slice(eq + 1).trim();
    // Ids we issue are 43 base64url characters; anything else is not ours.
    return /^[A-Za-z0-9_-]{43}$/.test(v) ? v : undefined;
  }
  return undefined;
}

export function sessionCookie(id: string, tls: boolean, prefix: string): string {
  return tls
    ? `${TLS_NAME}=${id}; Path=/; Secure; HttpOnly; SameSite=Strict`
    : `${PLAIN_NAME}=${id}; Path=${prefix}; HttpOnly; SameSite=Strict`;
}

export function clearedCookie(tls: boolean, prefix: string): string {
  return tls
    ? `${TLS_NAME}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`
    : `${PLAIN_NAME}=; Path=${prefix}; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/**
 * Removes the session cookie from a request about to be proxied: with `__Host-` (Path=/) the
 * browser sends it to every path, and the upstream has no business seeing a portal session.
 * Only runs when a Cookie header is present; other cookies pass untouched.
 */
export function stripSessionCookie(headers: IncomingHttpHeaders): void {
  const header = headers.cookie;
  if (header === undefined || !header.includes('hlgw_s')) return;
  const kept = header.split(';').filter((p) => {
    const name = p.slice(0, p.indexOf('=') === -1 ? p.length : p.indexOf('=')).trim();
    // Also the SSO pre-session cookie (src/portal/sso-cookie.ts), Path=/ over TLS.
    return name !== PLAIN_NAME && name !== TLS_NAME && name !== 'hlgw_sso' && name !== '__Host-hlgw_sso';
  });
  if (kept.length === 0) delete headers.cookie;
  else headers.cookie = kept.map((p) => p.trim()).join('; ');
}
