import { createCipheriv, createSecretKey, randomBytes, scrypt, type KeyObject } from 'node:crypto';
import { EncryptJWT } from 'jose';
import { MasterKey } from '../../src/secrets/master-key.js';
import { CHECKSUM_CHARS, tokenChecksum } from '../../src/token/checksum.js';
import { stretchPassphrase, tokenKey } from '../../src/token/derive-key.js';
import { DEFAULT_TOKEN_PREFIX } from '../../src/token/format.js';

/**
 * Helpers that build hostile tokens, for the negative cases. They write the wire format
 * (src/token/envelope.ts, src/token/claims-codec.ts) by hand, without its checks, so a test can seal
 * what the gateway would never issue.
 */

/** prefix ‖ body with its checksum appended. */
export function withChecksum(text: string): string {
  return text + tokenChecksum(text);
}

/** The body's bytes (between prefix and checksum). */
export function bodyBytes(token: string, prefix = DEFAULT_TOKEN_PREFIX): Buffer {
  return Buffer.from(token.slice(prefix.length, -CHECKSUM_CHARS), 'base64url');
}

/** A token whose body is `bytes`, with a correct checksum. */
function fromBodyBytes(bytes: Buffer, prefix = DEFAULT_TOKEN_PREFIX): string {
  return withChecksum(prefix + bytes.toString('base64url'));
}

/** Flips bit `bit` of body byte `i` and recomputes the checksum: only the seal (or the parse) can refuse it. */
export function flipBodyBit(token: string, i: number, bit = 0, prefix = DEFAULT_TOKEN_PREFIX): string {
  const b = bodyBytes(token, prefix);
  b[i] = b[i]! ^ (1 << bit);
  return fromBodyBytes(b, prefix);
}

/** Claims as the codec lays them out, any value allowed (flags computed unless given). */
export interface RawClaims {
  tokenId?: Buffer;
  iat?: number;
  exp?: number;
  userId?: string | Buffer;
  login?: string | Buffer;
  scopes?: string[];
  crk?: Buffer;
  flags?: number;
  /** Bytes appended after the record. */
  trailing?: Buffer;
}

function len(v: Buffer): Buffer {
  return Buffer.concat([v.length < 0x80 ? Buffer.from([v.length]) : Buffer.from([0x80 | (v.length >> 8), v.length & 0xff]), v]);
}

function rawClaims(c: RawClaims = {}): Buffer {
  const now = Math.floor(Date.now() / 1000);
  const times = Buffer.alloc(8);
  times.writeUInt32BE(c.iat ?? now, 0);
  times.writeUInt32BE(c.exp ?? now + 3600, 4);
  const flags = c.flags ?? ((c.crk ? 1 : 0) | (c.scopes ? 2 : 0));
  return Buffer.concat([
    Buffer.from([flags]), c.tokenId ?? randomBytes(16), times,
    len(Buffer.from(c.userId ?? 'u-1')), len(Buffer.from(c.login ?? 'eve@acme.example')),
    ...(c.scopes ? [Buffer.from([c.scopes.length]), ...c.scopes.map((s) => len(Buffer.from(s)))] : []),
    c.crk ?? Buffer.alloc(0), c.trailing ?? Buffer.alloc(0),
  ]);
}

export interface RawEnvelope {
  companyId?: string;
  generation?: number;
  version?: number;
  prefix?: string;
  /** The prefix the additional data names (default: `prefix`). */
  aadPrefix?: string;
}

/** A token sealed with `key` around any plaintext and header values of our choosing. */
function sealRaw(key: KeyObject, e: RawEnvelope, plaintext: Buffer): string {
  const prefix = e.prefix ?? DEFAULT_TOKEN_PREFIX;
  const cid = Buffer.from(e.companyId ?? 'acme');
  const header = Buffer.alloc(6);
  header[0] = e.version ?? 1;
  header.writeUInt32BE(e.generation ?? 1, 1);
  header[5] = cid.length;
  const readable = Buffer.concat([header, cid]);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.concat([Buffer.from(e.aadPrefix ?? prefix), readable]));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return fromBodyBytes(Buffer.concat([readable, iv, ct, cipher.getAuthTag()]), prefix);
}

/** sealRaw of rawClaims. */
export function sealWith(key: KeyObject, e: RawEnvelope = {}, claims: RawClaims = {}): string {
  return sealRaw(key, e, rawClaims(claims));
}

/** A JWE of the previous format (`typ: hlgw-at+v2`, `dir` + A256GCM), sealed with `key`. */
export function jweToken(key: KeyObject, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new EncryptJWT({ sub: 'u-1', login: 'eve@acme.example', cid: 'acme', jti: 'forged-id', iat: now, exp: now + 3600 })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: 'hlgw-at+v2', cid: 'acme', kgen: 1, ...header } as never)
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

/** A token in the 0.1.0 format (`typ: hlgw-at`, a JWE), sealed with `key`. */
export function v1Token(key: KeyObject, companyId: string, kgen: number): Promise<string> {
  return jweToken(key, { typ: 'hlgw-at', cid: companyId, kgen });
}

/**
 * Non-canonical spellings of the same body bytes, each with a correct checksum (RFC 4648 §3.5, §5):
 * a lenient decoder reads each as the same token, so each would be its own cache entry unless refused.
 */
export function nonCanonicalVariants(token: string, prefix = DEFAULT_TOKEN_PREFIX): [string, string][] {
  const body = token.slice(prefix.length, -CHECKSUM_CHARS);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const out: [string, string][] = [];
  const make = (b: string) => withChecksum(prefix + b);
  out.push(['padded with \'=\'', make(body + '='.repeat((4 - (body.length % 4)) % 4 || 4))]);
  if (body.length % 4 !== 0) {
    const last = alphabet.indexOf(body[body.length - 1]!);
    out.push(['a non-zero unused bit', make(body.slice(0, -1) + alphabet[last | 0x01]!)]);
  }
  if (/[-_]/.test(body)) out.push(['the base64 alphabet (+/)', make(body.replace(/-/g, '+').replace(/_/g, '/'))]);
  return out;
}
