import { ERROR_CODES } from '../errors.js';
import { DURATION_MAX_MINUTES } from '../lifecycle/portfolio-service.js';
import { AUDIT_ACTIONS } from '../store/types.js';
import { SCOPES_MAX } from '../token/format.js';

/** Why a token stopped working (src/store/types.ts RevokeReason and VoidReason). */
const REVOKE_REASONS = ['revoked', 'renewed', 'reparented', 'leaked', 'reset', 'passphrase_changed', 'denied'] as const;

/**
 * JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of every body the /auth endpoints send or
 * accept. Each mirrors the code that writes it (named below); the conformance check in the
 * endpoint suites (test/support/openapi-conformance.ts) fails when the two drift apart.
 */
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;

/** What every issued token's answer says (authorize, POST /tokens). */
const ISSUED = {
  access_token: { type: 'string', description: 'The sealed token (JWE compact); shown once' },
  token_type: { const: 'Bearer' },
  expires_in: { type: 'integer', minimum: 0, description: 'Seconds' },
  expires_at: dateTime,
  token_id: { type: 'string' },
} as const;

export const SCHEMAS = {
  /** src/http/error-responses.ts ErrorResponder: one shape for every error. */
  Error: {
    type: 'object',
    required: ['error', 'error_description', 'code'],
    additionalProperties: false,
    properties: {
      error: { type: 'string', description: 'OAuth-style error name (RFC 6750 §3.1 for Bearer failures)' },
      error_description: { type: 'string', description: 'Short public reason; never a secret' },
      code: { type: 'string', enum: [...ERROR_CODES], description: 'Stable code (docs/ERRORS.md)' },
    },
  },
  /** src/endpoints/jwks.ts, src/identity/signing-keys.ts: public keys only (RFC 7517 §5; never `d`). */
  /** GitHub secret scanning's partner report (src/endpoints/leaked-tokens.ts): the matches it found. */
  LeakReport: {
    type: 'array', maxItems: 1000,
    items: {
      type: 'object', required: ['token'],
      properties: { token: { type: 'string' }, type: { type: 'string' }, url: { type: 'string' }, source: { type: 'string' } },
    },
  },
  /** GitHub's feedback format: one verdict per match, in order. */
  LeakReportAnswer: {
    type: 'array',
    items: {
      type: 'object', required: ['token_raw', 'token_type', 'label'],
      properties: { token_raw: { type: 'string' }, token_type: { type: 'string' }, label: { enum: ['true_positive', 'false_positive'] } },
    },
  },
  JwkSet: {
    type: 'object',
    required: ['keys'],
    additionalProperties: false,
    properties: {
      keys: {
        type: 'array',
        items: {
          type: 'object',
          required: ['kty', 'kid', 'alg', 'use'],
          not: { required: ['d'] },
          properties: {
            kty: { enum: ['EC', 'OKP'] }, crv: { enum: ['P-256', 'Ed25519'] }, kid: { type: 'string' },
            alg: { enum: ['ES256', 'EdDSA'] }, use: { const: 'sig' }, x: { type: 'string' }, y: { type: 'string' },
          },
        },
      },
    },
  },
  /** src/endpoints/authorize.ts, RFC 6749 §5.1 shape. */
  IssuedToken: {
    type: 'object',
    required: ['access_token', 'token_type', 'expires_in', 'expires_at', 'token_id', 'signed_in_with'],
    additionalProperties: false,
    properties: {
      ...ISSUED,
      signed_in_with: { type: 'string', description: 'How the owner signed in: `password`, or the SSO provider the token is bound to (users.sso.providers[].name)' },
    },
  },
  /** src/endpoints/authorize.ts: `validity` may also come in the query string (not both). */
  AuthorizeRequest: {
    type: 'object',
    properties: { validity: { type: ['integer', 'string'], description: `Minutes, 1 to ${DURATION_MAX_MINUTES}, capped by the portfolio's duration` } },
  },
  /** src/portal/confirm-password.ts: the portal's authorize; `password` is asked when the session says confirmPassword. */
  PortalAuthorizeRequest: {
    type: 'object',
    properties: {
      validity: { type: ['integer', 'string'], description: `Minutes, 1 to ${DURATION_MAX_MINUTES}, capped by the portfolio's duration` },
      password: { type: 'string', description: 'identity.upstream basic: the signed-in user\'s password, sealed into the token for replay; never stored or echoed' },
    },
  },
  /** src/portal/session-endpoints.ts signInEndpoint. */
  SignIn: {
    type: 'object',
    required: ['login', 'password'],
    properties: { login: { type: 'string', minLength: 1 }, password: { type: 'string', minLength: 1 } },
  },
  /** src/portal/session-endpoints.ts sessionView: who is signed in, and the CSRF token for unsafe calls. */
  Session: {
    type: 'object',
    required: ['login', 'userId', 'companyId', 'manager', 'signedInWith', 'csrfToken', 'idleMinutes', 'confirmPassword', 'expiresAt'],
    additionalProperties: false,
    properties: {
      login: { type: 'string' }, userId: { type: 'string' }, companyId: { type: 'string' },
      manager: { type: 'boolean', description: 'A portfolio manager of companyId' },
      signedInWith: { type: 'string', description: '`password`, or the SSO provider\'s name' },
      csrfToken: { type: 'string', description: 'Send as X-CSRF-Token on every unsafe call' },
      idleMinutes: { type: 'integer', minimum: 1 },
      confirmPassword: { type: 'boolean', description: 'Generating a token asks for the password (it is replayed to the API)' },
      expiresAt: dateTime,
    },
  },
  /** src/portal/session-endpoints.ts signOutEndpoint. */
  SignedOut: {
    type: 'object', required: ['signedOut'], additionalProperties: false, properties: { signedOut: { const: true } },
  },
  /** src/portal/sso-endpoints.ts options: what the sign-in page draws. */
  SignInOptions: {
    type: 'object',
    required: ['password', 'providers'],
    additionalProperties: false,
    properties: {
      password: { type: 'boolean', description: 'The password form is offered (false with users.sso.only)' },
      providers: {
        type: 'array',
        items: {
          type: 'object', required: ['name', 'displayName', 'url'], additionalProperties: false,
          properties: { name: { type: 'string' }, displayName: { type: 'string' }, url: { type: 'string', description: 'Where the "Sign in with …" button goes' } },
        },
      },
    },
  },
  /** src/endpoints/tokens.ts tokenView: never the token itself. */
  TokenView: {
    type: 'object',
    required: ['token_id', 'user_id', 'login', 'created_at', 'expires_at', 'last_used_at', 'revoked_at', 'revoked_reason', 'status', 'signed_in_with',
      'revoke_reason', 'name', 'scopes', 'last_used_ip'],
    additionalProperties: false,
    properties: {
      token_id: { type: 'string' },
      user_id: { type: 'string' },
      login: { type: 'string' },
      created_at: dateTime,
      expires_at: dateTime,
      last_used_at: { ...nullableDateTime, description: 'A use of the token within the last minute it was used in: a token\'s use is recorded once a minute (the first in each minute), written in batches every 5 s' },
      revoked_at: nullableDateTime,
      // Why it stopped: null while active (src/store/types.ts RevokeReason).
      revoked_reason: { enum: [...REVOKE_REASONS, null] },
      status: { enum: ['active', 'expired', 'revoked'] },
      revoke_reason: { enum: [...REVOKE_REASONS, null], description: 'As revoked_reason' },
      name: { type: 'string', description: '`personal` for the token of /oauth/authorize, else the name given at POST /tokens' },
      scopes: { type: 'array', items: { type: 'string' }, description: '`full` for the personal token; `read` or a configured scope (tokens.scopes)' },
      last_used_ip: { type: ['string', 'null'], description: 'The client address of the use in last_used_at, as the gateway trusts it (server.trustedProxies)' },
      signed_in_with: { type: 'string', description: 'How the owner signed in: `password`, or the SSO provider the token is bound to (users.sso.providers[].name)' },
    },
  },
  TokenList: {
    type: 'object',
    required: ['tokens'],
    additionalProperties: false,
    properties: { tokens: { type: 'array', items: { $ref: '#/components/schemas/TokenView' } } },
  },
  /** src/endpoints/token-policy.ts publicView: the pass phrase is write-only. */
  TokenPolicy: {
    type: 'object',
    required: ['companyId', 'enabled', 'passphraseSet', 'durationMinutes', 'updatedAt'],
    additionalProperties: false,
    properties: {
      companyId: { type: 'string' },
      enabled: { type: 'boolean' },
      passphraseSet: { type: 'boolean' },
      durationMinutes: { type: 'integer' },
      updatedAt: nullableDateTime,
      allowedScopes: { type: ['array', 'null'], items: { type: 'string' }, description: 'The scopes named tokens may have; null = every scope the gateway knows' },
    },
  },
  TokenPolicyUpdate: {
    type: 'object',
    minProperties: 1,
    additionalProperties: false,
    properties: {
      enabled: { type: 'boolean', description: 'Disabling or re-enabling voids every token of the portfolio' },
      passphrase: { type: 'string', minLength: 10, maxLength: 255, writeOnly: true, description: 'A new one voids every token of the portfolio' },
      durationMinutes: { type: 'integer', minimum: 1, maximum: DURATION_MAX_MINUTES },
      allowedScopes: { type: ['array', 'null'], items: { type: 'string' }, maxItems: 64, description: 'The scopes named tokens may have (audited); null = all' },
    },
  },
  /** src/portal/token-scopes-endpoint.ts. */
  TokenScopeChoices: {
    type: 'object',
    required: ['scopes', 'maxMinutes'],
    additionalProperties: false,
    properties: {
      scopes: { type: 'array', items: { type: 'string' }, description: 'Known scopes (built-in first) that the portfolio policy allows' },
      maxMinutes: { type: 'integer', minimum: 1, description: "The longest validity: the portfolio's token duration" },
    },
  },
  /** src/endpoints/tokens.ts createTokenEndpoint. */
  NamedTokenRequest: {
    type: 'object',
    required: ['name', 'scopes'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 100, description: 'Printable, no control characters; unique among your live tokens; `personal` is reserved' },
      scopes: { type: 'array', minItems: 1, maxItems: SCOPES_MAX, items: { type: 'string' }, description: '`read` (GET, HEAD, OPTIONS), `full`, or a scope of tokens.scopes allowed by the portfolio policy' },
      validityMinutes: { type: 'integer', minimum: 1, maximum: DURATION_MAX_MINUTES, description: "Capped by the portfolio's duration (its duration by default)" },
      password: { type: 'string', description: 'Portal only, identity.upstream basic: the signed-in user\'s password, sealed into the token for replay' },
    },
  },
  /** src/endpoints/tokens.ts createTokenEndpoint: 201. */
  NamedToken: {
    type: 'object',
    required: ['access_token', 'token_type', 'token_id', 'name', 'scopes', 'expires_at', 'expires_in'],
    additionalProperties: false,
    properties: { ...ISSUED, name: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } } },
  },
  /** src/endpoints/audit.ts, newest first. */
  AuditPage: {
    type: 'object',
    required: ['events', 'next_cursor'],
    additionalProperties: false,
    properties: {
      events: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'company_id', 'at', 'actor', 'action', 'detail', 'client_address'],
          additionalProperties: false,
          properties: {
            id: { type: 'integer', description: 'Unique within its company\'s trail' },
            company_id: { type: 'string', description: 'The company the event belongs to: the one asked for, or one below it in the portfolio tree' },
            at: dateTime,
            actor: { type: 'string' },
            action: { enum: [...AUDIT_ACTIONS] },
            detail: { type: 'object' },
            client_address: { type: ['string', 'null'] },
          },
        },
      },
      next_cursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last' },
    },
  },
  /** RFC 7009 §2.1 / RFC 7662 §2.1. */
  TokenForm: {
    type: 'object',
    required: ['token'],
    properties: { token: { type: 'string' }, token_type_hint: { type: 'string' } },
  },
  /** src/endpoints/oauth-introspect.ts, RFC 7662 §2.2. */
  Introspection: {
    oneOf: [
      { type: 'object', required: ['active'], additionalProperties: false, properties: { active: { const: false } } },
      {
        type: 'object',
        required: ['active', 'token_type', 'sub', 'username', 'company_id', 'jti', 'iat', 'exp'],
        additionalProperties: false,
        properties: {
          active: { const: true },
          token_type: { const: 'Bearer' },
          sub: { type: 'string' },
          username: { type: 'string' },
          company_id: { type: 'string' },
          jti: { type: 'string' },
          iat: { type: 'integer' },
          exp: { type: 'integer' },
        },
      },
    ],
  },
} as const;
