import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock.js';
import type { ErrorResponder } from '../http/error-responses.js';
import type { AuditTrail } from '../lifecycle/audit-trail.js';
import type { CompanyDirectory } from '../lifecycle/company-directory.js';
import type { PortfolioService } from '../lifecycle/portfolio-service.js';
import type { TokenService } from '../lifecycle/token-service.js';
import type { Logger } from '../log.js';
import type { SignIn } from '../store/types.js';
import type { ErrorCode, GatewayError } from '../errors.js';
import type { VerifiedToken } from '../token/validator.js';
import type { LoginRateLimiter } from '../users/login-rate-limiter.js';
import type { UserSource } from '../users/types.js';

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
  /** Where companies sit and which portfolios may use tokens (read-only). */
  companies: CompanyDirectory;
  errors: ErrorResponder;
  clock: Clock;
  trustedProxies: ReadonlySet<string>;
  log: Logger;
  /** Every error the endpoints answer, by code (metrics, access log); never the request's secrets. */
  onError?(req: IncomingMessage, code: ErrorCode): void;
  /** `identity.upstream: assertion`: the JWK Set body served at `{prefix}/.well-known/jwks.json`. */
  jwks?: () => Buffer;
}

/** The Token Management pages under `{prefix}/ui/` (src/portal/), built beside the endpoints and routed by them. */
export interface PortalRoutes {
  /** `path` is below the endpoints prefix and starts with /ui. */
  dispatch(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void>;
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
