import type { EndpointDeps } from '../endpoints/context.js';
import type { LoginGate } from './login-gate.js';
import type { SessionManager } from './sessions.js';
import type { StaticAssets } from './static-assets.js';

/** What the portal is made of: the /auth endpoints' deps plus its sessions, login gate and files. */
export interface PortalContext {
  d: EndpointDeps;
  sessions: SessionManager;
  login: LoginGate;
  assets: StaticAssets;
  /** Minutes, shown by the page ("signed out after 30 minutes without use"). */
  idleMinutes: number;
  /** `identity.upstream: basic`: generating a token asks for the password again (confirm-password.ts). */
  /** identity.upstream is `basic` for this user (their portfolio's mode, identity.ssoUpstream): tokens replay the user's password. */
  replaysCredential: (companyId: string, viaSso: boolean) => boolean;
}
