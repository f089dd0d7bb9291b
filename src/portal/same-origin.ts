import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.js';
import { arrivedOverTls } from './session-cookie.js';

/** Methods that change nothing: no cross-site check needed (RFC 9110 §9.2.1 safe methods). */
export function isSafeMethod(method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD';
}

/**
 * The origin a page of this gateway has: scheme (TLS or a trusted proxy's X-Forwarded-Proto)
 * and Host (or a trusted proxy's X-Forwarded-Host).
 */
function ownOrigin(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string | undefined {
  const trusted = trustedProxies.has(req.socket.remoteAddress ?? '');
  const fwdHost = trusted ? req.headers['x-forwarded-host'] : undefined;
  const host = typeof fwdHost === 'string' && fwdHost !== '' ? fwdHost.split(',')[0]!.trim() : req.headers.host;
  if (host === undefined || host === '') return undefined;
  return `${arrivedOverTls(req, trustedProxies) ? 'https' : 'http'}://${host.toLowerCase()}`;
}

/**
 * A state-changing call must come from one of our own pages: `Origin` equal to ours, or, where a
 * browser sent no Origin, `Sec-Fetch-Site: same-origin`. Neither present means not a browser
 * page of ours (curl, or an old browser): refused too. Throws `csrf_rejected`.
 */
export function requireSameOrigin(req: IncomingMessage, trustedProxies: ReadonlySet<string>): void {
  const problem = crossSiteProblem(req, trustedProxies);
  if (problem !== undefined) throw new GatewayError('csrf_rejected', problem);
}

/** Why `req` does not count as coming from one of our pages; undefined when it does. */
export function crossSiteProblem(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined) return origin.toLowerCase() === ownOrigin(req, trustedProxies) ? undefined : 'Origin is not this gateway';
  if (req.headers['sec-fetch-site'] === 'same-origin') return undefined;
  return 'a same-origin Origin header is required';
}
