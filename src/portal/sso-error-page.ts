import type { ServerResponse } from 'node:http';
import { ERROR_SPECS } from '../http/error-responses.js';
import type { GatewayError } from '../errors.js';
import { SECURITY_HEADERS } from './security-headers.js';

/**
 * The page a refused SSO sign-in lands on: the browser arrived by a redirect from the identity
 * provider, so a JSON body would help nobody. One sentence of reason (public: it names the check,
 * never a value), and a link back to the sign-in page. Nothing was created.
 */
export function sendSsoErrorPage(res: ServerResponse, err: GatewayError, signInUrl: string, extra: Record<string, string>): void {
  const spec = ERROR_SPECS[err.code];
  const reason = err.code === 'sso_failed' ? err.detail ?? spec.description : spec.description;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>Sign-in refused</title><link rel="stylesheet" href="${escape(signInUrl)}style.css"></head>
<body><main><h1>Sign-in refused</h1>
<p role="alert">${escape(reason)}.</p>
<p>Nothing was created: no session, no token. <a href="${escape(signInUrl)}">Back to the sign-in page</a></p>
</main></body></html>
`;
  const body = Buffer.from(html);
  res.writeHead(spec.status, { ...SECURITY_HEADERS, ...extra, 'content-type': 'text/html; charset=utf-8', 'content-length': String(body.length) });
  res.end(body);
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
