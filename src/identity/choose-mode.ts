import type { GatewayConfig } from '../config/schema.js';
import type { TokenRecord } from '../store/types.js';
import type { TokenClaims } from '../token/format.js';
import { AssertionIdentity } from './assertion-mode.js';
import { basicIdentity } from './basic-mode.js';
import { headersIdentity } from './headers-mode.js';
import type { SigningKeyRing } from './signing-keys.js';
import type { UpstreamIdentity, UpstreamMode } from './upstream-identity.js';

/** One gateway's `identity.upstream`, as the composition root wires it. */
export interface UpstreamIdentityMode {
  readonly mode: UpstreamMode;
  /** authorize seals the caller's Basic credential into each new token (basic mode only). */
  readonly sealsCredential: boolean;
  /** Upstream 401s to a Bearer request mean the replayed credential was refused (basic mode only). */
  readonly watchesUpstream401: boolean;
  /** Run once per verified token, on the cache miss; may throw a GatewayError (the token is then refused). */
  prepare(claims: TokenClaims, record: TokenRecord | undefined): UpstreamIdentity;
}

/** `keys`: the assertion signing keys, required by (and only used in) `assertion` mode. */
export function chooseUpstreamIdentity(cfg: GatewayConfig['identity'], audience: string, keys?: SigningKeyRing, portfolioIdOf?: (companyId: string) => string): UpstreamIdentityMode {
  switch (cfg.upstream) {
    case 'basic':
      return { mode: 'basic', sealsCredential: true, watchesUpstream401: true, prepare: basicIdentity };
    case 'headers': {
      // Issue 12: X-Highlight-Portfolio-Id = the root of the user's company (src/users/company-tree.ts).
      const build = headersIdentity(cfg, portfolioIdOf);
      return { mode: 'headers', sealsCredential: false, watchesUpstream401: false, prepare: (claims) => build(claims) };
    }
    case 'assertion': {
      if (!keys) throw new Error('identity.upstream assertion needs its signing keys');
      const a = cfg.assertion;
      const o = { header: a.header, issuer: a.issuer, audience: a.audience ?? audience, lifetimeSeconds: a.lifetimeSeconds };
      return { mode: 'assertion', sealsCredential: false, watchesUpstream401: false, prepare: (claims) => new AssertionIdentity(claims, o, keys) };
    }
  }
}
