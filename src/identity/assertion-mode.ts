import { randomBytes, sign } from 'node:crypto';
import type { TokenClaims } from '../token/format.js';
import type { SigningKeyRing } from './signing-keys.js';

export interface AssertionOptions {
  header: string;
  issuer: string;
  audience: string;
  lifetimeSeconds: number;
}

/**
 * `identity.upstream: assertion`: a short-lived signed JWT (RFC 7519) the API verifies against
 * `{prefix}/.well-known/jwks.json`, instead of trusting the network. One per verified token,
 * cached with it, re-signed on use once half its life has passed, so the hot path signs at most
 * once per token per half-life and never waits (node:crypto signs synchronously, ~tens of µs).
 */
export class AssertionIdentity {
  private jwt = '';
  private refreshAt = 0;

  constructor(
    private readonly claims: TokenClaims,
    private readonly o: AssertionOptions,
    private readonly keys: SigningKeyRing,
  ) {}

  get headerName(): string {
    return this.o.header;
  }

  /** The assertion to send at `nowMs`. */
  current(nowMs: number): string {
    if (nowMs >= this.refreshAt) this.resign(nowMs);
    return this.jwt;
  }

  private resign(nowMs: number): void {
    const c = this.claims;
    const iat = Math.floor(nowMs / 1000);
    // Never outlives the token it stands for.
    const exp = Math.min(iat + this.o.lifetimeSeconds, c.expiresAt);
    const s = this.keys.signer(nowMs);
    const header = { alg: s.alg, typ: 'JWT', kid: s.kid };
    const payload = {
      iss: this.o.issuer, aud: this.o.audience, sub: c.userId, login: c.login, cid: c.companyId, tid: c.tokenId,
      // RFC 8693 §4.2: space-separated; `full` for the personal token. The gateway enforced them already.
      auth_method: 'bearer', scope: c.scopes.join(' '), iat, exp, jti: randomBytes(12).toString('base64url'),
    };
    const input = `${b64(header)}.${b64(payload)}`;
    // RFC 7518 §3.4: ES256 signatures are R || S (IEEE P1363), not DER; RFC 8037: EdDSA takes no digest.
    const sig = s.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: s.key, dsaEncoding: 'ieee-p1363' })
      : sign(null, Buffer.from(input), s.key);
    this.jwt = `${input}.${sig.toString('base64url')}`;
    this.refreshAt = (iat + (exp - iat) / 2) * 1000;
  }
}

function b64(v: object): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}
