/**
 * Every failure the gateway answers itself carries a stable code from this closed union.
 * The code decides the HTTP status, the OAuth error and the short public reason, in exactly
 * one place: src/http/error-responses.ts. A test checks every code is mapped and documented.
 */
export const ERROR_CODES = [
  // RFC 6750 §3.1 invalid_request: the Bearer credential itself is unusable.
  'bearer_malformed',
  'token_too_large',
  'token_in_query',
  // RFC 6750 §3.1 invalid_token: a well-formed token that does not authenticate.
  'token_malformed',
  'token_invalid_seal',
  'token_expired',
  'token_revoked',
  // RFC 6750 §3.1 insufficient_scope: a valid token whose scopes do not cover this request.
  'insufficient_scope',
  // Well sealed, but not what the store issued (unknown id, or claims that differ from the record).
  'token_unknown',
  'token_wrong_portfolio',
  // The gateway operator denied the token's portfolio (`hlgw portfolios deny`; the admin API).
  'token_portfolio_denied',
  // Issued after an SSO sign-in whose provider is no longer configured, or whose issuer changed.
  'token_provider_gone',
  'token_auth_disabled',
  'token_store_stale',
  // identity.upstream: assertion — the key that signs now does not open with this master key.
  'signing_key_unusable',
  // identity.upstream: basic — the API refused the user's replayed credential; the token carries none.
  'credential_rejected',
  'credential_missing',
  // The gateway's own endpoints (token lifecycle).
  'unauthorized',
  'forbidden',
  'portfolio_not_allowed',
  'portfolio_not_enabled',
  // Operator API: allow/deny names a company below a portfolio root; decisions are per root.
  'company_not_root',
  // Named tokens: the name is in use by a live token of the user, or the user holds tokens.maxPerUser live ones.
  'name_taken',
  'too_many_tokens',
  // A named token asked for a scope the portfolio's policy does not allow.
  'scope_not_allowed',
  'not_found',
  'method_not_allowed',
  'validation_failed',
  'payload_too_large',
  'rate_limited',
  'user_source_unavailable',
  'store_unavailable',
  // The portal's sign-in and sessions (src/portal/).
  'login_failed',
  'session_required',
  'csrf_rejected',
  'store_not_replicated',
  // SSO sign-in (src/users/sso/): the identity provider's answer was refused; nothing was created.
  'sso_failed',
  // Forwarding.
  'request_target_invalid',
  // Framing: refused by Node's parser (request_malformed, and header_fields_too_large past
  // server.maxHeaderBytes) or by src/http/check-framing.ts; nothing is forwarded, the connection closes.
  'request_malformed',
  'header_fields_too_large',
  'connection_header_invalid',
  'request_framing_invalid',
  'transfer_coding_unsupported',
  'upstream_unreachable',
  'upstream_timeout',
  'forward_failed',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class GatewayError extends Error {
  readonly code: ErrorCode;
  /** Extra public detail (a field name, a retry delay); never a secret. */
  readonly detail: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, detail?: string, opts?: { retryAfterSeconds?: number; cause?: unknown }) {
    super(detail ? `${code}: ${detail}` : code, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.detail = detail;
    this.retryAfterSeconds = opts?.retryAfterSeconds;
  }
}

/** One shared, frozen error per code (no detail): rejecting on the hot path allocates nothing. */
const REJECTIONS = new Map<ErrorCode, GatewayError>(ERROR_CODES.map((c) => [c, Object.freeze(new GatewayError(c))]));
export function rejection(code: ErrorCode): GatewayError {
  return REJECTIONS.get(code)!;
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}
