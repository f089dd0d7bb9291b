import type { IncomingMessage } from 'node:http';
import { SSO_DEFAULTS } from '../config/sso-schema.js';
import type { EndpointDeps } from '../endpoints/context.js';
import { createEndpoints } from '../endpoints/router.js';
import { verifyEndpoint } from '../endpoints/verify.js';
import type { ErrorCode } from '../errors.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { CompanyDirectory } from '../lifecycle/company-directory.js';
import { createPortal } from '../portal/portal-router.js';
import { managerRoleOf } from '../users/open-user-source.js';
import { PendingSignIns } from '../users/sso/pending-sign-ins.js';
import { StoreSeenAssertionIds } from '../users/sso/seen-assertions.js';
import type { GatewayContext } from './context.js';
import type { IdentityPart } from './identity-part.js';
import { gatewayOpenApiDocument } from './openapi-document.js';
import type { ServicesPart } from './services-part.js';
import type { StatePart } from './state-part.js';

export type Endpoints = ReturnType<typeof createEndpoints>;

/**
 * The gateway's own endpoints under `endpoints.prefix` (the /auth API) and, with portal.enabled,
 * the Token Management portal beside them: both call the services, never the store or the state.
 * `onError` sees every error they answer (metrics, access log).
 */
export function buildEndpoints(
  ctx: GatewayContext, s: StatePart, id: IdentityPart, services: ServicesPart, metrics: Pick<GatewayMetrics, 'decision'>,
  onError: (req: IncomingMessage, code: ErrorCode) => void,
): Endpoints {
  const { config, now } = ctx;
  const { signingKeys } = id;
  const d: EndpointDeps = {
    prefix: config.endpoints.prefix,
    maxBodyBytes: config.endpoints.maxBodyBytes,
    maxTokenBytes: config.tokens.maxTokenBytes,
    managerRole: managerRoleOf(config),
    users: services.users,
    limiter: services.limiter,
    validator: id.validator,
    tokens: services.tokens,
    portfolios: services.portfolios,
    audit: services.audit,
    companies: new CompanyDirectory(s.state),
    errors: ctx.errors,
    clock: ctx.clock,
    trustedProxies: ctx.trustedProxies,
    log: ctx.log,
    onError,
    ...(signingKeys ? { jwks: () => signingKeys.jwks(now()) } : {}),
  };
  const portal = config.portal.enabled ? createPortal(d, {
    sessions: services.sessions,
    idleMinutes: config.portal.idleMinutes,
    sso: {
      config: config.users.sso, env: ctx.env,
      pending: new PendingSignIns(ctx.store, ctx.clock, SSO_DEFAULTS.pendingMinutes * 60_000),
      seen: new StoreSeenAssertionIds(ctx.store, ctx.clock),
      admit: (provider, who, clientAddress) => services.ssoAdmission.admit(provider, who, clientAddress),
    },
    replaysCredential: id.upstreamIdentity.sealsCredential,
  }) : undefined;
  // The decision mode ({prefix}/verify): the proxy path's validator and identity, answered to an ingress.
  const verify = verifyEndpoint({
    maxTokenBytes: config.tokens.maxTokenBytes,
    trustedProxies: ctx.trustedProxies,
    validator: id.validator,
    injectIdentity: id.injectIdentity,
    isStateStale: s.freshness ? () => s.freshness!.isStale() : undefined,
    onTokenUse: (tokenId, address) => services.usage.touch(tokenId, address),
    scopesAllowing: (method, url) => id.scopes.allowing(method, url),
    insufficientScope: (res, allowing) => ctx.errors.insufficientScope(res, allowing),
    onDecision: (decision) => metrics.decision(decision),
  });
  return createEndpoints(d, { openApi: gatewayOpenApiDocument(config.endpoints.prefix), verify, ...(portal ? { portal } : {}) });
}
