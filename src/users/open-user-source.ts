import type { GatewayConfig } from '../config/schema.js';
import { FileUserSource } from './file-user-source.js';
import { UpstreamUserSource } from './upstream-user-source.js';
import type { UserSource } from './types.js';

/** No directory configured: every Basic login on the /auth endpoints is refused. */
const NO_USERS: UserSource = Object.freeze({
  kind: 'none' as const,
  verify: async () => undefined,
  rolesOf: () => [],
  standingOf: () => ({ kind: 'unknowable' as const }),
  close: () => undefined,
});

/** Builds the configured user source (`users.source`). */
export async function openUserSource(config: GatewayConfig, readFile?: (path: string) => string): Promise<UserSource> {
  const u = config.users;
  switch (u.source) {
    case 'none':
      return NO_USERS;
    case 'file':
      return FileUserSource.load(u.file, readFile);
    case 'upstream':
      return new UpstreamUserSource({
        url: userProbeUrl(config.upstream.url, u.path),
        method: u.method,
        timeoutMs: u.timeoutMs,
        cacheSeconds: u.cacheSeconds,
        pointers: u.pointers,
      });
  }
}

/** `users.source: upstream`: where each Basic credential is sent (upstream.url + users.path, one slash between). */
export function userProbeUrl(upstreamUrl: string, path: string): string {
  return upstreamUrl.replace(/(?<!\/)\/+$/, '') + path;
}

export function managerRoleOf(config: GatewayConfig): string {
  return config.users.source === 'none' ? 'portfolioManager' : config.users.managerRole;
}
