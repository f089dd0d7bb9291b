import type { ErrorCode } from '../errors.js';
import type { OpenApiKit } from '../endpoints/openapi.js';

/**
 * The portal's JSON API (`{prefix}/ui/api/...`) in the OpenAPI document: the same operations as
 * the /auth API (same bodies, same errors), reached with the session cookie instead of Basic or
 * Bearer, plus the sign-in calls. Unsafe methods also need the CSRF header and a same-origin
 * Origin (src/portal/same-origin.ts). The pages and the SSO redirects are HTML, not described.
 */
export function portalOpenApiPaths(prefix: string, kit: OpenApiKit): Record<string, unknown> {
  const { json, ok, errors, companyId, tokenId, auditQuery } = kit;
  const ui = `${prefix}/ui/api`;
  const read = [{ session: [] }];
  const write = [{ session: [], csrf: [] }];
  const store: ErrorCode[] = ['store_unavailable', 'store_not_replicated'];
  const reading: ErrorCode[] = ['session_required', 'store_unavailable'];
  const writing: ErrorCode[] = ['session_required', 'csrf_rejected', 'payload_too_large', ...store];
  const tag = { tags: ['portal'] };

  return {
    [`${ui}/session`]: {
      get: { ...tag, operationId: 'portalSession', summary: 'The signed-in session (the page reads its CSRF token here after a reload)', security: read, responses: { 200: ok('The session', 'Session'), ...errors(...reading) } },
      post: {
        ...tag, operationId: 'portalSignIn', summary: 'Password sign-in; sets the session cookie (403 with users.sso.only)', security: [{}],
        requestBody: { required: true, content: json('SignIn') },
        responses: { 200: ok('Signed in; Set-Cookie holds the session', 'Session'), ...errors('login_failed', 'rate_limited', 'forbidden', 'csrf_rejected', 'user_source_unavailable', 'payload_too_large', ...store) },
      },
      delete: { ...tag, operationId: 'portalSignOut', summary: 'Sign out: the session is deleted in the store', security: write, responses: { 200: ok('Signed out', 'SignedOut'), ...errors(...writing) } },
    },
    [`${ui}/session-probe`]: {
      get: {
        ...tag, operationId: 'portalSessionProbe', summary: 'What the page asks on load: the session, or 204 when signed out (not an error)', security: [{}, { session: [] }],
        responses: { 200: ok('The session', 'Session'), 204: ok('No session: the page shows the sign-in form'), ...errors('store_unavailable') },
      },
    },
    [`${ui}/sign-in-options`]: {
      get: { ...tag, operationId: 'portalSignInOptions', summary: 'The password form and the "Sign in with …" buttons', security: [{}], responses: { 200: ok('What the sign-in page offers', 'SignInOptions'), ...errors() } },
    },
    [`${ui}/oauth/authorize`]: {
      post: {
        ...tag, operationId: 'portalAuthorize', summary: 'Generate Access Token (renews: the previous one is revoked)', security: write,
        requestBody: { required: false, content: json('PortalAuthorizeRequest') },
        responses: { 200: ok('The new token', 'IssuedToken'), ...errors(...writing, 'login_failed', 'rate_limited', 'user_source_unavailable', 'portfolio_not_allowed', 'portfolio_not_enabled') },
      },
    },
    [`${ui}/tokens`]: {
      get: { ...tag, operationId: 'portalListTokens', summary: 'As GET /tokens', security: read, parameters: kit.tokenFilters, responses: { 200: ok('Tokens, never the token values', 'TokenList'), ...errors(...reading) } },
      post: {
        ...tag, operationId: 'portalCreateToken', summary: 'As POST /tokens (with `password` when the session says confirmPassword)', security: write,
        requestBody: { required: true, content: json('NamedTokenRequest') },
        responses: { 201: ok('The new named token', 'NamedToken'), ...errors(...writing, ...kit.namedTokenErrors, 'login_failed', 'rate_limited', 'user_source_unavailable') },
      },
    },
    [`${ui}/token-scopes`]: {
      get: {
        ...tag, operationId: 'portalTokenScopes', summary: 'The scopes the user may give a named token (known scopes narrowed by the policy) and the longest validity', security: read,
        responses: { 200: ok('The choices of "Generate new token"', 'TokenScopeChoices'), ...errors(...reading) },
      },
    },
    [`${ui}/tokens/{tokenId}`]: {
      delete: { ...tag, operationId: 'portalRevokeToken', summary: 'As DELETE /tokens/{tokenId} (the trash icon)', security: write, parameters: [tokenId], responses: { 204: ok('Revoked'), ...errors(...writing, 'not_found') } },
    },
    [`${ui}/portfolios/{companyId}/token-policy`]: {
      get: {
        ...tag, operationId: 'portalGetTokenPolicy', summary: 'As GET /portfolios/{companyId}/token-policy', security: read, parameters: [companyId],
        responses: { 200: ok('The policy; the pass phrase is write-only', 'TokenPolicy'), ...errors(...reading, 'forbidden', 'portfolio_not_allowed') },
      },
      put: {
        ...tag, operationId: 'portalPutTokenPolicy', summary: 'Apply: as PUT /portfolios/{companyId}/token-policy', security: write, parameters: [companyId],
        requestBody: { required: true, content: json('TokenPolicyUpdate') },
        responses: { 200: ok('The policy after the change', 'TokenPolicy'), ...errors(...writing, 'forbidden', 'portfolio_not_allowed') },
      },
    },
    [`${ui}/portfolios/{companyId}/audit`]: {
      get: {
        ...tag, operationId: 'portalGetAudit', summary: 'As GET /portfolios/{companyId}/audit', security: read, parameters: [companyId, ...auditQuery],
        responses: { 200: ok('One page', 'AuditPage'), ...errors(...reading, 'forbidden') },
      },
    },
  };
}
