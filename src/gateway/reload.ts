import { planReload, type ReloadPlan } from '../config/reload-plan.js';
import type { GatewayConfig } from '../config/schema.js';
import { endSessionsOfChangedUsers } from '../portal/end-changed-sessions.js';
import { managerRoleOf, openUserSource } from '../users/open-user-source.js';
import type { UserSource } from '../users/types.js';
import type { GatewayContext } from './context.js';
import type { ObservabilityPart } from './observability-part.js';
import type { ServicesPart } from './services-part.js';
import type { StatePart } from './state-part.js';

/** The plan, and whether the users file was read again (it is on every reload with `users.source: file`). */
export interface ReloadResult extends ReloadPlan {
  usersFile?: 'reloaded';
}

export interface Reloader {
  /** The running config: the start-up one with the reloaded keys of every SIGHUP since. */
  readonly config: GatewayConfig;
  reload(next: GatewayConfig): Promise<ReloadResult>;
}

/**
 * SIGHUP: applies `next`'s reloadable keys (src/config/reload-plan.ts) without touching a
 * connection. The users file is read again even when the config is unchanged (editing it is the
 * usual reason to reload), first, so an invalid file changes nothing.
 */
export function createReloader(ctx: GatewayContext, s: StatePart, services: ServicesPart, obs: ObservabilityPart): Reloader {
  const { log } = ctx;
  let running = ctx.config;
  return {
    get config() { return running; },
    async reload(next) {
      const plan = planReload(running, next);
      const nextUsers = next.users.source === 'file' || plan.applied.some((k) => k.startsWith('users.')) ? await openUserSource(next, ctx.readFile) : undefined;
      if (nextUsers) await applyUsers(nextUsers, managerRoleOf(running));
      s.state.setAllowed(next.portfolios.allowed);
      log.level = next.log.level;
      obs.accessLog.configure(next.log);
      services.limiter.setLimits(next.endpoints.failedLogins);
      running = Object.freeze({
        ...running,
        users: next.users.source === 'none' ? next.users : { ...next.users, managerRole: managerRoleOf(running) },
        portfolios: next.portfolios,
        log: next.log,
        endpoints: Object.freeze({ ...running.endpoints, failedLogins: next.endpoints.failedLogins }),
      }) as GatewayConfig;
      obs.configMetrics.reloaded('success', running);
      return nextUsers ? { ...plan, usersFile: 'reloaded' } : plan;
    },
  };

  /** The new users file in force, and what it changed undone: sessions, moved companies' tokens, removed users' tokens. */
  async function applyUsers(nextUsers: UserSource, managerRole: string): Promise<void> {
    // A company the new file puts under another root is reparented: its live tokens are revoked.
    const before = s.tree.roots(new Set([...s.tree.known(), ...(nextUsers.tree?.named() ?? [])]));
    const previousUsers = s.users.currentSource;
    s.users.replace(nextUsers);
    // The store may be away: the reload stands (logins are already refused), each failure is said.
    const said = (what: string) => (err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, `reload: ${what}`);
    // Every instance: the changed users' portal sessions are deleted from the store (each use re-checks too).
    await endSessionsOfChangedUsers(previousUsers, nextUsers, services.sessions, managerRole)
      .catch(said('could not end the portal sessions of users changed in the users file; each is refused at its next use'));
    await services.placement.voidMoved(before, 'users file')
      .catch(said('could not revoke the tokens of companies moved to another portfolio; they no longer open (sealed for the old root) but list as active until they expire'));
    await services.revokeRemovedUsers(nextUsers, 'operator')
      .catch(said('could not revoke the tokens of users removed from the users file; reload again once the store answers'));
  }
}
