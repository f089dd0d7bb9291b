import { FULL_SCOPES, IDENTITY_MAX_CHARS, REPLAY_KEY_RE, SCOPE_RE, SCOPES_MAX, TOKEN_ID_RE, isIdentityValue, type TokenClaims } from './format.js';

/**
 * The sealed claims as a compact binary record (what the JSON of a JWE spelled in about 150
 * characters takes about 60 bytes here):
 *
 *   flags (1: bit 0 crk present, bit 1 scopes listed; other bits zero)
 *   token id (16 raw bytes) ‖ iat (u32) ‖ exp (u32)
 *   len ‖ user id (UTF-8) ‖ len ‖ login (UTF-8)
 *   [count (u8) ‖ (len (u8) ‖ scope)*]    when bit 1: absent means ['full'], the personal token
 *   [crk (32 raw bytes)]                  when bit 0
 *
 * `len` is one byte below 128, else two (big-endian, high bit set, value at least 128): one
 * spelling per length. Decoding is strict: a value out of range, a byte left over, or a claim that
 * could not become a header value is `undefined` (the caller answers token_malformed).
 */
const CRK = 0x01;
const SCOPES = 0x02;
const ID_BYTES = 16;
const CRK_BYTES = 32;
/** Bytes a user id or login can take: IDENTITY_MAX_CHARS UTF-16 units, at most 3 bytes each in UTF-8. */
const IDENTITY_MAX_BYTES = IDENTITY_MAX_CHARS * 3;
const U32_MAX = 0xffff_ffff;

/** The smallest record: flags, id, times, two one-byte values. */
export const CLAIMS_MIN_BYTES = 1 + ID_BYTES + 8 + 2 * 2;
export const CLAIMS_MAX_BYTES = 1 + ID_BYTES + 8 + 2 * (2 + IDENTITY_MAX_BYTES) + 1 + SCOPES_MAX * 65 + CRK_BYTES;

/** Throws (a programming error: issuing checks the values first) when a claim does not fit the format. */
export function encodeClaims(c: Omit<TokenClaims, 'companyId' | 'generation' | 'portfolioId'>): Buffer {
  const id = Buffer.from(c.tokenId, 'base64url');
  if (!TOKEN_ID_RE.test(c.tokenId) || id.length !== ID_BYTES) throw new Error('token id: expected base64url of 16 bytes');
  if (!isTime(c.issuedAt) || !isTime(c.expiresAt)) throw new Error('iat/exp: expected seconds from 0 to 2^32 - 1');
  if (!isIdentityValue(c.userId) || !isIdentityValue(c.login)) throw new Error('user id / login: not a header value');
  const listed = !sameScopes(c.scopes, FULL_SCOPES);
  if (listed && (c.scopes.length < 1 || c.scopes.length > SCOPES_MAX || !c.scopes.every((s) => SCOPE_RE.test(s)))) {
    throw new Error(`scopes: 1 to ${SCOPES_MAX} names of ${String(SCOPE_RE)}`);
  }
  if (c.replayKey !== undefined && !REPLAY_KEY_RE.test(c.replayKey)) throw new Error('crk: expected base64url of 32 bytes');
  const parts: Buffer[] = [Buffer.from([(c.replayKey === undefined ? 0 : CRK) | (listed ? SCOPES : 0)]), id, u32(c.issuedAt), u32(c.expiresAt),
    withLen(Buffer.from(c.userId)), withLen(Buffer.from(c.login))];
  if (listed) parts.push(Buffer.from([c.scopes.length]), ...c.scopes.map((s) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s)])));
  if (c.replayKey !== undefined) parts.push(Buffer.from(c.replayKey, 'base64url'));
  return Buffer.concat(parts);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const ascii = new TextDecoder('latin1');

/** The claims of a plaintext that opened with the key of `companyId`, generation `generation`. */
export function decodeClaims(b: Buffer, companyId: string, generation: number): TokenClaims | undefined {
  if (b.length < CLAIMS_MIN_BYTES || b.length > CLAIMS_MAX_BYTES) return undefined;
  const flags = b[0]!;
  if ((flags & ~(CRK | SCOPES)) !== 0) return undefined;
  const r = { b, at: 1 + ID_BYTES + 8 };
  const tokenId = b.subarray(1, 1 + ID_BYTES).toString('base64url');
  const issuedAt = b.readUInt32BE(1 + ID_BYTES);
  const expiresAt = b.readUInt32BE(5 + ID_BYTES);
  const userId = text(r);
  const login = text(r);
  if (userId === undefined || login === undefined || !isIdentityValue(userId) || !isIdentityValue(login)) return undefined;
  const scopes = (flags & SCOPES) === 0 ? FULL_SCOPES : scopeList(r);
  if (scopes === undefined) return undefined;
  let replayKey: string | undefined;
  if ((flags & CRK) !== 0) {
    if (r.at + CRK_BYTES > b.length) return undefined;
    replayKey = b.subarray(r.at, r.at + CRK_BYTES).toString('base64url');
    r.at += CRK_BYTES;
  }
  if (r.at !== b.length) return undefined;
  const claims: TokenClaims = { tokenId, userId, login, companyId, generation, issuedAt, expiresAt, scopes };
  if (replayKey !== undefined) claims.replayKey = replayKey;
  return claims;
}

interface Reader { b: Buffer; at: number }

function readLen(r: Reader): number | undefined {
  if (r.at >= r.b.length) return undefined;
  const first = r.b[r.at++]!;
  if (first < 0x80) return first;
  if (r.at >= r.b.length) return undefined;
  const n = ((first & 0x7f) << 8) | r.b[r.at++]!;
  return n < 0x80 ? undefined : n; // one spelling: a short length never takes two bytes
}

function text(r: Reader): string | undefined {
  const n = readLen(r);
  if (n === undefined || n < 1 || n > IDENTITY_MAX_BYTES || r.at + n > r.b.length) return undefined;
  try {
    return utf8.decode(r.b.subarray(r.at, (r.at += n)));
  } catch {
    return undefined;
  }
}

function scopeList(r: Reader): readonly string[] | undefined {
  if (r.at >= r.b.length) return undefined;
  const count = r.b[r.at++]!;
  if (count < 1 || count > SCOPES_MAX) return undefined;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = r.at < r.b.length ? r.b[r.at++]! : 0;
    if (n < 1 || r.at + n > r.b.length) return undefined;
    const s = ascii.decode(r.b.subarray(r.at, (r.at += n)));
    if (!SCOPE_RE.test(s)) return undefined;
    out.push(s);
  }
  // ['full'] has one spelling: the flag, never a list.
  return sameScopes(out, FULL_SCOPES) ? undefined : out;
}

function withLen(v: Buffer): Buffer {
  if (v.length > IDENTITY_MAX_BYTES) throw new Error('value too long for the token format');
  return Buffer.concat([v.length < 0x80 ? Buffer.from([v.length]) : Buffer.from([0x80 | (v.length >> 8), v.length & 0xff]), v]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

const isTime = (n: number) => Number.isInteger(n) && n >= 0 && n <= U32_MAX;

function sameScopes(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
