import type { GatewayConfig } from '../config/schema.js';
import type { TokenRecord } from '../store/types.js';
import type { TokenClaims } from '../token/format.js';
import { basicIdentity } from './basic-mode.js';
import { headersIdentity } from './headers-mode.js';
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

export function chooseUpstreamIdentity(cfg: GatewayConfig['identity']): UpstreamIdentityMode {
  switch (cfg.upstream) {
    case 'basic':
      return { mode: 'basic', sealsCredential: true, watchesUpstream401: true, prepare: basicIdentity };
    case 'headers': {
      const build = headersIdentity(cfg);
      return { mode: 'headers', sealsCredential: false, watchesUpstream401: false, prepare: (claims) => build(claims) };
    }
  }
}
