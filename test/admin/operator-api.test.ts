import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { registerLifecycleCommands } from '../../src/cli/lifecycle-commands.js';
import { parseConfig } from '../../src/config/load.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { hashPassword } from '../../src/users/password-hash.js';
import { FakeClock } from '../support/fake-clock.js';
import { call } from '../support/http-call.js';
import { LifecycleGateway, startLifecycleGateway, USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway } from '../support/start-gateway.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

const SECRET = 'operator-secret-0123456789-abcdefghij';

/** Runs `hlgw <args>` in-process. */
async function hlgw(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  let out = '';
  const io: CliIo = { env, interactive: false, out: (t) => void (out += t), err: () => undefined, readSecret: () => Promise.reject(new Error('no stdin')) };
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerLifecycleCommands(program, io);
  await program.parseAsync(['node', 'hlgw', ...args]);
  return out;
}

describe('portfolios.allowed: the default is deny', () => {
  it('a config that does not say allows nobody', () => {
    expect(parseConfig({}, '<test>', {}).portfolios.allowed).toEqual([]);
  });
});

describe.each(STORE_FACTORIES)('operator API on the admin port ($name store)', (factory) => {
  const upstream = new RecordingUpstream();
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let g: LifecycleGateway;
  let admin: string;
  const op = (method: string, path: string, secret = SECRET) => call(admin, path, { method, headers: { authorization: `Bearer ${secret}` } });
  const env = () => ({ HLGW_ADMIN_URL: admin, HLGW_OPERATOR_TOKEN: SECRET });

  beforeAll(async () => {
    await upstream.start();
    fresh = await freshStore(factory);
    g = await startLifecycleGateway({
      upstreamUrl: upstream.url, store: fresh.store, clock: new FakeClock(),
      config: { admin: { host: '127.0.0.1', port: 0, operatorToken: { fromEnv: 'OP_SECRET' } } },
      env: { OP_SECRET: SECRET },
    });
    admin = g.t.admin;
  });
  afterAll(async () => {
    await g.close();
    await fresh.close();
    await upstream.stop();
  });

  it.each([
    ['no credential', undefined],
    ['a wrong secret', 'Bearer operator-secret-0123456789-abcdefghiJ'],
    ['Basic', 'Basic b3BlcmF0b3I6eA=='],
  ])('%s → 401 with a Bearer challenge, nothing changes', async (_what, authorization) => {
    const r = await call(admin, '/portfolios/initech/allowed', { method: 'PUT', headers: authorization ? { authorization } : {} });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="hlgw-operator"');
    expect((await op('GET', '/portfolios/initech/allowed')).json()).toEqual({ companyId: 'initech', allowed: false, source: 'config' });
  });

  it('allow: a company outside the seed list may then switch tokens on (hlgw portfolios allow)', async () => {
    expect((await g.setPolicy(USERS.initechManager, { enabled: false })).status).toBe(403);
    expect(await hlgw(['portfolios', 'allow', 'initech'], env())).toBe('allowed initech\n');
    expect((await op('GET', '/portfolios/initech/allowed')).json()).toEqual({ companyId: 'initech', allowed: true, source: 'operator' });
    await g.enable(USERS.initechManager);
    const list = await hlgw(['portfolios', 'list'], env());
    expect(list).toMatch(/^PORTFOLIO\s+ALLOWED\s+DECIDED BY/);
    expect(list).toMatch(/initech\s+yes\s+operator/);
    expect(list).toMatch(/acme\s+yes\s+config/);
  });

  it('deny: its tokens stop at once, list as denied, and stay void when allowed again; both audited', async () => {
    await g.enable(USERS.manager);
    const t = await g.issue(USERS.alice);
    expect((await g.useToken(t.access_token)).status).toBe(200);

    expect(await hlgw(['portfolios', 'deny', 'acme'], env())).toContain('denied acme');
    // RFC 6750 §3.1: a token no longer valid is 401 invalid_token; its own code says why.
    const refused = await g.useToken(t.access_token);
    expect(refused.status).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'token_portfolio_denied' });
    expect(refused.headers['www-authenticate']).toContain('error_description="its portfolio was denied by the gateway operator"');
    expect((await g.request('POST', '/auth/oauth/authorize', { as: USERS.alice })).json()).toMatchObject({ code: 'portfolio_not_allowed' });

    expect((await op('PUT', '/portfolios/acme/allowed')).status).toBe(200);
    expect((await g.useToken(t.access_token)).status).toBe(401);
    const listed = (await g.request('GET', '/auth/tokens', { as: USERS.manager })).json<{ tokens: { token_id: string; revoked_reason: string }[] }>();
    expect(listed.tokens.find((x) => x.token_id === t.token_id)?.revoked_reason).toBe('denied');
    const audit = (await g.request('GET', '/auth/portfolios/acme/audit', { as: USERS.manager })).json<{ events: { action: string; actor: string }[] }>();
    expect(audit.events.slice(0, 2)).toEqual([
      expect.objectContaining({ action: 'portfolio.allow', actor: 'operator' }),
      expect.objectContaining({ action: 'portfolio.deny', actor: 'operator' }),
    ]);
  });

  it('bad ids and methods are refused with the gateway\'s error shape', async () => {
    expect((await op('PUT', '/portfolios/a%20b/allowed')).json()).toMatchObject({ code: 'validation_failed' });
    expect((await op('POST', '/portfolios/acme/allowed')).status).toBe(405);
    await expect(hlgw(['portfolios', 'allow', 'acme'], { HLGW_ADMIN_URL: admin, HLGW_OPERATOR_TOKEN: 'wrong' })).rejects.toThrow(/^HTTP 401 from http:\/\/127\.0\.0\.1:\d+\/portfolios\/acme\/allowed/);
  });
});

