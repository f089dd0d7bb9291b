import type { ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from './security-headers.js';

export function sendPortalJson(res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>): void {
  const buf = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...SECURITY_HEADERS, ...extra, 'content-type': 'application/json; charset=utf-8', 'content-length': String(buf.length) });
  res.end(buf);
}

/** 204 No Content, with the portal's headers. */
export function sendPortalEmpty(res: ServerResponse): void {
  res.writeHead(204, SECURITY_HEADERS);
  res.end();
}

export function sendAsset(res: ServerResponse, type: string, body: Buffer, head: boolean): void {
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(body.length) });
  res.end(head ? undefined : body);
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(308, { ...SECURITY_HEADERS, location, 'content-length': '0' });
  res.end();
}
