import { GatewayError } from '../errors.js';
import type { PolicyUpdate, PolicyView } from '../lifecycle/portfolio-service.js';
import type { AuthenticateCaller } from './authenticate-caller.js';
import type { Caller, EndpointDeps, EndpointHandler } from './context.js';
import { readFields } from './read-body.js';
import { sendJson } from './respond.js';

const POLICY_FIELDS = ['enabled', 'passphrase', 'durationMinutes', 'allowedScopes'] as const;

/**
 * Only a portfolio manager of that very company, and that company a root (the policy covers the
 * whole tree: a manager of a sub-company alone must not change it); everyone else gets the same 403.
 */
export function requireManagerOf(caller: Caller, companyId: string, d?: EndpointDeps): void {
  if (!caller.manager || caller.companyId !== companyId) throw new GatewayError('forbidden');
  if (d !== undefined && d.companies.rootOf(companyId) !== companyId) throw new GatewayError('forbidden');
}

/** `GET {prefix}/portfolios/{companyId}/token-policy`: the pass phrase is write-only, the view says only whether one is set. */
export function getPolicyEndpoint(d: EndpointDeps, authenticate: AuthenticateCaller): EndpointHandler {
  return async ({ req, res, address, params }) => {
    const companyId = params[0]!;
    requireManagerOf(await authenticate(req, address, { bearer: true }), companyId, d);
    if (!d.companies.isAllowed(companyId)) throw new GatewayError('portfolio_not_allowed');
    sendJson(res, 200, publicView(await d.portfolios.get(companyId)));
  };
}

/**
 * `PUT {prefix}/portfolios/{companyId}/token-policy` with any of {enabled, passphrase, durationMinutes,
 * allowedScopes} (allowedScopes: the scopes named tokens may have; null = all).
 * Disabling, re-enabling or a new pass phrase voids every token of the portfolio.
 */
export function putPolicyEndpoint(d: EndpointDeps, authenticate: AuthenticateCaller): EndpointHandler {
  return async ({ req, res, address, params }) => {
    const companyId = params[0]!;
    const caller = await authenticate(req, address, { bearer: true });
    requireManagerOf(caller, companyId, d);
    if (!d.companies.isAllowed(companyId)) throw new GatewayError('portfolio_not_allowed');
    const body = await readFields(req, d.maxBodyBytes, ['json']);
    const unknown = Object.keys(body).filter((k) => !(POLICY_FIELDS as readonly string[]).includes(k));
    if (unknown.length > 0) throw new GatewayError('validation_failed', unknown.map((k) => `${k}: unknown field`).join('; '));
    if (Object.keys(body).length === 0) throw new GatewayError('validation_failed', `body: expected at least one of ${POLICY_FIELDS.join(', ')}`);
    const scopes = body.allowedScopes;
    const unknownScopes = Array.isArray(scopes) ? scopes.filter((n) => typeof n === 'string' && !d.tokens.knowsScope(n)) as string[] : [];
    if (unknownScopes.length > 0) throw new GatewayError('validation_failed', `allowedScopes: unknown scope ${unknownScopes.slice(0, 5).map((n) => JSON.stringify(n.slice(0, 40))).join(', ')}`);

    const { view } = await d.audit.write(() => d.portfolios.update(companyId, body as PolicyUpdate), (u) => (u?.changed.length === 0 ? undefined : {
      companyId, actor: caller.login, action: 'policy.update',
      // Field names and public values only: a new pass phrase shows as "passphrase" in `changed`.
      // Without a result (store_not_replicated): the fields that were asked for.
      detail: u === undefined ? { requested: Object.keys(body) } : {
        changed: u.changed, enabled: u.view.enabled, durationMinutes: u.view.durationMinutes,
        ...(u.changed.includes('allowedScopes') ? { allowedScopes: u.view.allowedScopes ?? null } : {}),
      },
      clientAddress: address,
    }));
    sendJson(res, 200, publicView(view));
  };
}

function publicView(v: PolicyView) {
  return {
    companyId: v.companyId, enabled: v.enabled, passphraseSet: v.passphraseSet, durationMinutes: v.durationMinutes, updatedAt: v.updatedAt,
    // null: every scope the gateway knows may be chosen.
    allowedScopes: v.allowedScopes ?? null,
  };
}
