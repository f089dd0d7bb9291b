import { STATUS_CODES, type ServerResponse } from 'node:http';
import { ERROR_CODES, rejection, type ErrorCode, type GatewayError } from '../errors.js';

/** How one error code is answered. `oauth` set means an RFC 6750 Bearer challenge. */
export interface ErrorSpec {
  status: number;
  error: string;
  description: string;
  oauth?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
}

/**
 * The one table mapping codes to HTTP. Descriptions are short, stable and public: they
 * never carry a token, a pass phrase or a user name. docs/ERRORS.md lists the same table
 * (a test keeps the two in step).
 */
export const ERROR_SPECS: Readonly<Record<ErrorCode, ErrorSpec>> = Object.freeze({
  bearer_malformed: { status: 400, error: 'invalid_request', oauth: 'invalid_request', description: 'malformed Bearer credential' },
  token_too_large: { status: 400, error: 'invalid_request', oauth: 'invalid_request', description: 'token too large' },
  token_in_query: { status: 400, error: 'invalid_request', oauth: 'invalid_request', description: 'access_token must not be sent in the URL' },
  token_malformed: { status: 401, error: 'invalid_token', oauth: 'invalid_token', description: 'malformed' },
  token_invalid_seal: { status: 401, error: 'invalid_token', oauth: 'invalid_token', description: 'invalid seal' },
  token_expired: { status: 401, error: 'invalid_token', oauth: 'invalid_token', description: 'expired' },
  token_revoked: { status: 401, error: 'invalid_token', oauth: 'invalid_token', description: 'revoked' },
  // RFC 6750 §3.1: 403 with the scopes that would allow the request (ErrorResponder.insufficientScope).
  insufficient_scope: { status: 403, error: 'insufficient_scope', oauth: 'insufficient_scope', description: "the token's scopes do not allow this request" },
  token_unknown: { status: 401, error: 'invalid_token', oauth: 'invalid_token', description: 'unknown token' },
  token_wrong_portfolio: { status: 401, error: 'invalid_token', oauth: 'invalid_token', description: 'not valid for this portfolio' },
  // RFC 6750 §3.1: no longer valid, so invalid_token (401), not insufficient_scope.
  token_portfolio_denied: { status: 401, error: 'invalid_token', oauth: 'invalid_token', description: 'its portfolio was denied by the gateway operator' },
  token_provider_gone: { status: 401, error: 'invalid_token', oauth: 'invalid_token', description: 'its sign-in provider is no longer configured' },
  token_auth_disabled: { status: 401, error: 'invalid_token', oauth: 'invalid_token', description: 'token authentication disabled' },
  credential_rejected: { status: 401, error: 'invalid_token', oauth: 'invalid_token', description: 'credential changed, renew the token' },
  credential_missing: { status: 401, error: 'invalid_token', oauth: 'invalid_token', description: 'no credential to replay, renew the token' },
  token_store_stale: { status: 503, error: 'temporarily_unavailable', description: 'token state unavailable, retry later' },
  signing_key_unusable: { status: 503, error: 'temporarily_unavailable', description: 'upstream identity cannot be signed, retry later' },
  unauthorized: { status: 401, error: 'unauthorized', description: 'valid credentials required' },
  forbidden: { status: 403, error: 'forbidden', description: 'not allowed for this user' },
  portfolio_not_allowed: { status: 403, error: 'portfolio_not_allowed', description: 'user tokens are not allowed for this portfolio' },
  portfolio_not_enabled: { status: 403, error: 'portfolio_not_enabled', description: 'user tokens are not enabled for this portfolio' },
  // RFC 9110 §15.5.10: the request conflicts with the portfolio tree; the detail names the root.
  company_not_root: { status: 409, error: 'conflict', description: 'not a portfolio root; decide for its root' },
  name_taken: { status: 409, error: 'conflict', description: 'a live token of yours already has this name' },
  too_many_tokens: { status: 409, error: 'conflict', description: 'too many live named tokens; revoke one first' },
  scope_not_allowed: { status: 403, error: 'scope_not_allowed', description: "scope not allowed by the portfolio's token policy" },
  not_found: { status: 404, error: 'not_found', description: 'not found' },
  method_not_allowed: { status: 405, error: 'method_not_allowed', description: 'method not allowed' },
  validation_failed: { status: 400, error: 'invalid_request', description: 'invalid request' },
  payload_too_large: { status: 413, error: 'payload_too_large', description: 'request body too large' },
  rate_limited: { status: 429, error: 'rate_limited', description: 'too many failed attempts, retry later' },
  user_source_unavailable: { status: 502, error: 'bad_gateway', description: 'user directory unavailable' },
  store_unavailable: { status: 503, error: 'store_unavailable', description: 'token store unavailable, retry later' },
  // No WWW-Authenticate on the portal's 401s: a Basic challenge would make the browser open its own login dialog.
  login_failed: { status: 401, error: 'login_failed', description: 'wrong login or password' },
  session_required: { status: 401, error: 'session_required', description: 'not signed in, or the session has expired' },
  csrf_rejected: { status: 403, error: 'csrf_rejected', description: 'cross-site request refused' },
  // store.minReplicasAcked: the primary has the change, too few replicas confirmed it in time.
  store_not_replicated: { status: 503, error: 'store_not_replicated', description: 'change not confirmed by enough store replicas; it may still take effect, check and retry' },
  sso_failed: { status: 400, error: 'sso_failed', description: 'single sign-on refused' },
  request_target_invalid: { status: 400, error: 'invalid_request', description: 'request target must be a path' },
  request_malformed: { status: 400, error: 'invalid_request', description: 'malformed HTTP request' },
  // RFC 6585 §5.
  header_fields_too_large: { status: 431, error: 'invalid_request', description: 'too many or too large header fields' },
  connection_header_invalid: { status: 400, error: 'invalid_request', description: 'Connection must not name framing, routing, credential or identity headers' },
  // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 request.
  request_framing_invalid: { status: 400, error: 'invalid_request', description: 'message framing is invalid' },
  // RFC 9112 §6.1: a transfer coding the gateway does not apply is answered 501.
  transfer_coding_unsupported: { status: 501, error: 'not_implemented', description: 'only the chunked transfer coding is accepted' },
  upstream_unreachable: { status: 502, error: 'bad_gateway', description: 'upstream unreachable' },
  upstream_timeout: { status: 504, error: 'gateway_timeout', description: 'upstream timed out' },
  forward_failed: { status: 502, error: 'bad_gateway', description: 'the request could not be forwarded' },
  internal: { status: 500, error: 'internal_error', description: 'internal error' },
});

