import { GatewayError } from '../errors.js';
import { DURATION_MAX_MINUTES } from '../lifecycle/portfolio-service.js';
import { PERSONAL_TOKEN_NAME, type TokenStatus } from '../lifecycle/token-service.js';
import type { TokenRecord } from '../store/types.js';
import type { CredentialFor } from './authorize.js';
import { readFields } from './read-body.js';
import type { AuthenticateCaller } from './authenticate-caller.js';
import type { EndpointDeps, EndpointHandler } from './context.js';
import { iso, sendEmpty, sendJson } from './respond.js';

/**
 * `GET {prefix}/tokens`: a manager sees every token of their company's sub-tree (a root manager:
 * the whole portfolio; a sub-company manager: their branch only), a user their own. Never the token
 * itself. Filters (all optional, combined): `user` (user id or login), `status`, `expiring_within`
 * (minutes: active tokens that expire within them).
 */
export function listTokensEndpoint(d: EndpointDeps, authenticate: AuthenticateCaller): EndpointHandler {
  return async ({ req, res, url, address }) => {
    const caller = await authenticate(req, address, { bearer: true });
    const filter = parseListFilter(url.searchParams);
    const records = caller.manager
      ? (await Promise.all(d.companies.subtreeOf(caller.companyId).map((c) => d.tokens.list(c)))).flat().sort((a, b) => b.createdAt - a.createdAt)
      : await d.tokens.list(caller.companyId, caller.userId);
    const now = d.clock.now();
    const views = records.filter((r) => filter.user === undefined || r.userId === filter.user || r.login === filter.user).map((r) => tokenView(d, r))
      .filter((v) => (filter.status === undefined || v.status === filter.status) &&
        (filter.expiringWithinMs === undefined || (v.status === 'active' && Date.parse(v.expires_at!) - now <= filter.expiringWithinMs)));
    sendJson(res, 200, { tokens: views });
  };
}

const STATUSES: readonly TokenStatus[] = ['active', 'expired', 'revoked'];
const LIST_FILTERS = ['user', 'status', 'expiring_within'];

function parseListFilter(q: URLSearchParams): { user?: string; status?: TokenStatus; expiringWithinMs?: number } {
  for (const k of new Set(q.keys())) {
    if (!LIST_FILTERS.includes(k)) throw new GatewayError('validation_failed', `${k.slice(0, 40)}: unknown filter (expected ${LIST_FILTERS.join(', ')})`);
    if (q.getAll(k).length > 1) throw new GatewayError('validation_failed', `${k}: given more than once`);
  }
  const user = q.get('user') ?? undefined;
  if (user !== undefined && (user.length === 0 || user.length > 512)) throw new GatewayError('validation_failed', 'user: expected a user id or login');
  const status = q.get('status') ?? undefined;
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) throw new GatewayError('validation_failed', `status: expected ${STATUSES.join(', ')}`);
  const within = q.get('expiring_within') ?? undefined;
  if (within !== undefined && (!/^[0-9]{1,7}$/.test(within) || Number(within) < 1 || Number(within) > DURATION_MAX_MINUTES)) {
    throw new GatewayError('validation_failed', `expiring_within: expected an integer number of minutes from 1 to ${DURATION_MAX_MINUTES}`);
  }
  return {
    ...(user === undefined ? {} : { user }),
    ...(status === undefined ? {} : { status: status as TokenStatus }),
    ...(within === undefined ? {} : { expiringWithinMs: Number(within) * 60_000 }),
  };
}

/** `password`: the portal's confirmation in `identity.upstream: basic` (src/portal/confirm-password.ts); ignored elsewhere. */
const CREATE_FIELDS = ['name', 'scopes', 'validityMinutes', 'password'];

/**
 * `POST {prefix}/tokens` `{name, scopes, validityMinutes?}`: a named token beside the personal one
 * (Basic, or a portal session; never a Bearer token: a token must not mint tokens). Its scopes
 * must be known and allowed by the portfolio's policy; validity is capped by the portfolio's duration.
 */
