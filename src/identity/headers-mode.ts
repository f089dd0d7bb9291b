import type { GatewayConfig } from '../config/schema.js';
import type { TokenClaims } from '../token/format.js';

/**
 * `identity.upstream: headers`: the X-Highlight-* identity headers for one verified token, built
 * once and cached with it, as one flat `[name, value, name, value, ...]` array: half the memory of
 * pairs per cached token.
 */
export type HeaderList = readonly string[];

/**
 * Header values must be visible ASCII; a login outside that is sent percent-encoded (documented).
 * Every value was checked when the token was opened (src/token/open-token.ts: the token id and
 * company id are base64url-like, user id and login have no controls and no lone surrogates), so
 * nothing here can throw or split a header.
 */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

export function headersIdentity(cfg: GatewayConfig['identity'], portfolioIdOf: (companyId: string) => string = (c) => c): (claims: TokenClaims) => HeaderList {
  const h = cfg.headers;
  return (c) => [
    h.userId, headerSafe(c.userId),
    h.login, headerSafe(c.login),
    h.companyId, c.companyId,
    h.portfolioId, portfolioIdOf(c.companyId),
    h.tokenId, c.tokenId,
    h.authMethod, 'bearer',
    // Space-separated scope names (`full` for the personal token): what the gateway already enforced.
    h.scopes, c.scopes.join(' '),
  ];
}
