import type { KeyObject } from 'node:crypto';
import { EncryptJWT } from 'jose';

/** Helpers that build hostile tokens, for the negative cases. */

export function b64url(s: string | Buffer): string {
  return Buffer.from(s).toString('base64url');
}

/** Changes one character of segment `i` of a compact token (a real tamper, not a truncation). */
export function tamperSegment(token: string, i: number): string {
  const parts = token.split('.');
  const seg = parts[i]!;
  if (seg.length === 0) parts[i] = 'AAAA';
  else {
    const mid = Math.floor(seg.length / 2);
    const c = seg[mid] === 'A' ? 'B' : 'A';
    parts[i] = seg.slice(0, mid) + c + seg.slice(mid + 1);
  }
  return parts.join('.');
}

/** A correctly encrypted JWT with a header of our choosing (wrong alg/enc/typ...). */
export async function sealWith(key: KeyObject, header: Record<string, unknown>, claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new EncryptJWT({ sub: 'u-1', login: 'eve@acme.example', cid: 'acme', ...claims })
    .setProtectedHeader(header as never)
    .setJti('forged-id')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .encrypt(key);
}

/** An "alg: none" compact token: five segments, nothing sealed. */
export function algNone(): string {
  const header = b64url(JSON.stringify({ alg: 'none', enc: 'A256GCM', typ: 'hlgw-at', cid: 'acme', kgen: 1 }));
  const payload = b64url(JSON.stringify({ sub: 'u-1', login: 'eve', cid: 'acme', jti: 'x', iat: 1, exp: 9999999999 }));
  return `${header}..${b64url('iv')}.${payload}.`;
}