interface Prebuilt {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Renders errors. Bodies without a detail are built once at start-up, so rejecting a forged
 * token on the hot path costs a table lookup and one write.
 */
export class ErrorResponder {
  private readonly prebuilt = new Map<ErrorCode, Prebuilt>();

  constructor(private readonly realm: string, private readonly basicRealm: string = realm) {
    for (const code of ERROR_CODES) this.prebuilt.set(code, this.build(code, undefined));
  }

  send(res: ServerResponse, err: GatewayError, extraHeaders?: Record<string, string>): void {
    const p = err.detail === undefined ? this.prebuilt.get(err.code)! : this.build(err.code, err.detail);
    if (res.headersSent) {
      // Too late for a clean answer: closing is the only honest signal left.
      res.destroy();
      return;
    }
    // The request id set on the way in (src/http/forwarded-headers.ts), when there is one.
    const requestId = res.req?.headers['x-request-id'];
    res.writeHead(p.status, { ...p.headers, ...extraHeaders, ...this.retryAfter(err), ...(requestId === undefined ? undefined : { 'x-request-id': requestId }) });
    res.end(p.body);
  }

  /**
   * RFC 6750 §3.1 insufficient_scope, naming the scopes that would allow the request. Only the
   * rejection path builds this header; the body is the prebuilt one.
   */
  insufficientScope(res: ServerResponse, allowing: readonly string[]): void {
    const p = this.prebuilt.get('insufficient_scope')!;
    const challenge = `${p.headers['www-authenticate']!}, scope="${quote(allowing.join(' '))}"`;
    this.send(res, rejection('insufficient_scope'), { 'www-authenticate': challenge });
  }

  /**
   * The whole answer as bytes, with `Connection: close`, for a connection whose request Node's
   * parser refused (`clientError`): there is no ServerResponse, and after a framing error the
   * rest of the connection's bytes cannot be trusted (RFC 9112 §11.2).
   */
  raw(code: ErrorCode): Buffer {
    const p = this.prebuilt.get(code)!;
    let head = `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? ''}\r\n`;
    for (const [name, value] of Object.entries(p.headers)) head += `${name}: ${value}\r\n`;
    return Buffer.concat([Buffer.from(`${head}connection: close\r\n\r\n`, 'latin1'), p.body]);
  }

  private retryAfter(err: GatewayError): Record<string, string> | undefined {
    return err.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(Math.max(1, Math.ceil(err.retryAfterSeconds))) };
  }

  private build(code: ErrorCode, detail: string | undefined): Prebuilt {
    const spec = ERROR_SPECS[code];
    const description = detail ? `${spec.description}: ${detail}` : spec.description;
    const body = Buffer.from(JSON.stringify({ error: spec.error, error_description: description, code }));
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.length),
      'cache-control': 'no-store',
    };
    if (spec.oauth) {
      // RFC 6750 §3: the challenge names the realm, the error and a human-readable reason.
      headers['www-authenticate'] =
        `Bearer realm="${quote(this.realm)}", error="${spec.oauth}", error_description="${quote(description)}"`;
    } else if (code === 'unauthorized') {
      // RFC 7617 §2: our own endpoints take Basic; say so.
      headers['www-authenticate'] = `Basic realm="${quote(this.basicRealm)}", charset="UTF-8"`;
    }
    return { status: spec.status, headers, body };
  }
}

/** RFC 7230 §3.2.6 quoted-string: escape backslash and double quote. */
function quote(s: string): string {
  return s.replace(/[\\"]/g, (c) => `\\${c}`);
}
