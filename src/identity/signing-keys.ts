import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { MasterKey } from '../secrets/master-key.js';
import type { SigningKeyRecord, Store } from '../store/types.js';

export type AssertionAlg = SigningKeyRecord['alg'];

/** One usable key: its id, algorithm and the unsealed private key (memory only). */
export interface Signer {
  readonly kid: string;
  readonly alg: AssertionAlg;
  readonly key: KeyObject;
}

const context = (kid: string) => `signing-key:${kid}`;

/** A new key pair, the private half sealed by the master key: what goes to the store. */
export function newSigningKey(alg: AssertionAlg, masterKey: MasterKey, createdAt: number, activeFrom: number): SigningKeyRecord {
  const kid = randomBytes(12).toString('base64url');
  const { privateKey, publicKey } = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return { kid, alg, publicJwk: JSON.stringify(jwk), sealedPrivateKey: masterKey.seal(der, context(kid)), createdAt, activeFrom, retiredAt: null };
}

/**
 * `hlgw keys rotate`: a new key, published at once and signing from `now + activateAfterMs` (every
 * instance has loaded it by then: verifiers never meet a kid they could not fetch); the keys it
 * replaces retire at that moment and stay published `overlapMs` longer, so assertions signed just
 * before still verify.
 */
export async function rotateSigningKeys(store: Store, masterKey: MasterKey, o: { alg: AssertionAlg; now: number; activateAfterMs: number }): Promise<SigningKeyRecord> {
  const next = newSigningKey(o.alg, masterKey, o.now, o.now + o.activateAfterMs);
  await store.putSigningKey(next);
  for (const k of await store.listSigningKeys()) {
    if (k.kid !== next.kid && k.retiredAt === null) await store.putSigningKey({ ...k, retiredAt: next.activeFrom });
  }
  return next;
}

/**
 * The keys of this instance, loaded from the store (so every instance signs with the same set) and
 * refreshed off the hot path. Signs with the newest active key of the configured algorithm;
 * publishes every key not retired for longer than the overlap window.
 */
export class SigningKeyRing {
  private records: SigningKeyRecord[] = [];
  private readonly unsealed = new Map<string, KeyObject>();
  private jwksBody: Buffer | undefined;
  private jwksAt = -1;

  constructor(
    private readonly store: Store,
    private readonly masterKey: MasterKey,
    private readonly alg: AssertionAlg,
    private readonly overlapMs: number,
  ) {}

  /** Loads the set; creates the first key when the store has none of this algorithm (first start). */
  async refresh(now: number): Promise<void> {
    let records = await this.store.listSigningKeys();
    if (!records.some((k) => k.alg === this.alg && k.retiredAt === null)) {
      await this.store.putSigningKey(newSigningKey(this.alg, this.masterKey, now, now));
      records = await this.store.listSigningKeys();
    }
    this.records = records;
    this.jwksBody = undefined;
  }

  /** The key to sign with at `now`: the newest active one (all instances pick the same). */
  signer(now: number): Signer {
    let best: SigningKeyRecord | undefined;
    for (const k of this.records) {
      if (k.alg !== this.alg || k.activeFrom > now || (k.retiredAt !== null && k.retiredAt <= now)) continue;
      if (!best || k.activeFrom > best.activeFrom || (k.activeFrom === best.activeFrom && k.kid > best.kid)) best = k;
    }
    // A retired key is better than none (a rotation raced a refresh); refresh() guarantees one exists.
    best ??= this.records.filter((k) => k.alg === this.alg).at(-1);
    if (!best) throw new Error('no assertion signing key loaded');
    let key = this.unsealed.get(best.kid);
    if (!key) {
      key = createPrivateKey({ key: this.masterKey.unseal(best.sealedPrivateKey, context(best.kid)), format: 'der', type: 'pkcs8' });
      this.unsealed.set(best.kid, key);
    }
    return { kid: best.kid, alg: best.alg, key };
  }

  /** RFC 7517 §5 JWK Set of the published keys; rebuilt at most once a second. */
  jwks(now: number): Buffer {
    if (this.jwksBody === undefined || now - this.jwksAt >= 1000) {
      const keys = this.records.filter((k) => k.retiredAt === null || k.retiredAt + this.overlapMs > now).map((k) => JSON.parse(k.publicJwk) as object);
      this.jwksBody = Buffer.from(JSON.stringify({ keys }));
      this.jwksAt = now;
    }
    return this.jwksBody;
  }
}
