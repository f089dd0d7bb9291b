import type { UserIdentity } from '../users/types.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock.js';
import type { ErrorResponder } from '../http/error-responses.js';
import type { AuditTrail } from '../lifecycle/audit-trail.js';
import type { PortfolioService } from '../lifecycle/portfolio-service.js';
import type { TokenService } from '../lifecycle/token-service.js';
import type { Logger } from '../log.js';
import type { TokenState } from '../state/token-state.js';
import type { SignIn, Store } from '../store/types.js';
import type { ErrorCode, GatewayError } from '../errors.js';
import type { VerifiedToken } from '../token/validator.js';
import type { LoginRateLimiter } from '../users/login-rate-limiter.js';
import type { UserSource } from '../users/types.js';
import type { PortalOptions } from '../portal/portal-router.js';

/** Everything the /auth endpoints are made of; built by the composition root. */
export interface EndpointDeps {
  prefix: string;
  maxBodyBytes: number;
  maxTokenBytes: number;
  managerRole: string;
  users: UserSource;
  limiter: LoginRateLimiter;
  /** The proxy path's validator: same cache, same never-stale checks. */
  validator: { validate(token: string): VerifiedToken<unknown> | GatewayError | Promise<VerifiedToken<unknown> | GatewayError> };
  tokens: TokenService;
  portfolios: PortfolioService;
  audit: AuditTrail;
  store: Store;
  state: TokenState;
  errors: ErrorResponder;
  clock: Clock;
  trustedProxies: ReadonlySet<string>;
  log: Logger;
  /** The Token Management pages under `{prefix}/ui/`; absent when portal.enabled is false. */
  portal?: PortalOptions;
  /** Every error the endpoints answer, by code (metrics, access log); never the request's secrets. */
  onError?(req: IncomingMessage, code: ErrorCode): void;
  /**
   * Admits an SSO sign-in's identity before any session (src/lifecycle/sso-admission.ts): the
   * provider's companies, then its claim's place in the portfolio tree. Throws `sso_failed`.
   */
  admitSsoSignIn(provider: string, who: UserIdentity, clientAddress: string | null): Promise<void>;
  /** `identity.upstream: assertion`: the JWK Set body served at `{prefix}/.well-known/jwks.json`. */
  jwks?: () => Buffer;
}

/** One request to an endpoint, with what the router already worked out. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The client address (src/http/forwarded-headers.ts clientAddress). */
  address: string;
  /** Decoded path parameters, in order. */
  params: string[];
}

export type EndpointHandler = (x: Exchange) => Promise<void>;

/** An authenticated caller of the endpoints. */
export interface Caller {
  userId: string;
  login: string;
  companyId: string;
  manager: boolean;
  /** `session`: the portal's pages (src/portal/), signed in with a password. */
  via: 'basic' | 'bearer' | 'session';
  /** Set when the caller used a Bearer token: its id. */
  tokenId?: string;
  /** A portal session opened through an SSO provider: its tokens are bound to it. */
  signIn?: SignIn;
}
