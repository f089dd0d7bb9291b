import { GatewayError } from '../../errors.js';
import { COMPANY_ID_RE, isIdentityValue } from '../../token/format.js';
import type { OidcProviderConfig } from '../../config/sso-schema.js';
import { readAncestors } from '../ancestors.js';
import type { UserIdentity } from '../types.js';

/** A mapped SSO identity: who, and whether the groups claim makes them a manager. */
export interface SsoIdentity {
  who: UserIdentity;
  manager: boolean;
}

/**
 * Verified claims (or SAML attributes) → our identity, per the provider's `claims` mapping.
 * Pure. Every field must be present and well formed: a half identity (no company, an id that
 * cannot be a header value) is refused with `sso_failed` naming the claim, never filled in.
 */
export function mapClaims(claims: Readonly<Record<string, unknown>>, p: Pick<OidcProviderConfig, 'claims' | 'managerGroup'>): SsoIdentity {
  const m = p.claims;
  const userId = identityClaim(claims, m.userId);
  const login = identityClaim(claims, m.login);
  const companyId = stringClaim(claims, m.companyId);
  if (!COMPANY_ID_RE.test(companyId)) throw refuse(m.companyId, 'is not a company id');
  const groups = groupsClaim(claims, m.groups);
  const manager = groups.includes(p.managerGroup);
  const ancestors = m.ancestors === undefined ? undefined : readAncestors(claims[m.ancestors], companyId);
  if (ancestors !== undefined && !Array.isArray(ancestors)) throw refuse(m.ancestors!, ancestors.refused);
  return { who: { userId, login, companyId, roles: manager ? [p.managerGroup] : [], ...(ancestors ? { ancestors } : {}) }, manager };
}

function stringClaim(claims: Readonly<Record<string, unknown>>, name: string): string {
  const v = claims[name];
  if (v === undefined || v === null) throw refuse(name, 'is missing');
  // A numeric id is common (some directories send them as numbers); anything else is not an id.
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v !== 'string' || v === '') throw refuse(name, 'is not a non-empty string');
  return v;
}

function identityClaim(claims: Readonly<Record<string, unknown>>, name: string): string {
  const v = stringClaim(claims, name);
  if (!isIdentityValue(v)) throw refuse(name, 'cannot be sent as an identity header');
  return v;
}

function groupsClaim(claims: Readonly<Record<string, unknown>>, name: string): string[] {
  const v = claims[name];
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((g) => typeof g === 'string')) return v as string[];
  throw refuse(name, 'is not a list of group names');
}

function refuse(claim: string, why: string): GatewayError {
  return new GatewayError('sso_failed', `the identity provider's claim "${claim}" ${why}`);
}
