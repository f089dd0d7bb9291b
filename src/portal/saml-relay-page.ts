import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from './security-headers.js';

/** The page's one script, allowed by its hash alone (CSP Level 3 hash-source). */
const SUBMIT = 'document.forms[0].submit();';
const SUBMIT_HASH = createHash('sha256').update(SUBMIT).digest('base64');

/**
 * The answer to the IdP's cross-site POST to our ACS (docs/architecture/identity-sources.md, "The cross-site POST"):
 * nothing is checked or created on that hop, since the pre-session cookie (SameSite=Lax) does not
 * come with a cross-site POST. The page re-posts the same fields to the same URL from our own
 * origin, so the cookie and a same-origin `Origin` come along and the pending sign-in can be
 * checked. The CSP allows this one script by hash and form posts to ourselves only; without
 * script, a button does the same. `Referrer-Policy: same-origin`: with `no-referrer` a browser
 * sends `Origin: null` on the form POST (Fetch §3.1), which our same-origin check would refuse.
 */
export function sendSamlRelayPage(res: ServerResponse, acsPath: string, fields: Readonly<Record<string, string>>): void {
  const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`).join('');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signing in…</title></head>
<body><main><form method="post" action="${escape(acsPath)}">${inputs}<noscript><p>Your identity provider has answered.</p><button type="submit">Continue signing in</button></noscript></form>
<script>${SUBMIT}</script></main></body></html>
`;
  const body = Buffer.from(html);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-security-policy': `default-src 'none'; script-src 'sha256-${SUBMIT_HASH}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    'referrer-policy': 'same-origin',
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(body.length),
  });
  res.end(body);
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
