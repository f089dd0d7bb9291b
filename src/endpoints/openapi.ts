import type { ErrorCode } from '../errors.js';
import { ERROR_SPECS } from '../http/error-responses.js';
import { SCHEMAS } from './openapi-schemas.js';

/** The builders every path description uses, shared with the portal's (src/portal/portal-openapi.ts). */
function openApiKit() {
  const json = (schema: keyof typeof SCHEMAS) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } });
  const ok = (description: string, schema?: keyof typeof SCHEMAS) => ({ description, ...(schema ? { content: json(schema) } : {}) });
  /** Error answers by status, each with the codes that produce it (src/http/error-responses.ts). */
  const errors = (...codes: ErrorCode[]) => {
    const byStatus = new Map<number, ErrorCode[]>();
    for (const c of [...codes, 'validation_failed', 'method_not_allowed', 'internal'] as ErrorCode[]) {
      const s = ERROR_SPECS[c].status;
      byStatus.set(s, [...new Set([...(byStatus.get(s) ?? []), c])]);
    }
    return Object.fromEntries([...byStatus].sort(([a], [b]) => a - b).map(([s, cs]) => [String(s), { $ref: `#/components/responses/E${s}`, description: cs.join(', ') }]));
  };
  const companyId = { name: 'companyId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } };
  const tokenId = { name: 'tokenId', in: 'path', required: true, schema: { type: 'string' } };
  const tokenFilters = [
    { name: 'user', in: 'query', required: false, schema: { type: 'string', minLength: 1, maxLength: 512 }, description: 'Only this user\'s tokens (user id or login; managers)' },
    { name: 'status', in: 'query', required: false, schema: { enum: ['active', 'expired', 'revoked'] } },
    { name: 'expiring_within', in: 'query', required: false, schema: { type: 'string', pattern: '^[0-9]{1,7}$' }, description: 'Minutes: active tokens that expire within them' },
  ];
  const namedTokenErrors: ErrorCode[] = ['portfolio_not_allowed', 'portfolio_not_enabled', 'scope_not_allowed', 'name_taken', 'too_many_tokens', 'payload_too_large'];
  const auditQuery = [
    { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
    { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
  ];
  return { json, ok, errors, companyId, tokenId, auditQuery, tokenFilters, namedTokenErrors };
}

export type OpenApiKit = ReturnType<typeof openApiKit>;

/**
 * The OpenAPI 3.1 description of every endpoint under `endpoints.prefix`, served at
 * `{prefix}/openapi.json` (no credentials needed: it holds nothing secret). Validated by
 * @readme/openapi-parser in npm test, and every /auth answer the endpoint suites receive is
 * checked against it (test/support/openapi-conformance.ts), so it cannot drift from the code.
 * Every response body is a `$ref` to components.schemas (the conformance check relies on it).
 */
export function openApiDocument(prefix: string, version: string, morePaths: (prefix: string, kit: OpenApiKit) => Record<string, unknown> = () => ({})): Record<string, unknown> {
  const kit = openApiKit();
  const { json, ok, errors, companyId, tokenId } = kit;
  const basicAuth = ['unauthorized', 'rate_limited', 'user_source_unavailable', 'store_unavailable'] as ErrorCode[];
  const bearerAuth = ['bearer_malformed', 'token_too_large', 'token_malformed', 'token_invalid_seal', 'token_expired', 'token_revoked',
    'token_wrong_portfolio', 'token_portfolio_denied', 'token_auth_disabled', 'token_store_stale', 'insufficient_scope'] as ErrorCode[];
  const caller = [{ basic: [] }, { bearer: [] }];
  const form = { 'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/TokenForm' } } };

  const errorStatuses = [...new Set(Object.values(ERROR_SPECS).map((s) => s.status))].sort((a, b) => a - b);
  return {
    openapi: '3.1.0',
    info: {
      title: 'hlgw token endpoints',
      version,
      description: 'Personal tokens for the Highlight API: issue, list, revoke, portfolio token policy, audit trail. Every other path is proxied to the API.',
    },
    servers: [{ url: '/' }],
    security: caller,
    paths: {
      [`${prefix}/oauth/authorize`]: {
        post: {
          operationId: 'authorize', summary: "Create or renew the caller's token (the previous one is revoked)", security: [{ basic: [] }],
          parameters: [{ name: 'validity', in: 'query', required: false, schema: { type: 'string', pattern: '^[0-9]{1,9}$' }, description: 'Minutes' }],
          requestBody: { required: false, content: { ...json('AuthorizeRequest'), 'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/AuthorizeRequest' } } } },
          responses: { 200: ok('The new token', 'IssuedToken'), ...errors(...basicAuth, 'portfolio_not_allowed', 'portfolio_not_enabled', 'payload_too_large') },
        },
        get: {
          operationId: 'authorizeGet', summary: 'As POST, without a body', security: [{ basic: [] }],
          parameters: [{ name: 'validity', in: 'query', required: false, schema: { type: 'string', pattern: '^[0-9]{1,9}$' } }],
          responses: { 200: ok('The new token', 'IssuedToken'), ...errors(...basicAuth, 'portfolio_not_allowed', 'portfolio_not_enabled') },
        },
      },
      [`${prefix}/tokens`]: {
        get: {
          operationId: 'listTokens', summary: "The caller's tokens; a portfolio manager gets the whole portfolio's", parameters: kit.tokenFilters,
          responses: { 200: ok('Tokens, never the token values', 'TokenList'), ...errors(...basicAuth, ...bearerAuth) },
        },
        post: {
          operationId: 'createToken', summary: 'Create a named token with scopes, beside the personal token (Basic only: a token cannot mint tokens)', security: [{ basic: [] }],
          requestBody: { required: true, content: json('NamedTokenRequest') },
          responses: { 201: ok('The new named token', 'NamedToken'), ...errors(...basicAuth, ...kit.namedTokenErrors) },
        },
      },
      [`${prefix}/tokens/{tokenId}`]: {
        delete: {
          operationId: 'revokeToken', summary: 'Revoke (owner or manager); anyone else gets 404 as for an unknown id',
          parameters: [tokenId],
          responses: { 204: ok('Revoked'), ...errors(...basicAuth, ...bearerAuth, 'not_found') },
        },
      },
      [`${prefix}/portfolios/{companyId}/token-policy`]: {
        get: {
          operationId: 'getTokenPolicy', summary: 'The portfolio token policy (managers of that company)', parameters: [companyId],
          responses: { 200: ok('The policy; the pass phrase is write-only', 'TokenPolicy'), ...errors(...basicAuth, ...bearerAuth, 'forbidden', 'portfolio_not_allowed') },
        },
        put: {
          operationId: 'putTokenPolicy', summary: 'Change the policy; disabling, re-enabling or a new pass phrase voids every token', parameters: [companyId],
          requestBody: { required: true, content: json('TokenPolicyUpdate') },
          responses: { 200: ok('The policy after the change', 'TokenPolicy'), ...errors(...basicAuth, ...bearerAuth, 'forbidden', 'portfolio_not_allowed', 'payload_too_large') },
        },
      },
      [`${prefix}/portfolios/{companyId}/audit`]: {
        get: {
          operationId: 'getAudit', summary: 'Audit trail of the company and the companies below it, newest first', parameters: [companyId, ...kit.auditQuery],
          responses: { 200: ok('One page', 'AuditPage'), ...errors(...basicAuth, ...bearerAuth, 'forbidden') },
        },
      },
      [`${prefix}/oauth/revoke`]: {
        post: {
          operationId: 'oauthRevoke', summary: 'RFC 7009 revocation: 200 also for an unknown token', security: [{}, ...caller],
          requestBody: { required: true, content: form },
          responses: { 200: ok('Revoked, or nothing to revoke'), ...errors(...basicAuth, ...bearerAuth, 'payload_too_large') },
        },
      },
      [`${prefix}/oauth/introspect`]: {
        post: {
          operationId: 'oauthIntrospect', summary: "RFC 7662 introspection of the manager's portfolio's tokens",
          requestBody: { required: true, content: form },
          responses: { 200: ok('active: false for anything not valid in the portfolio', 'Introspection'), ...errors(...basicAuth, ...bearerAuth, 'forbidden', 'payload_too_large') },
        },
      },
      [`${prefix}/.well-known/jwks.json`]: {
        get: {
          operationId: 'jwks', summary: 'Public keys that verify identity assertions (identity.upstream: assertion); 404 when no portfolio uses that mode', security: [{}],
          responses: { 200: { description: 'RFC 7517 JWK Set', content: { 'application/jwk-set+json': { schema: { $ref: '#/components/schemas/JwkSet' } } } }, ...errors('not_found') },
        },
      },
      [`${prefix}/verify`]: verifyPath(kit, bearerAuth),
      [`${prefix}/leaked-tokens`]: {
        post: {
          operationId: 'leakedTokens', security: [{}],
          summary: 'GitHub secret scanning reports tokens it found (only with leaks.github.keysFile; else 404): each of ours is revoked at once (reason leaked) and audited',
          parameters: [
            { name: 'Github-Public-Key-Identifier', in: 'header', required: true, schema: { type: 'string' } },
            { name: 'Github-Public-Key-Signature', in: 'header', required: true, schema: { type: 'string' }, description: 'ECDSA P-256 SHA-256 (DER, base64) of the raw body by that key of leaks.github.keysFile' },
          ],
          requestBody: { required: true, content: json('LeakReport') },
          responses: { 200: ok('One verdict per match: true_positive for a token of ours (now revoked), false_positive otherwise', 'LeakReportAnswer'), ...errors('leak_report_signature_invalid', 'leak_report_keys_unavailable', 'not_found', 'payload_too_large') },
        },
      },
      [`${prefix}/openapi.json`]: {
        get: { operationId: 'openapi', summary: 'This document', security: [{}], responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } },
      },
      ...morePaths(prefix, kit),
    },
    components: {
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic', description: 'The user directory (users.source); failed logins are rate limited (429)' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'hlgw_ token (docs/architecture/token.md)', description: 'A token from /oauth/authorize or POST /tokens (accepted by neither). On proxied paths a named token is held to its scopes: outside them 403 insufficient_scope' },
        session: { type: 'apiKey', in: 'cookie', name: 'hlgw_session', description: 'The portal session (`__Host-hlgw_session` over TLS), from POST ui/api/session or an SSO sign-in' },
        csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token', description: 'The session\'s csrfToken, required with the session on every unsafe method (and a same-origin Origin)' },
      },
      schemas: SCHEMAS,
      responses: Object.fromEntries(errorStatuses.map((s) => [`E${s}`, {
        description: `Error (${Object.entries(ERROR_SPECS).filter(([, v]) => v.status === s).map(([k]) => k).join(', ')})`,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      }])),
    },
  };
}

