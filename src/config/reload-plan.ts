import type { GatewayConfig } from './schema.js';

/**
 * What a SIGHUP reload applies without a restart (docs/OPERATIONS.md, "Reload"): each entry is a
 * key path prefix. Everything else (listeners, store, upstream, identity headers, cache sizes...)
 * is built once at start; a change there is reported and waits for the next restart.
 */
const RELOADABLE = ['users', 'portfolios.allowed', 'log.level', 'log.access', 'log.accessSampleRate', 'log.accessUserIds', 'endpoints.failedLogins'] as const;
/** Under `users` but wired into the endpoints at start. */
const NOT_RELOADABLE_UNDER_USERS = ['users.managerRole'];

export interface ReloadPlan {
  /** Changed key paths that are applied now. */
  applied: string[];
  /** Changed key paths that need a restart. */
  restartNeeded: string[];
}

export function planReload(running: GatewayConfig, next: GatewayConfig): ReloadPlan {
  const a = flatten(running);
  const b = flatten(next);
  const changed = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
  const reloadable = (k: string) =>
    !NOT_RELOADABLE_UNDER_USERS.some((p) => k === p) && RELOADABLE.some((p) => k === p || k.startsWith(`${p}.`));
  return { applied: changed.filter(reloadable), restartNeeded: changed.filter((k) => !reloadable(k)) };
}

/** Leaves by dotted path; arrays compared whole (portfolios.allowed, trustedProxies). */
function flatten(v: unknown, path = '', out = new Map<string, string>()): Map<string, string> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, path ? `${path}.${k}` : k, out);
  } else {
    out.set(path, JSON.stringify(v));
  }
  return out;
}
