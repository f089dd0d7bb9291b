import { createSecretKey, hkdfSync, scrypt, type KeyObject } from 'node:crypto';
import type { MasterKey } from '../secrets/master-key.js';
import { TOKEN_KEY_LABEL } from './format.js';

/**
 * The token key schedule (docs/architecture/token.md, "The key schedule"):
 *
 *   stretched = scrypt(pass phrase, salt = "hlgw/portfolio-key/v1:" + company id)       when the pass phrase is set
 *   pepper    = HKDF-SHA256(master key, info = "hlgw/pepper/v2")                          MasterKey.deriveSubkey
 *   key       = HKDF-SHA256(ikm = stretched ‖ pepper, salt = "hlgw/token-key",
 *                           info = len‖format ‖ len‖company id ‖ u64 key generation)      whenever a policy is loaded
 *
 * RFC 8725 §3.5: a pass phrase is never a key; scrypt makes guessing slow, the pepper makes it
 * impossible without the master key (a token then gives nothing to test guesses against), and the
 * key generation in `info` gives every disable/enable its own key. Only `stretched` is stored, sealed
 * with the master key: the generation-bound key is derived at load, so a disable/enable (which knows
 * no pass phrase) still gets a new key.
 */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const PEPPER_LABEL = 'hlgw/pepper/v2';
const HKDF_SALT = 'hlgw/token-key';

/** Slow on purpose (about 50-100 ms): it runs when a pass phrase is set, never per request. */
export function stretchPassphrase(passphrase: string, companyId: string): Promise<Buffer> {
  // The salt label is 0.1.0's: the stretched value is what 0.1.0 stored, it is just no longer the key.
  const salt = `hlgw/portfolio-key/v1:${companyId}`;
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, 32, SCRYPT, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** The A256GCM content key of one portfolio's tokens of one key generation. Fast (two HMACs). */
export function tokenKey(stretched: Buffer, masterKey: MasterKey, companyId: string, generation: number): KeyObject {
  const pepper = masterKey.deriveSubkey(PEPPER_LABEL);
  const ikm = Buffer.concat([stretched, pepper]);
  try {
    return createSecretKey(Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, keyInfo(companyId, generation), 32)));
  } finally {
    ikm.fill(0);
    pepper.fill(0);
  }
}

/** Length-prefixed, so no two (format, company, generation) triples share an encoding. */
function keyInfo(companyId: string, generation: number): Buffer {
  const typ = Buffer.from(TOKEN_KEY_LABEL);
  const cid = Buffer.from(companyId);
  const gen = Buffer.alloc(8);
  gen.writeBigUInt64BE(BigInt(generation));
  return Buffer.concat([Buffer.from([typ.length]), typ, Buffer.from([cid.length]), cid, gen]);
}
