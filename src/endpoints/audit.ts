import { GatewayError } from '../errors.js';
import type { AuthenticateCaller } from './authenticate-caller.js';
import type { EndpointDeps, EndpointHandler } from './context.js';
import { iso, sendJson } from './respond.js';
import { requireManagerOf } from './token-policy.js';

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;

/**
 * `GET {prefix}/portfolios/{companyId}/audit?limit=&cursor=`: the portfolio's audit trail,
 * newest first. `next_cursor` (opaque) fetches the following page; null on the last one.
 */
export function auditEndpoint(d: EndpointDeps, authenticate: AuthenticateCaller): EndpointHandler {
  return async ({ req, res, url, address, params }) => {
    const companyId = params[0]!;
    requireManagerOf(await authenticate(req, address, { bearer: true }), companyId);
    const limit = intParam(url.searchParams.get('limit'), 'limit', 1, AUDIT_PAGE_MAX) ?? AUDIT_PAGE_DEFAULT;
    const before = intParam(url.searchParams.get('cursor'), 'cursor', 1, Number.MAX_SAFE_INTEGER);
    const page = await d.store.listAudit(companyId, { limit, before });
    sendJson(res, 200, {
      events: page.events.map((e) => ({
        id: e.id, at: iso(e.at), actor: e.actor, action: e.action, detail: e.detail, client_address: e.clientAddress,
      })),
      next_cursor: page.next === null ? null : String(page.next),
    });
  };
}

function intParam(v: string | null, name: string, min: number, max: number): number | undefined {
  if (v === null) return undefined;
  const n = /^[0-9]{1,16}$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw new GatewayError('validation_failed', `${name}: expected an integer from ${min} to ${max}`);
  return n;
}
