import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The user's own credential, kept for replay (`identity.upstream: basic`).
 *
 * AES-256-GCM under a random per-token key, the token id as associated data. The ciphertext goes
 * to the store (TokenRecord.sealedCredential); the key goes only into the token's sealed claims
 * (`crk`, src/token/format.ts). So a copy of the store, even with the master key, holds no
 * password without the token; a token holder cannot read it either (the claims are sealed with
 * the portfolio key); and a ciphertext moved to another token id does not open (the AAD).
 */
const VERSION = 'c1';

/** A fresh 256-bit key, base64url (the `crk` claim). */
export function newReplayKey(): string {
  return randomBytes(32).toString('base64url');
}

/** `c1.<iv>.<ciphertext>.<tag>`, base64url; a new IV each time, so one password under two tokens differs. */
export function sealCredential(credential: string, replayKey: string, tokenId: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', keyOf(replayKey), iv);
  c.setAAD(Buffer.from(tokenId));
  const ct = Buffer.concat([c.update(credential, 'utf8'), c.final()]);
  return [VERSION, iv.toString('base64url'), ct.toString('base64url'), c.getAuthTag().toString('base64url')].join('.');
}

/** The credential, or undefined when this key and token id do not open it (tampered, moved, wrong key). */
export function openCredential(sealed: string, replayKey: string, tokenId: string): string | undefined {
  const [v, iv, ct, tag] = sealed.split('.');
  if (v !== VERSION || !iv || !ct || !tag) return undefined;
  try {
    const d = createDecipheriv('aes-256-gcm', keyOf(replayKey), Buffer.from(iv, 'base64url'));
    d.setAAD(Buffer.from(tokenId));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

function keyOf(replayKey: string): Buffer {
  const k = Buffer.from(replayKey, 'base64url');
  if (k.length !== 32) throw new Error('replay key must be 32 bytes');
  return k;
}
