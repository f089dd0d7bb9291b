import type { OutgoingHttpHeaders } from 'node:http';
import { call, type Reply } from './http-call.js';
import { assertConformsToOpenApi } from './openapi-conformance.js';

/** A signed-in portal session as raw HTTP sees it. */
export interface PortalSession {
  cookie: string;
  csrf: string;
  /** The cookie's value (the session id). */
  id: string;
  setCookie: string;
}

export interface PortalCallOptions {
  session?: PortalSession;
  /** `Origin` to send; defaults to the gateway's own. `null` sends none. */
  origin?: string | null;
  csrf?: string | null;
  json?: unknown;
  headers?: OutgoingHttpHeaders;
}

/** Talks to `{prefix}/ui/api/...` the way the page does, or the way an attacker would. */
export class PortalClient {
  constructor(readonly base: string, readonly prefix = '/auth') {}

  get origin(): string {
    return this.base;
  }

  async request(method: string, path: string, o: PortalCallOptions = {}): Promise<Reply> {
    const headers: OutgoingHttpHeaders = { ...o.headers };
    const origin = o.origin === undefined ? this.origin : o.origin;
    if (origin !== null) headers.origin = origin;
    if (o.session) headers.cookie = o.session.cookie;
    const csrf = o.csrf === undefined ? o.session?.csrf : o.csrf;
    if (csrf !== undefined && csrf !== null) headers['x-csrf-token'] = csrf;
    let body: string | undefined;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers['content-type'] = 'application/json';
    }
    const reply = await call(this.base, `${this.prefix}/ui/api/${path}`, { method, headers, body });
    // Every portal API answer the suites receive is checked against {prefix}/openapi.json.
    assertConformsToOpenApi(method, `${this.prefix}/ui/api/${path}`, reply);
    return reply;
  }

  async signIn(login: string, password: string, o: PortalCallOptions = {}): Promise<PortalSession> {
    const r = await this.request('POST', 'session', { ...o, json: { login, password } });
    if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${r.text}`);
    const setCookie = String(r.headers['set-cookie']?.[0] ?? '');
    const pair = setCookie.split(';')[0]!;
    return { cookie: pair, id: pair.slice(pair.indexOf('=') + 1), csrf: r.json<{ csrfToken: string }>().csrfToken, setCookie };
  }
}
