import type { SsoIdentity } from './claim-mapping.js';
import type { PendingSignIn } from './pending-sign-ins.js';

/**
 * One identity provider as the portal's SSO endpoints (src/portal/sso-endpoints.ts) see it,
 * whatever its protocol: `start` says where to send the browser and what to remember
 * server-side; `finish` checks the provider's answer against that and yields our identity, or
 * throws `sso_failed` with one public reason. OIDC: src/users/sso/oidc-client.ts; SAML:
 * src/users/sso/saml-client.ts.
 */
export interface SsoClient {
  readonly name: string;
  readonly displayName: string;
  /** What this provider's tokens are bound to (TokenRecord.signIn.issuer, provider-binding.ts). */
  readonly issuer: string;
  /** Where the provider sends the browser back: `callback` (OIDC, a GET) or `acs` (SAML, a POST). */
  readonly returnStep: 'callback' | 'acs';
  /** `base` is our URL for this provider, {origin}{prefix}/ui/sso/{name}; the return step is below it. */
  start(base: string): Promise<{ url: string; pending: PendingSignIn }>;
  /** `answer`: the callback's query (OIDC) or the POSTed form (SAML). */
  finish(answer: URLSearchParams, pending: PendingSignIn): Promise<SsoIdentity>;
}
