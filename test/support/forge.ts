import { createSecretKey, randomBytes, scrypt, type KeyObject } from 'node:crypto';
import { EncryptJWT } from 'jose';
import { MasterKey } from '../../src/secrets/master-key.js';
import { stretchPassphrase, tokenKey } from '../../src/token/derive-key.js';
import { TOKEN_TYP } from '../../src/token/format.js';

/** Helpers that build hostile tokens, for the negative cases. */

function b64url(s: string | Buffer): string {
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

/** The header of a current-format token of `companyId`, generation `kgen`. */
export function tokenHeader(companyId: string, kgen: number): Record<string, unknown> {
  return { alg: 'dir', enc: 'A256GCM', typ: TOKEN_TYP, cid: companyId, kgen };
}

/** A correctly encrypted JWT with a header of our choosing (wrong alg/enc/typ...). */
export async function sealWith(key: KeyObject, header: Record<string, unknown>, claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new EncryptJWT({ sub: 'u-1', login: 'eve@acme.example', cid: 'acme', jti: 'forged-id', iat: now, exp: now + 3600, ...claims })
    .setProtectedHeader(header as never)
    .encrypt(key);
}

export interface ForgeInput {
  passphrase: string;
  companyId: string;
  generation: number;
  /**
   * The master key, for an attacker who has it too. Without it, the attacker runs the public
   * key schedule with everything they know and a guess of the master key (which is all they can do).
   */
  masterKey?: MasterKey;
}

/** The key a pass-phrase holder computes with the published key schedule (docs/architecture/token.md, "The key schedule"). */
export async function forgedKey(o: ForgeInput): Promise<KeyObject> {
  const master = o.masterKey ?? MasterKey.fromBase64(randomBytes(32).toString('base64'), 'a guess');
  return tokenKey(await stretchPassphrase(o.passphrase, o.companyId), master, o.companyId, o.generation);
}

/** The 0.1.0 key schedule: the pass phrase alone, `scrypt(pass phrase, label + company id)`. */
export function v1Key(passphrase: string, companyId: string): Promise<KeyObject> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), `hlgw/portfolio-key/v1:${companyId}`, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(createSecretKey(key))));
  });
}

/** A token in the 0.1.0 format (`typ: hlgw-at`, no version), sealed with `key`. */
export function v1Token(key: KeyObject, companyId: string, kgen: number, claims: Record<string, unknown> = {}): Promise<string> {
  return sealWith(key, { alg: 'dir', enc: 'A256GCM', typ: 'hlgw-at', cid: companyId, kgen }, { cid: companyId, ...claims });
}

/** An "alg: none" compact token: five segments, nothing sealed. */
export function algNone(): string {
  const header = b64url(JSON.stringify({ alg: 'none', enc: 'A256GCM', typ: TOKEN_TYP, cid: 'acme', kgen: 1 }));
  const payload = b64url(JSON.stringify({ sub: 'u-1', login: 'eve', cid: 'acme', jti: 'x', iat: 1, exp: 9999999999 }));
  return `${header}..${b64url('iv')}.${payload}.`;
}

/**
 * Non-canonical base64url spellings of the same bytes, segment by segment (RFC 7515 §2 / RFC 4648 §3.5:
 * base64url without padding, and §3.5 of RFC 4648 on the unused bits): each decodes to the same token
 * with a lenient decoder, so each would be its own cache entry unless refused.
 */
export function nonCanonicalVariants(token: string): [string, string][] {
  const parts = token.split('.');
  const out: [string, string][] = [];
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  parts.forEach((seg, i) => {
    if (seg.length === 0) return;
    const replace = (s: string) => parts.map((p, j) => (j === i ? s : p)).join('.');
    out.push([`segment ${i} padded with '='`, replace(seg + '='.repeat((4 - (seg.length % 4)) % 4 || 4))]);
    const rest = seg.length % 4;
    if (rest !== 0) {
      // Set one unused trailing bit of the last character: same decoded bytes, other string.
      const last = alphabet.indexOf(seg[seg.length - 1]!);
      const flipped = alphabet[last | 0x01]!; // the lowest bit is unused when 2 or 4 bits are left over
      if (flipped !== seg[seg.length - 1]) out.push([`segment ${i} with a non-zero unused bit`, replace(seg.slice(0, -1) + flipped)]);
    }
    if (/[-_]/.test(seg)) out.push([`segment ${i} in the base64 alphabet (+/)`, replace(seg.replace(/-/g, '+').replace(/_/g, '/'))]);
  });
  return out;
}
