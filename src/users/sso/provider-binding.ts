import type { ErrorCode } from '../../errors.js';
import { bindingIssuer, type SsoConfig } from '../../config/sso-schema.js';
import type { TokenRecord } from '../../store/types.js';

/**
 * The binding of SSO tokens to their provider: a token issued after an SSO sign-in
 * records the provider's name and the issuer it had (OIDC issuer, SAML IdP entity id). If the provider is no longer configured,
 * or its issuer differs, the token is refused with `token_provider_gone` (a metrics label of its
 * own). This is the instability the product warns about, made explicit: tokens for automated
 * jobs belong to password users. Password tokens (no `signIn`) are never affected.
 *
 * The config is read once per process, so checking on a cache miss only is enough.
 */
export function providerBinding(sso: SsoConfig): (r: TokenRecord) => ErrorCode | undefined {
  const issuers = new Map(sso.providers.map((p) => [p.name, bindingIssuer(p)]));
  return (r) => {
    if (r.signIn === undefined) return undefined;
    return issuers.get(r.signIn.provider) === r.signIn.issuer ? undefined : 'token_provider_gone';
  };
}
