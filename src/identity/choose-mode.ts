import type { GatewayConfig } from '../config/schema.js';
import type { TokenRecord } from '../store/types.js';
import type { TokenClaims } from '../token/format.js';
import { AssertionIdentity } from './assertion-mode.js';
import { basicIdentity } from './basic-mode.js';
import { headersIdentity } from './headers-mode.js';
import type { SigningKeyRing } from './signing-keys.js';
import type { UpstreamIdentity, UpstreamMode } from './upstream-identity.js';

/**
 * One gateway's `identity.upstream` with its per-portfolio overrides (`upstreamByPortfolio`), as
 * the composition root wires it. The mode of a token is its portfolio's: the root of the token's
 * company (a sub-company follows its root), else the gateway's default; in a `basic` portfolio, a
 * token whose owner signed in by SSO (no password to replay) gets `identity.ssoUpstream` when
 * that names another mode.
 */
export interface UpstreamIdentityModes {
  /** Every mode some portfolio may use: the default and each override. */
  readonly used: ReadonlySet<UpstreamMode>;
  /** `viaSso`: the token's owner signed in through an identity provider (TokenRecord.signIn). */
  modeOf(companyId: string, viaSso: boolean): UpstreamMode;
  /** authorize seals the caller's Basic credential into each new token of this owner (basic mode only). */
  sealsCredential(companyId: string, viaSso: boolean): boolean;
  /** Run once per verified token, on the cache miss; may throw a GatewayError (the token is then refused). */
  prepare(claims: TokenClaims, record: TokenRecord | undefined): UpstreamIdentity;
}

/** The modes `cfg` may use; the composition root loads the signing keys only when `assertion` is among them. */
export function usedModes(cfg: GatewayConfig['identity']): Set<UpstreamMode> {
  const modes = new Set([cfg.upstream, ...Object.values(cfg.upstreamByPortfolio)]);
  if (modes.has('basic') && cfg.ssoUpstream !== 'password') modes.add(cfg.ssoUpstream);
  return modes;
}

/**
 * `keys`: the assertion signing keys, required when some portfolio uses `assertion`.
 * `portfolioIdOf`: a company's root (TokenState reads the current tree).
 */
export function chooseUpstreamIdentity(
  cfg: GatewayConfig['identity'],
  audience: string,
  keys: SigningKeyRing | undefined,
  portfolioIdOf: (companyId: string) => string = (c) => c,
): UpstreamIdentityModes {
  const used = usedModes(cfg);
  const byPortfolio = new Map(Object.entries(cfg.upstreamByPortfolio));
  const portfolioMode = byPortfolio.size === 0
    ? () => cfg.upstream
    : (companyId: string) => byPortfolio.get(portfolioIdOf(companyId)) ?? cfg.upstream;
  const sso = cfg.ssoUpstream === 'password' ? 'basic' : cfg.ssoUpstream;
  const modeOf = (companyId: string, viaSso: boolean): UpstreamMode => {
    const m = portfolioMode(companyId);
    return m === 'basic' && viaSso ? sso : m;
  };

  // Each mode is built once, and only when some portfolio uses it.
  const headers = used.has('headers') ? headersIdentity(cfg, portfolioIdOf) : undefined;
  let assertion: ((claims: TokenClaims) => UpstreamIdentity) | undefined;
  if (used.has('assertion')) {
    if (!keys) throw new Error('identity.upstream assertion needs its signing keys');
    const a = cfg.assertion;
    const o = { header: a.header, issuer: a.issuer, audience: a.audience ?? audience, lifetimeSeconds: a.lifetimeSeconds };
    assertion = (claims) => new AssertionIdentity(claims, o, keys);
  }

  return {
    used,
    modeOf,
    sealsCredential: (companyId, viaSso) => modeOf(companyId, viaSso) === 'basic',
    prepare(claims, record) {
      // The record is there on every miss (the issued-id check fetched it).
      switch (modeOf(claims.companyId, record?.signIn !== undefined)) {
        case 'basic': return basicIdentity(claims, record);
        case 'headers': return headers!(claims);
        case 'assertion': return assertion!(claims);
      }
    },
  };
}