/** The decision mode (src/endpoints/verify.ts): an ingress's sub-request, answered with headers only. */
function verifyPath(kit: OpenApiKit, bearerAuth: ErrorCode[]): Record<string, unknown> {
  const original = [
    { name: 'X-Original-Method', in: 'header', required: false, schema: { type: 'string' }, description: 'nginx: the original method (believed from server.trustedProxies only); Traefik sends X-Forwarded-Method' },
    { name: 'X-Original-URI', in: 'header', required: false, schema: { type: 'string' }, description: 'nginx: the original URI, refused (400 token_in_query) when it carries a token; Traefik sends X-Forwarded-Uri' },
  ];
  const get = {
    operationId: 'verify', security: [{}, { bearer: [] }], parameters: original,
    summary: 'Decision mode for an ingress (nginx auth_request): 200 with the identity the API would receive for a valid Bearer token (X-Hlgw-Decision: allow); 200 with no identity for Basic, other schemes and anonymous requests (X-Hlgw-Decision: pass: forward them untouched); the proxy\'s refusals otherwise',
    responses: {
      200: { description: 'Allow or pass; the identity is in the answer\'s headers (identity.headers, Authorization, or the assertion header), the body is empty', headers: { 'X-Hlgw-Decision': { schema: { type: 'string', enum: ['allow', 'pass'] } } } },
      ...kit.errors(...bearerAuth, 'token_in_query', 'insufficient_scope'),
    },
  };
  return { get, head: { ...get, operationId: 'verifyHead' } };
}
