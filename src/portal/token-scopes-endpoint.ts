import type { AuthenticateCaller } from '../endpoints/authenticate-caller.js';
import type { EndpointDeps, EndpointHandler } from '../endpoints/context.js';
import { sendJson } from '../endpoints/respond.js';

/**
 * `GET {prefix}/ui/api/token-scopes`: what the "Generate new token" form offers the signed-in
 * user: the scopes the gateway knows (built-in `read`, `full`, then `tokens.scopes`) narrowed by
 * the portfolio policy's allowedScopes, and the longest validity (the policy's duration). The
 * gateway checks both again on POST; this only spares the user a choice that would be refused.
 */
export function tokenScopesEndpoint(d: EndpointDeps, authenticate: AuthenticateCaller): EndpointHandler {
  return async ({ req, res, address }) => {
    const caller = await authenticate(req, address, { bearer: false });
    const policy = await d.portfolios.get(d.companies.rootOf(caller.companyId));
    const allowed = policy.allowedScopes;
    const scopes = d.tokens.scopeNames().filter((n) => allowed === undefined || allowed === null || allowed.includes(n));
    sendJson(res, 200, { scopes, maxMinutes: policy.durationMinutes });
  };
}
