import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes for `users.source: file`, in a self-describing string:
 *
 *   scrypt$<N>$<r>$<p>$<salt, base64url>$<hash, base64url>
 *
 * so the cost can be raised later without breaking existing entries. `hlgw hash-password`
 * prints one. Verification compares in constant time (timingSafeEqual).
 */
const HASH_PREFIX = 'scrypt';
const DEFAULT_SCRYPT = { N: 1 << 14, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Bounds on parameters read from a file: a hostile entry must not exhaust memory. */
const MAX_N = 1 << 20;

export interface ScryptParams { N: number; r: number; p: number }

interface ParsedHash extends ScryptParams { salt: Buffer; hash: Buffer }

function derive(password: string, salt: Buffer, o: ScryptParams, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, { ...o, maxmem: 256 * o.N * o.r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key));
  });
}

export async function hashPassword(password: string, o: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, o, KEY_BYTES);
  return [HASH_PREFIX, o.N, o.r, o.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Undefined when the string is not a hash this code can verify (reported at load time). */
export function parsePasswordHash(s: string): ParsedHash | undefined {
  const parts = s.split('$');
  if (parts.length !== 6 || parts[0] !== HASH_PREFIX) return undefined;
  const [N, r, p] = parts.slice(1, 4).map((x) => (/^\d{1,8}$/.test(x!) ? Number(x) : NaN)) as [number, number, number];
  if (!(N >= 2 && N <= MAX_N && (N & (N - 1)) === 0) || !(r >= 1 && r <= 32) || !(p >= 1 && p <= 16)) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const hash = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { N, r, p, salt, hash };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parsePasswordHash(stored);
  if (!h) return false;
  const got = await derive(password, h.salt, h, h.hash.length);
  return timingSafeEqual(got, h.hash);
}

/**
 * What a portal session remembers of the password hash it was signed in with (src/portal/session-binding.ts):
 * 132 bits of a domain-separated SHA-256 of the stored hash string. A new password (a new salt)
 * changes it. It is not the hash: without the users file (the salt) a copy of the store gives no
 * way to test password guesses against it.
 */
export function passwordMark(storedHash: string): string {
  return createHash('sha256').update('hlgw/session-password-mark/v1\0').update(storedHash).digest('base64url').slice(0, 22);
}
