import { GatewayError } from '../errors.js';
import type { AuthenticateCaller } from './authenticate-caller.js';
import type { EndpointDeps, EndpointHandler } from './context.js';
import { iso, sendJson } from './respond.js';
import { requireManagerOf } from './token-policy.js';

const AUDIT_PAGE_DEFAULT = 50;
const AUDIT_PAGE_MAX = 200;

/**
 * `GET {prefix}/portfolios/{companyId}/audit?limit=&cursor=`: the audit trail of the company and
 * of every company below it in the portfolio tree (a root manager: the whole portfolio; a
 * sub-company manager: their sub-tree), newest first, each event with its company.
 * `next_cursor` (opaque) fetches the following page; null on the last one.
 */
export function auditEndpoint(d: EndpointDeps, authenticate: AuthenticateCaller): EndpointHandler {
  return async ({ req, res, url, address, params }) => {
    const companyId = params[0]!;
    requireManagerOf(await authenticate(req, address, { bearer: true }), companyId);
    const limit = intParam(url.searchParams.get('limit'), 'limit', 1, AUDIT_PAGE_MAX) ?? AUDIT_PAGE_DEFAULT;
    const cursor = url.searchParams.get('cursor');
    if (cursor !== null && cursor.length > 100_000) throw new GatewayError('validation_failed', 'cursor: too long');
    const page = await d.audit.listTree(d.companies.subtreeOf(companyId), { limit, cursor });
    sendJson(res, 200, {
      events: page.events.map((e) => ({
        id: e.id, company_id: e.companyId, at: iso(e.at), actor: e.actor, action: e.action, detail: e.detail, client_address: e.clientAddress,
      })),
      next_cursor: page.next,
    });
  };
}

function intParam(v: string | null, name: string, min: number, max: number): number | undefined {
  if (v === null) return undefined;
  const n = /^[0-9]{1,16}$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw new GatewayError('validation_failed', `${name}: expected an integer from ${min} to ${max}`);
  return n;
}
