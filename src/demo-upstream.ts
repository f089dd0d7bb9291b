import { createServer, type Server } from 'node:http';
import type { GatewayConfig } from './config/schema.js';

/** What a proxy in front adds about the original request (RFC 7239 and the X-Forwarded-* family): not identity. */
const FORWARDED_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto'] as const;

/**
 * A tiny echo API standing in for Highlight when `demoUpstream.enabled` is true, so a newcomer
 * sees the whole flow with nothing else running. It answers every request with what it got:
 * method, path, query, the identity headers (`identity`: only the headers the gateway asserts an
 * identity with), the forwarded headers in their own field, and the Authorization *scheme* (never
 * its value); for Basic also the user id in it (never the password), so `identity.upstream: basic`
 * shows that a Bearer request arrives as the user's own Basic credential.
 */
export function createDemoUpstream(identityConfig: GatewayConfig['identity']): Server {
  const identityHeaderNames = [...Object.values(identityConfig.headers), identityConfig.assertion.header];
  return createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://demo');
      const identity: Record<string, string> = {};
      for (const name of identityHeaderNames) copyHeader(req.headers, name, identity);
      const forwarded: Record<string, string> = {};
      for (const name of FORWARDED_HEADERS) copyHeader(req.headers, name, forwarded);
      const auth = req.headers.authorization;
      const body = JSON.stringify({
        upstream: 'hlgw demo echo API',
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        authorization: auth ? `${auth.split(' ')[0]} (value not shown)` : null,
        ...(basicUser(auth) === undefined ? {} : { basicUser: basicUser(auth) }),
        identity,
        requestId: req.headers['x-request-id'] ?? null,
        forwarded,
        bodyBytes: bytes,
      }, null, 2);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(body + '\n');
    });
  });
}

/** The user id of a Basic credential (RFC 7617 §2: up to the first colon); never the password. */
function basicUser(auth: string | undefined): string | undefined {
  const m = /^basic +([A-Za-z0-9+/]+=*)$/i.exec(auth ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(0, colon);
}

function copyHeader(headers: NodeJS.Dict<string | string[]>, name: string, into: Record<string, string>): void {
  const v = headers[name.toLowerCase()];
  if (typeof v === 'string') into[name.toLowerCase()] = v;
}
