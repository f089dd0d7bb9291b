import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ReadinessCheck {
  /** Resolves with extra detail when ready; rejects (with a public reason) when not. */
  (): Promise<Record<string, unknown>>;
}

/** Where /metrics comes from: one gateway's Registry, or the cluster primary's AggregatorRegistry. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** /metrics, /healthz and /readyz on their own listener, never on the public proxy port. */
export function createAdminServer(
  source: MetricsSource,
  ready: ReadinessCheck,
  /** The operator API (admin.operatorToken), when configured; true when it took the request. */
  operator?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean,
): Server {
  // Nothing thrown while answering may end the process (the proxy port shares it): 500 instead.
  const failed = (res: ServerResponse) => () => {
    if (res.headersSent) res.destroy();
    else json(res, 500, { error: 'internal_error' });
  };
  return createServer((req, res) => {
    try {
      route(req, res);
    } catch {
      failed(res)();
    }
  });

  function route(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    if (operator?.(req, res, path)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method_not_allowed' });
    switch (path) {
      case '/metrics':
        source.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': source.contentType });
            res.end(text);
          },
          () => json(res, 500, { error: 'metrics_failed' }),
        ).catch(failed(res));
        return;
      case '/healthz':
        return json(res, 200, { status: 'ok' });
      case '/readyz':
        ready().then(
          (detail) => json(res, 200, { status: 'ready', ...detail }),
          (err: unknown) => json(res, 503, { status: 'not_ready', reason: err instanceof Error ? err.message : String(err) }),
        ).catch(failed(res));
        return;
      default:
        return json(res, 404, { error: 'not_found' });
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}
