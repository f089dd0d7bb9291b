import { chooseUpstreamIdentity, usedModes, type UpstreamIdentityModes } from '../identity/choose-mode.js';
import { SigningKeyRing } from '../identity/signing-keys.js';
import { createUpstreamInjector, type UpstreamIdentity } from '../identity/upstream-identity.js';
import { ScopeCatalog } from '../token/scopes.js';
import { TokenValidator, type ValidatorObserver } from '../token/validator.js';
import { providerBinding } from '../users/sso/provider-binding.js';
import { resolveServiceAuthorization } from './config-secrets.js';
import type { GatewayContext } from './context.js';
import type { Housekeeping } from './housekeeping.js';
import type { StatePart } from './state-part.js';

/** What the upstream gets for a Bearer request, and the validator that turns a token into it. */
export interface IdentityPart {
  readonly upstreamIdentity: UpstreamIdentityModes;
  /** `identity.upstream: assertion`: the signing keys (shared through the store); undefined in other modes. */
  readonly signingKeys: SigningKeyRing | undefined;
  readonly validator: TokenValidator<UpstreamIdentity>;
  /** Every scope a token may carry (`read`, `full`, `tokens.scopes`), compiled once. */
  readonly scopes: ScopeCatalog;
  /** Step 7 of the request path: what the upstream gets set on a header object (the proxy's request, the decision's answer). */
  readonly injectIdentity: ReturnType<typeof createUpstreamInjector>;
  /** Reads the signing keys (assertion mode) before the first request. */
  start(): Promise<void>;
}

export function buildIdentity(ctx: GatewayContext, s: StatePart, observer: ValidatorObserver, housekeeping: Housekeeping): IdentityPart {
  const { config, store, log, now } = ctx;
  const assertion = config.identity.assertion;
  const signingKeys = usedModes(config.identity).has('assertion')
    ? new SigningKeyRing(store, ctx.masterKey, assertion.alg, assertion.overlapSeconds * 1000, (kid) =>
      log.error({ kid }, `assertion signing key ${kid} does not open with this master key: Bearer requests get 503 signing_key_unusable and /readyz says not ready; run \`hlgw keys rotate\` with the master key the gateways use`))
    : undefined;
  // Off the hot path: a rotation written by any instance or the CLI is picked up within keyRefreshSeconds.
  if (signingKeys) housekeeping.every(assertion.keyRefreshSeconds * 1000, () => signingKeys.refresh(now()), 'could not reload the assertion signing keys');
  const upstreamIdentity = chooseUpstreamIdentity(config.identity, new URL(config.upstream.url).origin, signingKeys, (c) => s.state.portfolioIdOf(c));
  const scopes = new ScopeCatalog(config.tokens.scopes);
  const validator = new TokenValidator<UpstreamIdentity>({
    state: s.state, clock: ctx.clock, prefix: config.tokens.prefix,
    skewSeconds: config.tokens.clockSkewSeconds,
    maxEntries: config.cache.maxEntries,
    negativeMaxEntries: config.cache.negativeMaxEntries,
    negativeTtlSeconds: config.cache.negativeTtlSeconds,
    // Cache misses only; with server.workers and SQLite the relay store reads the shared file directly.
    // SQLite answers at once (getTokenNow), so the misses of a turn are settled at its end without a wait.
    issuedRecord: store.getTokenNow ?? ((tokenId) => store.getToken(tokenId)),
    checkRecord: providerBinding(config.users.sso),
    prepare: upstreamIdentity.prepare,
    scopeChecker: (names) => scopes.checker(names),
    observer,
  });
  return {
    upstreamIdentity, signingKeys, validator, scopes,
    injectIdentity: createUpstreamInjector(resolveServiceAuthorization(config, ctx.env), now),
    async start() {
      await signingKeys?.refresh(now());
    },
  };
}
