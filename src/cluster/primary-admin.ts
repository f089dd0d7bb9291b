import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AggregatorRegistry } from 'prom-client';
import { createAdminServer } from '../admin/admin-server.js';

/**
 * The admin listener of the primary under `server.workers`: /metrics sums the workers' metrics
 * (prom-client's AggregatorRegistry asks each over IPC; lag is the max, store up the min),
 * /readyz is ready only when every worker is, /healthz answers for the primary itself; the
 * operator API's calls go to a worker (src/cluster/operator-relay.ts).
 */
export function createPrimaryAdminServer(
  ready: () => Promise<Record<string, unknown>>,
  operator?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean,
): Server {
  const aggregator = new AggregatorRegistry();
  return createAdminServer({ contentType: aggregator.contentType, metrics: () => aggregator.clusterMetrics() }, ready, operator);
}
