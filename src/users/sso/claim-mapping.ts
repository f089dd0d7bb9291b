import { GatewayError } from '../../errors.js';
import { COMPANY_ID_RE, isIdentityValue } from '../../token/format.js';
import { readAncestors } from '../ancestors.js';
import type { UserIdentity } from '../types.js';
import { ssoUserId } from './user-namespace.js';

/** A mapped SSO identity: who, and whether the groups claim makes them a manager. */
export interface SsoIdentity {
  who: UserIdentity;
  manager: boolean;
}

/** Where each part of our identity is: claim names (OIDC) or attribute names (SAML). */
interface ClaimNames {
  userId: string;
  login: string;
  companyId: string;
  groups: string;
  /** The company's ancestors, root first (the portfolio tree); absent = not mapped. */
  ancestors?: string | undefined;
}

export interface ClaimMapping {
  /** The provider's name: the user id is `<name>:<subject>` (src/users/sso/user-namespace.ts). */
  name: string;
  claims: ClaimNames;
  managerGroup: string;
  /** How refusals name the source: "claim" (OIDC) or "attribute" (SAML). */
  noun?: 'claim' | 'attribute';
}

/**
 * Verified claims (or SAML attributes) → our identity, per the provider's mapping; the user id
 * is the subject in the provider's namespace (`<name>:<subject>`). Pure. Every field must be present and well formed: a half identity (no company, an id that
 * cannot be a header value) is refused with `sso_failed` naming the claim, never filled in.
 */
export function mapClaims(claims: Readonly<Record<string, unknown>>, p: ClaimMapping): SsoIdentity {
  const m = p.claims;
  const noun = p.noun ?? 'claim';
  // The provider's namespace: a subject equal to a password user's id (or another provider's) is another user.
  const userId = ssoUserId(p.name, identityClaim(claims, m.userId, noun));
  if (!isIdentityValue(userId)) throw refuse(noun, m.userId, 'cannot be sent as an identity header');
  const login = identityClaim(claims, m.login, noun);
  const companyId = stringClaim(claims, m.companyId, noun);
  if (!COMPANY_ID_RE.test(companyId)) throw refuse(noun, m.companyId, 'is not a company id');
  const groups = groupsClaim(claims, m.groups, noun);
  const manager = groups.includes(p.managerGroup);
  const ancestors = m.ancestors === undefined ? undefined : readAncestors(Object.hasOwn(claims, m.ancestors) ? claims[m.ancestors] : undefined, companyId);
  if (ancestors !== undefined && !Array.isArray(ancestors)) throw refuse(noun, m.ancestors!, ancestors.refused);
  return { who: { userId, login, companyId, roles: manager ? [p.managerGroup] : [], ...(ancestors ? { ancestors } : {}) }, manager };
}

type Noun = NonNullable<ClaimMapping['noun']>;

function stringClaim(claims: Readonly<Record<string, unknown>>, name: string, noun: Noun): string {
  // Own properties only: a claim named "constructor" must not find Object.prototype's.
  const v = Object.hasOwn(claims, name) ? claims[name] : undefined;
  if (v === undefined || v === null) throw refuse(noun, name, 'is missing');
  // A numeric id is common (some directories send them as numbers); anything else is not an id.
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v !== 'string' || v === '') throw refuse(noun, name, 'is not a non-empty string');
  return v;
}

function identityClaim(claims: Readonly<Record<string, unknown>>, name: string, noun: Noun): string {
  const v = stringClaim(claims, name, noun);
  if (!isIdentityValue(v)) throw refuse(noun, name, 'cannot be sent as an identity header');
  return v;
}

function groupsClaim(claims: Readonly<Record<string, unknown>>, name: string, noun: Noun): string[] {
  const v = Object.hasOwn(claims, name) ? claims[name] : undefined;
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((g) => typeof g === 'string')) return v as string[];
  throw refuse(noun, name, 'is not a list of group names');
}

function refuse(noun: Noun, claim: string, why: string): GatewayError {
  return new GatewayError('sso_failed', `the identity provider's ${noun} "${claim}" ${why}`);
}
