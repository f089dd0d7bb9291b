import type { Server } from 'node:http';
import { createAdminServer } from '../admin/admin-server.js';
import { createOperatorApi } from '../admin/operator-api.js';
import { resolveOperatorSecret } from './config-secrets.js';
import type { GatewayContext } from './context.js';
import type { EdgePart } from './edge-part.js';
import type { IdentityPart } from './identity-part.js';
import { closeServer, withTimeout } from './listen.js';
import type { ObservabilityPart } from './observability-part.js';
import type { ServicesPart } from './services-part.js';
import type { StatePart } from './state-part.js';

/** The admin port: /metrics, /healthz, /readyz and, with admin.operatorToken, the operator API. */
export interface AdminPart {
  readonly adminServer: Server;
  /** The operator API is on (a server.workers worker then binds a relay port for it). */
  readonly hasOperatorApi: boolean;
  /** The /readyz check: resolves with detail when ready, rejects with the reason when not. */
  ready(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export function buildAdmin(ctx: GatewayContext, s: StatePart, id: IdentityPart, services: ServicesPart, obs: ObservabilityPart, edge: EdgePart): AdminPart {
  const { store, now } = ctx;
  const ready = async (): Promise<Record<string, unknown>> => {
    // First: a balancer must take this instance out before its listener closes.
    if (edge.drain.isDraining) throw new Error('shutting down');
    // Not ready while the shared state may lag: a load balancer then stops sending traffic here.
    const reason = s.freshness?.notReadyReason();
    if (reason) throw new Error(reason);
    // A wrong master key: every Bearer of these portfolios would be refused. A count only: the
    // admin port needs no credential; state-sync logs the ids once per change of the set.
    const n = s.sync.unsealable.size;
    if (n > 0) throw new Error(`master key mismatch: cannot unseal the key of ${n} portfolio${n === 1 ? '' : 's'} (their ids are in the log)`);
    // identity.upstream: assertion and the signing key in force does not open: every Bearer would get 503.
    const keyReason = id.signingKeys?.notReadyReason(now());
    if (keyReason) throw new Error(keyReason);
    await withTimeout(store.ping(), 2000, 'store unreachable');
    return { store: store.type, portfolios: 'loaded', ...(s.freshness ? { lagSeconds: Number(s.freshness.lagSeconds().toFixed(3)) } : {}) };
  };
  const secret = resolveOperatorSecret(ctx.config, ctx.env, ctx.readFile);
  const adminServer = createAdminServer(obs.metrics.registry, ready,
    secret === undefined ? undefined : createOperatorApi({ secret, access: services.access, leaks: services.leaks, errors: ctx.errors, log: ctx.log }));
  return { adminServer, hasOperatorApi: secret !== undefined, ready, stop: () => closeServer(adminServer) };
}
