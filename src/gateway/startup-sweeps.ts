import { FileUserSource } from '../users/file-user-source.js';
import type { UserSource } from '../users/types.js';
import type { GatewayContext } from './context.js';
import type { ServicesPart } from './services-part.js';
import type { StatePart } from './state-part.js';

/**
 * What the users file may have changed while no gateway ran, applied once the state is loaded
 * and before the first request (a reload sees each change itself: src/gateway/reload.ts):
 * removed users lose their tokens, and companies now under another root have the tokens sealed
 * for the old root revoked. Both write to the store and are audited; both are idempotent, so
 * several instances starting together revoke and audit each token once.
 */
export async function runStartupSweeps(ctx: GatewayContext, s: StatePart, services: ServicesPart, initialUsers: UserSource): Promise<void> {
  await services.revokeRemovedUsers(initialUsers, 'system');
  await services.placement.voidSealedForOldRoots([
    ...s.tree.known(),
    ...(await ctx.store.listPortfolios()).flatMap((p) => s.tree.subtree(p.companyId)),
    ...(initialUsers instanceof FileUserSource ? initialUsers.companyIds() : []),
  ]);
}
