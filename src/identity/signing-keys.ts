import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { rejection } from '../errors.js';
import type { MasterKey } from '../secrets/master-key.js';
import type { SigningKeyRecord, SigningKeyStore } from '../store/types.js';

export type AssertionAlg = SigningKeyRecord['alg'];

/** One usable key: its id, algorithm and the unsealed private key (memory only). */
export interface Signer {
  readonly kid: string;
  readonly alg: AssertionAlg;
  readonly key: KeyObject;
}

const context = (kid: string) => `signing-key:${kid}`;

/** A new key pair, the private half sealed by the master key: what goes to the store. */
function newSigningKey(alg: AssertionAlg, masterKey: MasterKey, createdAt: number, activeFrom: number): SigningKeyRecord {
  const kid = randomBytes(12).toString('base64url');
  const { privateKey, publicKey } = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return { kid, alg, publicJwk: JSON.stringify(jwk), sealedPrivateKey: masterKey.seal(der, context(kid)), createdAt, activeFrom, retiredAt: null };
}

/** The private key of `record`; throws (MasterKeyMismatch) when `masterKey` is not the one it was sealed with. */
export function unsealSigningKey(record: SigningKeyRecord, masterKey: MasterKey): KeyObject {
  return createPrivateKey({ key: masterKey.unseal(record.sealedPrivateKey, context(record.kid)), format: 'der', type: 'pkcs8' });
}

/**
 * `hlgw keys rotate`: a new key, published at once and signing from `now + activateAfterMs` (every
 * instance has loaded it by then: verifiers never meet a kid they could not fetch); the keys it
 * replaces retire at that moment and stay published `overlapMs` longer, so assertions signed just
 * before still verify.
 */
export async function rotateSigningKeys(store: SigningKeyStore, masterKey: MasterKey, o: { alg: AssertionAlg; now: number; activateAfterMs: number }): Promise<SigningKeyRecord> {
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
  /** Keys that did not open with this master key: tried once, never again on the hot path. */
  private readonly unusable = new Set<string>();
  private jwksBody: Buffer | undefined;
  private jwksAt = -1;

  constructor(
    private readonly store: SigningKeyStore,
    private readonly masterKey: MasterKey,
    private readonly alg: AssertionAlg,
    private readonly overlapMs: number,
    /** Called once per key that does not open (the composition root logs it). */
    private readonly onUnusable: (kid: string) => void = () => undefined,
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

  /**
   * The key to sign with at `now`: the newest active one (all instances pick the same). Throws
   * the shared `signing_key_unusable` rejection (503) when it does not open with this master key
   * (sealed under another one, e.g. by a CLI run with the wrong key): the request is refused, the
   * process lives on.
   */
  signer(now: number): Signer {
    const best = this.current(now);
    if (!best || this.unusable.has(best.kid)) throw rejection('signing_key_unusable');
    let key = this.unsealed.get(best.kid);
    if (!key) {
      try {
        key = unsealSigningKey(best, this.masterKey);
      } catch {
        this.unusable.add(best.kid);
        this.onUnusable(best.kid);
        throw rejection('signing_key_unusable');
      }
      this.unsealed.set(best.kid, key);
    }
    return { kid: best.kid, alg: best.alg, key };
  }

  /** For /readyz: why the key that signs at `now` cannot be used, or undefined when it can. Names no secret. */
  notReadyReason(now: number): string | undefined {
    try {
      this.signer(now);
      return undefined;
    } catch {
      const kid = this.current(now)?.kid;
      return kid === undefined
        ? 'no assertion signing key loaded'
        : `assertion signing key ${kid} does not open with this master key (see the log; rotate with the right master key)`;
    }
  }

  private current(now: number): SigningKeyRecord | undefined {
    let best: SigningKeyRecord | undefined;
    for (const k of this.records) {
      if (k.alg !== this.alg || k.activeFrom > now || (k.retiredAt !== null && k.retiredAt <= now)) continue;
      if (!best || k.activeFrom > best.activeFrom || (k.activeFrom === best.activeFrom && k.kid > best.kid)) best = k;
    }
    // A retired key is better than none (a rotation raced a refresh); refresh() guarantees one exists.
    return best ?? this.records.filter((k) => k.alg === this.alg).at(-1);
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
