import type { IncomingHttpHeaders } from 'node:http';

/**
 * The pre-session cookie of an SSO sign-in: it binds the provider's callback to the browser
 * that started it (the server-side state, src/users/sso/pending-sign-ins.ts). SameSite=Lax, not
 * Strict: the callback is a top-level cross-site GET from the provider, which Strict would strip.
 * Lax still keeps it off cross-site subrequests and POSTs. HttpOnly; it dies with the sign-in.
 */
const PLAIN = 'hlgw_sso';
const TLS = '__Host-hlgw_sso';

export function ssoCookie(value: string, tls: boolean, prefix: string, maxAgeSeconds: number): string {
  return tls
    ? `${TLS}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}`
    : `${PLAIN}=${value}; Path=${prefix}/ui/sso; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}`;
}

export function clearedSsoCookie(tls: boolean, prefix: string): string {
  return ssoCookie('', tls, prefix, 0);
}

export function readSsoCookie(headers: IncomingHttpHeaders, tls: boolean): string | undefined {
  const name = tls ? TLS : PLAIN;
  for (const part of (headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const v = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{43}$/.test(v) ? v : undefined;
  }
  return undefined;
}
