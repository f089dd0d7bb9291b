import { createIdentityBuilder } from '../auth/identity-headers.js';
import type { GatewayConfig } from '../config/schema.js';
import type { TokenClaims } from '../token/format.js';
import type { UpstreamIdentity } from './upstream-identity.js';

/** `identity.upstream: headers`: the X-Highlight-* identity headers (and the optional service credential), as before issue 10. */
export function headersIdentity(cfg: GatewayConfig['identity'], portfolioIdOf?: (companyId: string) => string): (claims: TokenClaims) => UpstreamIdentity {
  return createIdentityBuilder(cfg, portfolioIdOf);
}
