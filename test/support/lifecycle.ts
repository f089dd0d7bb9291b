import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Clock } from '../../src/clock.js';
import type { Timers } from '../../src/gateway/housekeeping.js';
import type { MasterKey } from '../../src/secrets/master-key.js';
import type { Store } from '../../src/store/types.js';
import { hashPassword } from '../../src/users/password-hash.js';
import { basic, call, type Reply } from './http-call.js';
import { assertConformsToOpenApi } from './openapi-conformance.js';
import { startGateway, type TestGateway } from './start-gateway.js';

export interface DemoUser {
  login: string;
  password: string;
  userId: string;
  companyId: string;
  roles: string[];
}

/** The cast of the lifecycle suite: two companies, each with a manager and users. */
export const USERS = {
  manager: { login: 'maria@acme.example', password: 'maria-Pw-1!', userId: 'u-1', companyId: 'acme', roles: ['portfolioManager'] },
  alice: { login: 'alice@acme.example', password: 'alice-Pw-2!', userId: 'u-2', companyId: 'acme', roles: [] },
  bob: { login: 'bob@acme.example', password: 'bob+Pw 3%', userId: 'u-3', companyId: 'acme', roles: [] },
  globexManager: { login: 'greta@globex.example', password: 'greta-Pw-4!', userId: 'g-1', companyId: 'globex', roles: ['portfolioManager'] },
  globexUser: { login: 'gus@globex.example', password: 'gus-Pw-5!', userId: 'g-2', companyId: 'globex', roles: [] },
  /** A manager of a company the operator has not allowed (see `allowed` below). */
  initechManager: { login: 'ian@initech.example', password: 'ian-Pw-6!', userId: 'i-1', companyId: 'initech', roles: ['portfolioManager'] },
} satisfies Record<string, DemoUser>;

export const ALLOWED = ['acme', 'globex'];
export const PASS_PHRASE = 'correct horse battery staple';

let usersFile: { dir: string; path: string } | undefined;

/** Writes the users file once per test process (hashing is slow on purpose). */
export async function usersFilePath(): Promise<string> {
  if (!usersFile) {
    const dir = mkdtempSync(join(tmpdir(), 'hlgw-users-'));
    const users = await Promise.all(
      Object.values(USERS).map(async (u) => ({ login: u.login, passwordHash: await hashPassword(u.password), userId: u.userId, companyId: u.companyId, roles: u.roles })),
    );
    const path = join(dir, 'users.yaml');
    writeFileSync(path, stringify({ users }));
    usersFile = { dir, path };
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return usersFile.path;
}

export interface LifecycleOptions {
  upstreamUrl: string;
  store: Store;
  clock: Clock;
  masterKey?: MasterKey;
  config?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  timers?: Timers;
}

/** A real gateway with the file user source and the suite's users. */
export async function startLifecycleGateway(o: LifecycleOptions): Promise<LifecycleGateway> {
  const t = await startGateway({
    upstreamUrl: o.upstreamUrl, store: o.store, clock: o.clock, masterKey: o.masterKey, env: o.env, timers: o.timers,
    config: { users: { source: 'file', file: await usersFilePath() }, portfolios: { allowed: ALLOWED }, ...o.config },
  });
  return new LifecycleGateway(t);
}

export interface CallOptions {
  as?: DemoUser;
  bearer?: string;
  authorization?: string;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

/** HTTP helpers speaking to the real gateway. */
export class LifecycleGateway {
  constructor(readonly t: TestGateway) {}

  get url(): string {
    return this.t.url;
  }

  async request(method: string, path: string, o: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.as) headers.authorization = basic(o.as.login, o.as.password);
    if (o.bearer) headers.authorization = `Bearer ${o.bearer}`;
    if (o.authorization) headers.authorization = o.authorization;
    let body: string | undefined;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers['content-type'] = 'application/json';
    } else if (o.form) {
      body = new URLSearchParams(o.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const reply = await call(this.t.url, path, { method, headers, body });
    // Every /auth answer the suites receive is checked against {prefix}/openapi.json.
    assertConformsToOpenApi(method, path, reply);
    return reply;
  }

  setPolicy(as: DemoUser, policy: Record<string, unknown>, companyId = as.companyId): Promise<Reply> {
    return this.request('PUT', `/auth/portfolios/${companyId}/token-policy`, { as, json: policy });
  }

  async enable(as: DemoUser, durationMinutes = 60): Promise<void> {
    const r = await this.setPolicy(as, { enabled: true, passphrase: PASS_PHRASE, durationMinutes });
    if (r.status !== 200) throw new Error(`enable failed: ${r.status} ${r.text}`);
  }

  /** Issues a token for `as`; throws unless 200. */
  async issue(as: DemoUser, validity?: number): Promise<{ access_token: string; token_id: string; expires_in: number; expires_at: string }> {
    const q = validity === undefined ? '' : `?validity=${validity}`;
    const r = await this.request('POST', `/auth/oauth/authorize${q}`, { as });
    if (r.status !== 200) throw new Error(`issue failed: ${r.status} ${r.text}`);
    return r.json();
  }

  /** A request through the proxy path with a Bearer token. */
  useToken(token: string, path = '/WS2/domains'): Promise<Reply> {
    return this.request('GET', path, { bearer: token });
  }

  close(): Promise<void> {
    return this.t.close();
  }
}