export function createTokenEndpoint(d: EndpointDeps, authenticate: AuthenticateCaller, credentialFor: CredentialFor): EndpointHandler {
  return async (x) => {
    const { req, res, address } = x;
    const caller = await authenticate(req, address, { bearer: false });
    const body = await readFields(req, d.maxBodyBytes, ['json']);
    const unknown = Object.keys(body).filter((k) => !CREATE_FIELDS.includes(k));
    if (unknown.length > 0) throw new GatewayError('validation_failed', unknown.slice(0, 5).map((k) => `${k.slice(0, 40)}: unknown field`).join('; '));
    const v = body.validityMinutes;
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > DURATION_MAX_MINUTES)) {
      throw new GatewayError('validation_failed', `validityMinutes: expected an integer number of minutes from 1 to ${DURATION_MAX_MINUTES}`);
    }
    const policy = await d.portfolios.get(d.companies.rootOf(caller.companyId));
    const credential = await credentialFor(x, caller, body);
    const owner = { userId: caller.userId, login: caller.login, companyId: caller.companyId, ...(caller.signIn ? { signIn: caller.signIn } : {}) };
    const request = { name: body.name, scopes: body.scopes, ...(v === undefined ? {} : { validityMinutes: v as number }), ...(policy.allowedScopes ? { allowedScopes: policy.allowedScopes } : {}) };
    const issued = await d.audit.write(() => d.tokens.createNamed(owner, request, credential), (i) => ({
      companyId: caller.companyId, actor: caller.login, action: 'token.create',
      detail: i === undefined
        ? { userId: caller.userId }
        : { tokenId: i.record.tokenId, userId: i.record.userId, name: i.record.name, scopes: i.record.scopes, expiresAt: new Date(i.record.expiresAt).toISOString() },
      clientAddress: address,
    }));
    const r = issued.record;
    sendJson(res, 201, {
      access_token: issued.token,
      token_type: 'Bearer',
      token_id: r.tokenId,
      name: r.name,
      scopes: r.scopes,
      expires_at: new Date(r.expiresAt).toISOString(),
      expires_in: Math.round((r.expiresAt - r.createdAt) / 1000),
    });
  };
}

/**
 * `DELETE {prefix}/tokens/{token_id}`: the owner or a manager of its portfolio revokes it.
 * Anyone else gets 404, exactly as for an unknown id: no probing other portfolios.
 */
export function revokeTokenEndpoint(d: EndpointDeps, authenticate: AuthenticateCaller): EndpointHandler {
  return async ({ req, res, address, params }) => {
    const caller = await authenticate(req, address, { bearer: true });
    const r = await d.tokens.get(params[0]!);
    const mine = r !== undefined && r.companyId === caller.companyId && r.userId === caller.userId;
    const managed = r !== undefined && caller.manager && d.companies.subtreeOf(caller.companyId).includes(r.companyId);
    if (!r || !(mine || managed)) throw new GatewayError('not_found');
    // The store applies the revocation to this instance's TokenState before this resolves.
    await d.audit.write(() => d.tokens.revoke(r.tokenId), (revoked) => (revoked === false ? undefined : {
      companyId: r.companyId, actor: caller.login, action: 'token.revoke',
      detail: { tokenId: r.tokenId, userId: r.userId, via: 'delete' }, clientAddress: address,
    }));
    sendEmpty(res, 204);
  };
}

function tokenView(d: EndpointDeps, r: TokenRecord) {
  const voided = d.tokens.voided(r);
  return {
    token_id: r.tokenId,
    user_id: r.userId,
    login: r.login,
    created_at: iso(r.createdAt),
    expires_at: iso(r.expiresAt),
    last_used_at: iso(r.lastUsedAt),
    // A token voided with its generation has no revokedAt of its own: the generation change's time.
    revoked_at: iso(voided?.at ?? null),
    revoked_reason: voided?.reason ?? null,
    status: d.tokens.status(r),
    revoke_reason: voided?.reason ?? null,
    /** "personal", or the name given at `POST {prefix}/tokens`. */
    name: r.name ?? PERSONAL_TOKEN_NAME,
    scopes: r.scopes ?? ['full'],
    last_used_ip: r.lastUsedIp ?? null,
    /** `password`, or the SSO provider the token is bound to. */
    signed_in_with: r.signIn?.provider ?? 'password',
  };
}
