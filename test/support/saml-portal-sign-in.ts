import { call, type Reply } from './http-call.js';
import type { PortalSession } from './portal-client.js';
import { TestSamlIdp } from './saml-idp.js';

/**
 * A SAML sign-in to the portal as raw HTTP sees it: start, let `idp` answer for `account`, then
 * the ACS's same-origin hop. `session` is the portal session it opened (with its CSRF token), or
 * undefined when the sign-in was refused (then `reply` is the refusal page).
 */
export async function samlPortalSignIn(gatewayUrl: string, provider: string, idp: TestSamlIdp, account: string, prefix = '/auth'): Promise<{ reply: Reply; session?: PortalSession }> {
  const started = await call(gatewayUrl, `${prefix}/ui/sso/${provider}/start`);
  const preSession = String(([] as string[]).concat(started.headers['set-cookie'] ?? [])[0]).split(';')[0]!;
  const response = idp.respond(TestSamlIdp.readRequest(new URL(started.headers.location!)), account);
  const reply = await call(gatewayUrl, `${prefix}/ui/sso/${provider}/acs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gatewayUrl, cookie: preSession },
    body: new URLSearchParams({ SAMLResponse: response }).toString(),
  });
  const setCookie = ([] as string[]).concat(reply.headers['set-cookie'] ?? []).find((c) => /^(__Host-)?hlgw_session=[^;]/.test(c));
  if (reply.status !== 303 || setCookie === undefined) return { reply };
  const cookie = setCookie.split(';')[0]!;
  const view = await call(gatewayUrl, `${prefix}/ui/api/session`, { headers: { cookie } });
  return { reply, session: { cookie, id: cookie.slice(cookie.indexOf('=') + 1), csrf: view.json<{ csrfToken: string }>().csrfToken, setCookie } };
}