describe('operator API off unless configured', () => {
  it('404, and the secret must be long enough', async () => {
    const up = await new RecordingUpstream().start();
    const fresh = await freshStore(STORE_FACTORIES[0]!);
    const g = await startLifecycleGateway({ upstreamUrl: up.url, store: fresh.store, clock: new FakeClock() });
    try {
      expect((await call(g.t.admin, '/portfolios/acme/allowed', { headers: { authorization: `Bearer ${SECRET}` } })).status).toBe(404);
      expect((await call(g.t.admin, '/portfolios/acme/allowed', { method: 'PUT', headers: { authorization: `Bearer ${SECRET}` } })).status).toBe(405);
      await expect(startLifecycleGateway({ upstreamUrl: up.url, store: fresh.store, clock: new FakeClock(),
        config: { admin: { host: '127.0.0.1', port: 0, operatorToken: { fromEnv: 'OP_SECRET' } } }, env: { OP_SECRET: 'short' } })).rejects.toThrow('at least 32 characters');
    } finally {
      await g.close();
      await fresh.close();
      await up.stop();
    }
  });
});

/**
 * Access is decided per portfolio root (TokenState reads a company's root). Allow or deny of a
 * company below a root would be stored, audited and answered 200, yet change nothing: refused.
 */
describe('operator allow/deny of a company that is not a portfolio root', () => {
  const upstream = new RecordingUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-op-tree-'));
  const store = new SqliteStore(':memory:');
  const root = { login: 'root@h.example', password: 'root-Pw-1!', userId: 'h-1', companyId: 'holding', roles: ['portfolioManager'] };
  const sub = { login: 'eu@h.example', password: 'eu-Pw-3!', userId: 'e-2', companyId: 'emea', roles: [] };
  let g: LifecycleGateway;
  const op = (method: string, path: string) => call(g.t.admin, path, { method, headers: { authorization: `Bearer ${SECRET}` } });

  beforeAll(async () => {
    await upstream.start();
    const users = await Promise.all([root, sub].map(async ({ password, ...u }) => ({ ...u, passwordHash: await hashPassword(password) })));
    writeFileSync(join(dir, 'users.yaml'), stringify({ companies: [{ id: 'holding', name: 'Holding' }, { id: 'emea', name: 'EMEA', parent: 'holding' }], users }));
    g = new LifecycleGateway(await startGateway({
      upstreamUrl: upstream.url, store, clock: new FakeClock(),
      config: {
        users: { source: 'file', file: join(dir, 'users.yaml') }, portfolios: { allowed: ['holding'] },
        admin: { host: '127.0.0.1', port: 0, operatorToken: { fromEnv: 'OP_SECRET' } },
      },
      env: { OP_SECRET: SECRET },
    }));
  });
  afterAll(async () => {
    await g?.close();
    await store.close();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([['DELETE', 'deny'], ['PUT', 'allow']])('%s (%s) → 409 naming the root; nothing stored, audited or changed', async (method, verb) => {
    await g.enable(root);
    const t = await g.issue(sub);
    expect((await g.useToken(t.access_token)).status).toBe(200);

    const r = await op(method, '/portfolios/emea/allowed');
    expect(r.status).toBe(409);
    expect(r.json()).toMatchObject({ code: 'company_not_root', error_description: expect.stringContaining('holding') });
    await expect(hlgw(['portfolios', verb, 'emea'], { HLGW_ADMIN_URL: g.t.admin, HLGW_OPERATOR_TOKEN: SECRET })).rejects.toThrow(/HTTP 409 .*holding.*company_not_root/);

    expect(await store.listAccess()).toEqual([]);
    expect((await op('GET', '/portfolios/holding/allowed')).json()).toEqual({ companyId: 'holding', allowed: true, source: 'config' });
    expect((await g.useToken(t.access_token)).status).toBe(200);
    const audit = (await g.request('GET', '/auth/portfolios/holding/audit?limit=200', { as: root })).json<{ events: { action: string }[] }>();
    expect(audit.events.filter((e) => /^portfolio\.(allow|deny)$/.test(e.action))).toEqual([]);
  });
});
