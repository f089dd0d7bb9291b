import type { ErrorCode } from '../errors.js';

/** What the Authorization header holds. Only Bearer is the gateway's business on the proxy path. */
export type Credential =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic' }
  /** Any other scheme (Digest, Negotiate...): forwarded untouched, like Basic. */
  | { readonly kind: 'other' }
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'malformed'; readonly code: ErrorCode };

const NONE: Credential = Object.freeze({ kind: 'none' });
const BASIC: Credential = Object.freeze({ kind: 'basic' });
const OTHER: Credential = Object.freeze({ kind: 'other' });
const MALFORMED: Credential = Object.freeze({ kind: 'malformed', code: 'bearer_malformed' });
const TOO_LARGE: Credential = Object.freeze({ kind: 'malformed', code: 'token_too_large' });

/** RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Classifies one Authorization header value. Scheme names are case-insensitive (RFC 7235 §2.1).
 * A Bearer credential must be exactly one b64token of at most `maxTokenBytes`.
 *
 * Anything whose first word merely starts with "bearer" (`Bearer<TAB>t`, `Bearer,t`, `Bearert`)
 * is malformed, never another scheme: an upstream or a proxy behind it may read it as Bearer
 * leniently, and it must never see one of our tokens (RFC 6750 §2.1 allows only 1*SP).
 */
export function classifyAuthorization(header: string | undefined, maxTokenBytes: number): Credential {
  if (header === undefined || header === '') return NONE;
  const sp = header.indexOf(' ');
  const scheme = sp === -1 ? header : header.slice(0, sp);
  if (scheme.length === 5 && scheme.toLowerCase() === 'basic') return BASIC;
  if (!startsWithBearer(header)) return OTHER;
  if (scheme.length !== 6 || sp === -1) return MALFORMED;
  let start = sp + 1;
  while (header.charCodeAt(start) === 32) start++; // 1*SP
  const token = header.slice(start);
  if (token.length === 0) return MALFORMED;
  // Size first: never run the grammar over an attacker's megabyte.
  if (token.length > maxTokenBytes) return TOO_LARGE;
  if (!B64TOKEN.test(token)) return MALFORMED; // includes "several tokens" (a space inside)
  return { kind: 'bearer', token };
}

const BEARER = [...'bearer'].map((c) => c.charCodeAt(0));

/** Case-insensitive "bearer" prefix, without allocating a lowercased copy of the header. */
function startsWithBearer(h: string): boolean {
  if (h.length < 6) return false;
  for (let i = 0; i < 6; i++) if ((h.charCodeAt(i) | 0x20) !== BEARER[i]) return false;
  return true;
}
