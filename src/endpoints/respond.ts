import type { ServerResponse } from 'node:http';

/**
 * Endpoint answers are JSON and never cached: they carry tokens or token metadata
 * (RFC 6749 §5.1: Cache-Control no-store, Pragma no-cache).
 */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const buf = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...NO_STORE, ...requestId(res), 'content-type': 'application/json; charset=utf-8', 'content-length': String(buf.length) });
  res.end(buf);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { ...NO_STORE, ...requestId(res), 'content-length': '0' });
  res.end();
}

/** The request id the gateway set on the way in (src/gateway/handle-request.ts step 1), echoed like every other answer. */
function requestId(res: ServerResponse): { 'x-request-id': string } | undefined {
  const id = res.req?.headers['x-request-id'];
  return typeof id === 'string' ? { 'x-request-id': id } : undefined;
}

/** Milliseconds since the epoch → ISO 8601, keeping null. */
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
