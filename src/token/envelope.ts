import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { CHECKSUM_CHARS, tokenChecksum } from './checksum.js';
import { CLAIMS_MAX_BYTES, CLAIMS_MIN_BYTES } from './claims-codec.js';
import { COMPANY_ID_RE, TOKEN_FORMAT_VERSION } from './format.js';

/**
 * The sealed envelope a token's body carries (src/token/format.ts):
 *
 *   version (1) ‖ key generation (u32) ‖ len (u8) ‖ company id ‖ IV (12) ‖ ciphertext ‖ tag (16)
 *
 * AES-256-GCM, pinned: no algorithm is named in the token, so none can be chosen by it (RFC 8725
 * §3.1 is met by construction). The additional data is prefix ‖ everything before the IV: the
 * prefix, version, generation and company id cannot change without breaking the seal. A random
 * 96-bit IV per token (NIST SP 800-38D §8.2.2); a key generation sees far fewer than 2^32 tokens.
 */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const COMPANY_ID_MAX = 64;
const GCM = 'aes-256-gcm';

const base64urlChars = (bytes: number) => Math.ceil((bytes * 4) / 3);
/** The shortest and longest bodies the format allows (the scanner pattern's bounds, src/token/scanner-pattern.ts). */
export const BODY_MIN_CHARS = base64urlChars(6 + 1 + IV_BYTES + CLAIMS_MIN_BYTES + TAG_BYTES);
export const BODY_MAX_CHARS = base64urlChars(6 + COMPANY_ID_MAX + IV_BYTES + CLAIMS_MAX_BYTES + TAG_BYTES);

/** A body's readable part and its sealed part; nothing in it is trusted until `unseal` succeeds. */
export interface Envelope {
  readonly companyId: string;
  readonly generation: number;
  readonly aad: Buffer;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

/** The whole token: prefix, base64url body, checksum. */
export function seal(prefix: string, companyId: string, generation: number, key: KeyObject, plaintext: Buffer): string {
  const cid = Buffer.from(companyId, 'latin1');
  if (!COMPANY_ID_RE.test(companyId) || !Number.isInteger(generation) || generation < 1 || generation > 0xffff_ffff) {
    throw new Error('company id or key generation out of the token format');
  }
  const header = Buffer.alloc(6);
  header[0] = TOKEN_FORMAT_VERSION;
  header.writeUInt32BE(generation, 1);
  header[5] = cid.length;
  const readable = Buffer.concat([header, cid]);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(GCM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.concat([Buffer.from(prefix, 'latin1'), readable]));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const body = prefix + Buffer.concat([readable, iv, ciphertext, cipher.getAuthTag()]).toString('base64url');
  return body + tokenChecksum(body);
}

/**
 * The envelope of a canonical token (src/token/canonical-token.ts ran first), or undefined when
 * its readable part is not of this format: another version, generation 0, a company id that is
 * not one, or too few bytes left for the claims.
 */
export function readEnvelope(token: string, prefix: string): Envelope | undefined {
  const b = Buffer.from(token.slice(prefix.length, token.length - CHECKSUM_CHARS), 'base64url');
  if (b.length < 6 || b[0] !== TOKEN_FORMAT_VERSION) return undefined;
  const generation = b.readUInt32BE(1);
  const cidEnd = 6 + b[5]!;
  if (generation < 1 || b.length < cidEnd + IV_BYTES + CLAIMS_MIN_BYTES + TAG_BYTES) return undefined;
  const companyId = b.toString('latin1', 6, cidEnd);
  if (!COMPANY_ID_RE.test(companyId)) return undefined;
  return {
    companyId, generation,
    aad: Buffer.concat([Buffer.from(prefix, 'latin1'), b.subarray(0, cidEnd)]),
    iv: b.subarray(cidEnd, cidEnd + IV_BYTES),
    ciphertext: b.subarray(cidEnd + IV_BYTES, b.length - TAG_BYTES),
    tag: b.subarray(b.length - TAG_BYTES),
  };
}

/** The plaintext, or undefined when the seal does not hold (wrong key, any changed bit). */
export function unseal(e: Envelope, key: KeyObject): Buffer | undefined {
  try {
    const d = createDecipheriv(GCM, key, e.iv, { authTagLength: TAG_BYTES });
    d.setAAD(e.aad);
    d.setAuthTag(e.tag);
    return Buffer.concat([d.update(e.ciphertext), d.final()]);
  } catch {
    return undefined;
  }
}
