import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * GitHub secret scanning's signature on a leak report (its partner program): an ECDSA P-256
 * SHA-256 signature, DER, base64, of the raw body, in `Github-Public-Key-Signature`, by the key
 * `Github-Public-Key-Identifier` names in the document GitHub publishes at
 * /meta/public_keys/secret_scanning: `{"public_keys":[{"key_identifier","key" (PEM),"is_current"}]}`.
 * Pinned: a key that is not P-256 is ignored, whatever the document says.
 */
export type GithubKeys = ReadonlyMap<string, KeyObject>;

/** The P-256 keys of the document, by identifier; throws when the document is not GitHub's shape. */
export function parseGithubKeys(json: string): GithubKeys {
  const doc = JSON.parse(json) as { public_keys?: unknown };
  if (!Array.isArray(doc?.public_keys)) throw new Error('expected {"public_keys":[...]}');
  const keys = new Map<string, KeyObject>();
  for (const k of doc.public_keys as unknown[]) {
    const { key_identifier: id, key } = (k ?? {}) as { key_identifier?: unknown; key?: unknown };
    if (typeof id !== 'string' || typeof key !== 'string') throw new Error('expected key_identifier and key strings');
    const pub = createPublicKey(key);
    if (pub.asymmetricKeyType === 'ec' && pub.asymmetricKeyDetails?.namedCurve === 'prime256v1') keys.set(id, pub);
  }
  return keys;
}

/** True when `signature` (base64 DER) is the named key's signature of `body`. Never throws. */
export function verifyGithubSignature(keys: GithubKeys, keyId: string, signature: string, body: Buffer): boolean {
  const key = keys.get(keyId);
  if (key === undefined) return false;
  try {
    return verify('sha256', body, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
