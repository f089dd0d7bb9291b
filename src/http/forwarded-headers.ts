import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * RFC 9110 §7.6.1: hop-by-hop headers belong to one connection and are never forwarded.
 * `expect` too: Node has already answered `100-continue` to the client.
 * `proxy-authorization` is addressed to this proxy, not the origin.
 * `transfer-encoding` is hop-by-hop as well, but each forwarder re-frames the body itself and
 * needs it to know a body follows, so forwarders drop it (REQUEST_HOP_BY_HOP leaves it).
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect',
]);
const REQUEST_HOP_BY_HOP: readonly string[] = [...HOP_BY_HOP].filter((h) => h !== 'transfer-encoding');

const NONE: readonly string[] = Object.freeze([]);

/**
 * Names listed in a Connection header are hop-by-hop for this message too. `keep-alive` and
 * `close` (nearly every message) name no other header: answered without parsing or allocating.
 */
export function connectionListed(connection: string | string[] | undefined): readonly string[] {
  if (connection === undefined || connection === 'keep-alive' || connection === 'close') return NONE;
  const v = Array.isArray(connection) ? connection.join(',') : connection;
  return v.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0);
}

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface ForwardingOptions {
  trustedProxies: readonly string[];
  /** Host header sent upstream, or undefined to keep the client's. */
  upstreamHost: string | undefined;
}

/**
 * Rewrites the request headers for the upstream: hop-by-hop removed, X-Forwarded-* and
 * X-Request-Id set. An incoming X-Forwarded-* is believed only from a trusted proxy: rate
 * limits and the audit trail read the client address from it.
 */
export function createForwardedHeaders(o: ForwardingOptions) {
  const trusted = new Set(o.trustedProxies);
  return function setForwardedHeaders(req: IncomingMessage): void {
    const h = req.headers;
    for (const name of connectionListed(h.connection)) delete h[name];
    for (const name of REQUEST_HOP_BY_HOP) if (h[name] !== undefined) delete h[name];

    const peer = req.socket.remoteAddress ?? '';
    const fromTrusted = trusted.size > 0 && trusted.has(peer);
    const priorFor = fromTrusted ? h['x-forwarded-for'] : undefined;
    h['x-forwarded-for'] = priorFor ? `${priorFor}, ${peer}` : peer;
    if (!fromTrusted || h['x-forwarded-proto'] === undefined) {
      h['x-forwarded-proto'] = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    }
    if ((!fromTrusted || h['x-forwarded-host'] === undefined) && h.host !== undefined) h['x-forwarded-host'] = h.host;
    if (o.upstreamHost !== undefined) h.host = o.upstreamHost;

    const given = h['x-request-id'];
    const id = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
    // Echoed on the response by whoever writes its head (forwarder or ErrorResponder), inside
    // writeHead: a res.setHeader() here would push Node's writeHead onto its slow merging path.
    h['x-request-id'] = id;
  };
}

/** The client address as the gateway believes it (first hop added by a trusted proxy, else the peer). */
export function clientAddress(req: IncomingMessage, trusted: ReadonlySet<string>): string {
  const peer = req.socket.remoteAddress ?? '';
  if (!trusted.has(peer)) return peer;
  const xff = req.headers['x-forwarded-for'];
  const parts = typeof xff === 'string' ? xff.split(',').map((s) => s.trim()).filter(Boolean) : [];
  // Walk right to left past our trusted proxies; the first untrusted hop is the client.
  for (let i = parts.length - 1; i >= 0; i--) if (!trusted.has(parts[i]!)) return parts[i]!;
  return parts[0] ?? peer;
}
