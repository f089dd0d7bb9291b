import type { IncomingMessage } from 'node:http';
import { classifyAuthorization } from '../auth/classify-authorization.js';
import { GatewayError } from '../errors.js';
import type { LoginTry } from '../users/login-rate-limiter.js';
import type { UserIdentity } from '../users/types.js';
import type { Caller, EndpointDeps } from './context.js';

export interface AuthenticateOptions {
  /** Whether a Bearer token may stand for its owner here. */
  bearer: boolean;
  /** RFC 6749 §2.3.1: OAuth clients form-urlencode user id and password inside Basic; try that too. */
  formEncodedBasic?: boolean;
}

/** `login:password` from a Basic header value, or undefined when it is not one. RFC 7617 §2. */
function parseBasic(header: string): { login: string; password: string } | undefined {
  const m = /^basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { login: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function formDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * Who is calling: Basic checked against the user source (rate limited per login and per
 * address), or, where allowed, a Bearer token checked like on the proxy path. Throws the
 * GatewayError to answer: `unauthorized` (Basic challenge), `rate_limited`, a token_* code
 * (Bearer challenge) or `user_source_unavailable`.
 */
export function createCallerAuthenticator(d: EndpointDeps) {
  return async function authenticateCaller(req: IncomingMessage, address: string, o: AuthenticateOptions): Promise<Caller> {
    const header = req.headers.authorization;
    if (header === undefined || header === '') throw new GatewayError('unauthorized');
    const credential = classifyAuthorization(header, d.maxTokenBytes);
    if (credential.kind === 'bearer' || (credential.kind === 'malformed' && /^bearer/i.test(header))) {
      if (!o.bearer) throw new GatewayError('unauthorized', 'Basic credentials required');
      if (credential.kind === 'malformed') throw new GatewayError(credential.code);
      const v = await d.validator.validate(credential.token);
      if (v instanceof GatewayError) throw v;
      // A scoped token is held to its scopes here too: a `read` token lists, it never revokes or changes a policy.
      if (v.scope !== undefined && !v.scope.allows(req.method, req.url ?? '/')) throw new GatewayError('insufficient_scope');
      const c = v.claims;
      const roles = d.users.rolesOf(c.userId, c.login, c.companyId);
      return { userId: c.userId, login: c.login, companyId: c.companyId, manager: roles.includes(d.managerRole), via: 'bearer', tokenId: c.tokenId };
    }
    const basic = credential.kind === 'basic' ? parseBasic(header) : undefined;
    if (basic === undefined) throw new GatewayError('unauthorized');

    const identity = await d.limiter.attemptEach(address, basicTries(d, basic.login, basic.password, o.formEncodedBasic === true));
    if (identity === undefined) throw new GatewayError('unauthorized');
    return { userId: identity.userId, login: identity.login, companyId: identity.companyId, manager: identity.roles.includes(d.managerRole), via: 'basic' };
  };
}

/** The credential as sent, then (where clients form-encode it) decoded, when that differs. */
function basicTries(d: EndpointDeps, login: string, password: string, formEncoded: boolean): LoginTry<UserIdentity>[] {
  const tries: LoginTry<UserIdentity>[] = [{ login, check: () => d.users.verify(login, password) }];
  if (!formEncoded) return tries;
  const l = formDecode(login);
  const p = formDecode(password);
  if (l !== undefined && p !== undefined && (l !== login || p !== password)) tries.push({ login: l, check: () => d.users.verify(l, p) });
  return tries;
}

export type AuthenticateCaller = ReturnType<typeof createCallerAuthenticator>;
