import { AccessService } from '../lifecycle/access-service.js';
import { AuditTrail } from '../lifecycle/audit-trail.js';
import { CompanyPlacement } from '../lifecycle/company-placement.js';
import { LeakReports } from '../lifecycle/leak-reports.js';
import { PortfolioService } from '../lifecycle/portfolio-service.js';
import { revokeTokensOfRemovedUsers } from '../lifecycle/revoke-removed-users.js';
import { SsoAdmission } from '../lifecycle/sso-admission.js';
import { TokenService, type TokenEvents } from '../lifecycle/token-service.js';
import { UsageRecorder } from '../lifecycle/usage-recorder.js';
import { WebhookAnnouncer } from '../lifecycle/webhook-events.js';
import { DEFAULTS } from '../config/schema.js';
import { SessionManager } from '../portal/sessions.js';
import { FileUserSource } from '../users/file-user-source.js';
import { LearningUserSource } from '../users/learning-user-source.js';
import { LoginRateLimiter } from '../users/login-rate-limiter.js';
import { managerRoleOf } from '../users/open-user-source.js';
import { ProbeReportingUserSource } from '../users/probe-reporting-user-source.js';
import { UPSTREAM_PASSWORD_MARK_PURPOSE } from '../users/upstream-password-mark.js';
import type { UserSource } from '../users/types.js';
import type { GatewayContext } from './context.js';
import type { Housekeeping } from './housekeeping.js';
import type { IdentityPart } from './identity-part.js';
import type { StatePart } from './state-part.js';

/** How often expired portal sessions are deleted from SQLite (Redis expires them itself). */
const SESSION_PURGE_MS = 5 * 60_000;

/** The token lifecycle and who-is-who: what the endpoints, the portal and the operator API call. */
export interface ServicesPart {
  readonly audit: AuditTrail;
  readonly portfolios: PortfolioService;
  readonly tokens: TokenService;
  /** The operator's allow/deny per portfolio (operator API). */
  readonly access: AccessService;
  /** Leak reports: the operator API's and GitHub secret scanning's (src/lifecycle/leak-reports.ts). */
  readonly leaks: LeakReports;
  readonly placement: CompanyPlacement;
  readonly ssoAdmission: SsoAdmission;
  readonly limiter: LoginRateLimiter;
  readonly sessions: SessionManager;
  /** Who may log in to the /auth endpoints: every password check teaches the tree and confirms sessions. */
  readonly users: UserSource;
  /** Batched last_used_at writes; `flush()` writes now (tests, shutdown). */
  readonly usage: UsageRecorder;
  /** The webhook events each change writes with it (notifications.webhooks). */
  readonly announcer: WebhookAnnouncer;
  /** A users file's removed users lose their tokens (the start-up sweep and every reload). */
  revokeRemovedUsers(source: UserSource, actor: 'system' | 'operator'): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function buildServices(ctx: GatewayContext, s: StatePart, id: IdentityPart, housekeeping: Housekeeping, tokenEvents: TokenEvents): ServicesPart {
  const { config, store, log, now } = ctx;
  const audit = new AuditTrail(store, now, log);
  const announcer = new WebhookAnnouncer(config.notifications.webhooks);
  const tokens = new TokenService(store, s.state, now, {
    sealCredential: id.upstreamIdentity.sealsCredential, events: tokenEvents, announce: announcer, prefix: config.tokens.prefix,
    scopes: id.scopes, maxNamedPerUser: config.tokens.maxPerUser,
  });
  const placement = new CompanyPlacement({ store, tree: s.tree, revoke: (t) => tokens.revoke(t, 'reparented'), audit, now, log });
  const sessions = new SessionManager(store, ctx.clock, {
    idleMs: config.portal.idleMinutes * 60_000,
    absoluteMs: config.portal.absoluteHours * 3_600_000,
  }, { users: s.users, managerRole: managerRoleOf(config), audit });
  housekeeping.every(SESSION_PURGE_MS, () => sessions.purge(), 'could not purge expired portal sessions');
  // Every password checked (never on the proxy path): the tree learns from the answer, and an
  // upstream directory's answer ends the portal sessions it contradicts.
  const learn = (who: { companyId: string; userId: string }, ancestors: readonly string[]) =>
    placement.learn('upstream', who.companyId, ancestors, { userId: who.userId, clientAddress: null });
  const users = new ProbeReportingUserSource(
    new LearningUserSource(s.users, learn, config.users.sso.providers.map((p) => p.name)),
    ctx.masterKey.deriveSubkey(UPSTREAM_PASSWORD_MARK_PURPOSE),
    (who) => sessions.confirm(who),
  );
  const usage = new UsageRecorder(store, now, (err) => log.warn({ err: String(err) }, 'could not record token last use'), DEFAULTS.lastUsedWindowMs);
  return {
    audit, tokens, placement, sessions, users, usage, announcer,
    portfolios: new PortfolioService(store, s.state, ctx.masterKey, now, announcer),
    access: new AccessService(store, s.state, audit, now),
    leaks: new LeakReports({ state: s.state, prefix: config.tokens.prefix, tokens, audit }),
    ssoAdmission: new SsoAdmission({ providers: config.users.sso.providers, tree: s.tree, placement, audit }),
    limiter: new LoginRateLimiter(store, ctx.clock, config.endpoints.failedLogins),
    async revokeRemovedUsers(source, actor) {
      // An upstream directory cannot be listed: only a users file's removals are known.
      if (source instanceof FileUserSource) await revokeTokensOfRemovedUsers({ store, users: source, revoke: (t) => tokens.revoke(t), audit, now, log, actor });
    },
    start() {
      if (s.users.kind === 'none') log.warn('users.source is none: every login on the token endpoints is refused; configure users (see src/config/schema.ts)');
      usage.start(DEFAULTS.lastUsedFlushMs);
    },
    async stop() {
      await usage.stop().catch(() => undefined);
      users.close();
    },
  };
}
