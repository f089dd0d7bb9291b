import { createServer, type Server, type ServerResponse } from 'node:http';
import { AggregatorRegistry } from 'prom-client';

/**
 * The admin listener of the primary under `server.workers`: /metrics sums the workers' metrics
 * (prom-client's AggregatorRegistry asks each over IPC; lag is the max, store up the min),
 * /readyz is ready only when every worker is, /healthz answers for the primary itself.
 */
export function createPrimaryAdminServer(ready: () => Promise<Record<string, unknown>>): Server {
  const aggregator = new AggregatorRegistry();
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method_not_allowed' });
    switch (path) {
      case '/metrics':
        aggregator.clusterMetrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': aggregator.contentType });
            res.end(text);
          },
          () => json(res, 500, { error: 'metrics_failed' }),
        );
        return;
      case '/healthz':
        return json(res, 200, { status: 'ok' });
      case '/readyz':
        ready().then(
          (detail) => json(res, 200, { status: 'ready', ...detail }),
          (err: unknown) => json(res, 503, { status: 'not_ready', reason: err instanceof Error ? err.message : String(err) }),
        );
        return;
      default:
        return json(res, 404, { error: 'not_found' });
    }
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
