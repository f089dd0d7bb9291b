import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * RFC 9110 §7.6.1: hop-by-hop headers belong to one connection and are never forwarded.
 * `expect` too: Node has already answered `100-continue` to the client.
 * `proxy-authorization` is addressed to this proxy, not the origin.
 * `transfer-encoding` is hop-by-hop as well, but each forwarder re-frames the body itself and
 * needs it to know a body follows, so forwarders drop it (REQUEST_HOP_BY_HOP leaves it).
 */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
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

/**
 * A response's headers as the client gets them: a new object without the hop-by-hop ones and
 * those its Connection header lists. A copy, not `delete`s: a delete turns the object into a hash
 * table, slower for every walk of it after (Node's writeHead and setHeader, http-proxy's copy).
 */
export function endToEndHeaders<V>(h: Readonly<Record<string, V>>): Record<string, V> {
  const listed = connectionListed(h.connection as string | string[] | undefined);
  const out: Record<string, V> = {};
  for (const name in h) if (!HOP_BY_HOP.has(name) && !listed.includes(name)) out[name] = h[name]!;
  return out;
}

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The one X-Request-Id rule, on the proxy path and on /auth answers: a sane one is kept, anything else replaced. */
export function requestIdOf(given: string | string[] | undefined): string {
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Headers an upstream may read the client's address, host or scheme from. A client's own values
 * are believed only from `server.trustedProxies`. Their `_` spellings (which CGI, PHP, Rack and
 * WSGI read as the same variable) are removed from every request by the identity stripper.
 */
export const FORWARDING_HEADERS: readonly string[] = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip'];

export interface ForwardingOptions {
  trustedProxies: readonly string[];
  /** Host header sent upstream, or undefined to keep the client's. */
  upstreamHost: string | undefined;
}

/**
 * Rewrites the request headers for the upstream: hop-by-hop removed, X-Forwarded-* and
 * X-Request-Id set. From an untrusted peer, X-Forwarded-For/-Proto/-Host are replaced by what
 * the socket and the request's own Host say (X-Forwarded-Host removed when there is no Host,
 * as in HTTP/1.0), and Forwarded and X-Real-IP are removed. From a trusted proxy they are kept,
 * X-Forwarded-For and Forwarded get this hop appended (RFC 7239 §4). Rate limits and the audit
 * trail read the client address from them.
 */
export function createForwardedHeaders(o: ForwardingOptions) {
  const trusted = new Set(o.trustedProxies);
  return function setForwardedHeaders(req: IncomingMessage): void {
    const h = req.headers;
    // The request's own Host, read before a Connection list can remove it.
    const host = h.host;
    // Removed by assigning undefined, not `delete`: a delete turns the headers object into a hash
    // table (slower reads, and a new table allocated as later steps add headers) on nearly every
    // request, since most clients send `Connection: keep-alive`. undici skips undefined values; the
    // http-proxy forwarder drops them before Node's ClientRequest sees them (bench/alloc.mjs).
    for (const name of connectionListed(h.connection)) if (h[name] !== undefined) h[name] = undefined;
    for (const name of REQUEST_HOP_BY_HOP) if (h[name] !== undefined) h[name] = undefined;

    const peer = req.socket.remoteAddress ?? '';
    const fromTrusted = trusted.size > 0 && trusted.has(peer);
    const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const priorFor = fromTrusted ? h['x-forwarded-for'] : undefined;
    h['x-forwarded-for'] = priorFor ? `${priorFor}, ${peer}` : peer;
    if (!fromTrusted || h['x-forwarded-proto'] === undefined) h['x-forwarded-proto'] = proto;
    if (!fromTrusted || h['x-forwarded-host'] === undefined) {
      if (host !== undefined) h['x-forwarded-host'] = host;
      else if (h['x-forwarded-host'] !== undefined) delete h['x-forwarded-host'];
    }
    if (h.forwarded !== undefined) {
      if (fromTrusted) h.forwarded = `${h.forwarded}, ${forwardedElement(peer, host, proto)}`;
      else delete h.forwarded;
    }
    if (!fromTrusted && h['x-real-ip'] !== undefined) delete h['x-real-ip'];
    if (o.upstreamHost !== undefined) h.host = o.upstreamHost;

    // Echoed on the response by whoever writes its head (forwarder or ErrorResponder), inside
    // writeHead: a res.setHeader() here would push Node's writeHead onto its slow merging path.
    h['x-request-id'] = requestIdOf(h['x-request-id']);
  };
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** This hop as a Forwarded element (RFC 7239 §4, §6: an IPv6 node and a non-token value are quoted). */
function forwardedElement(peer: string, host: string | undefined, proto: string): string {
  const node = peer.includes(':') ? `"[${peer}]"` : peer;
  const hostPart = host === undefined ? '' : `;host=${TOKEN.test(host) ? host : `"${host.replace(/[\\"]/g, (c) => `\\${c}`)}"`}`;
  return `for=${node}${hostPart};proto=${proto}`;
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
