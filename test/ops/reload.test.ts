import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hashPassword } from '../../src/users/password-hash.js';
import { GatewayProcess, eventually } from '../support/gateway-process.js';
import { basic } from '../support/http-call.js';
import { USERS, type DemoUser } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';

const CAROL: DemoUser = { login: 'carol@acme.example', password: 'carol-Pw-7!', userId: 'u-7', companyId: 'acme', roles: [] };

/** Keep-alive load against the proxy until stopped (or 60 s, whatever happens): counts what did not come back 200. */
function load(url: string, headers: Record<string, string>) {
  const pool = new Pool(url, { connections: 4, pipelining: 1 });
  const result = { ok: 0, failed: [] as string[] };
  let stop = false;
  const deadline = Date.now() + 60_000;
  const worker = async () => {
    while (!stop && Date.now() < deadline) {
      try {
        const r = await pool.request({ path: '/WS2/domains', method: 'GET', headers });
        await r.body.dump();
        if (r.statusCode === 200) result.ok++;
        else result.failed.push(`status ${r.statusCode}`);
      } catch (err) {
        result.failed.push(String(err));
      }
    }
  };
  const running = Promise.all(Array.from({ length: 4 }, worker));
  return {
    result,
    async stop() {
      stop = true;
      await running;
      await pool.close();
      return result;
    },
  };
}

describe('SIGHUP reload under load', () => {
  const upstream = new RecordingUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-reload-'));
  const usersFile = join(dir, 'users.yaml');
  let g: GatewayProcess;
  let users: Record<string, unknown>[];

  const writeUsers = (list: DemoUser[]) => writeFileSync(usersFile, stringify({ users: users.filter((u) => list.some((d) => d.login === u.login)) }));
  const reloads = async (result: 'success' | 'failure') => {
    const m = /^hlgw_config_reloads_total\{result="(\w+)"\} (\d+)$/gm;
    const text = (await g.admin_('/metrics')).text;
    return Number([...text.matchAll(m)].find((x) => x[1] === result)?.[2] ?? NaN);
  };
  const hash = async () => Number(/^hlgw_config_hash (\S+)$/m.exec((await g.admin_('/metrics')).text)?.[1]);
  const reloadAndWait = async (changes: Parameters<GatewayProcess['reload']>[0], result: 'success' | 'failure' = 'success') => {
    const before = await reloads(result);
    g.reload(changes);
    await eventually(`reload ${result} counted`, async () => (await reloads(result)) === before + 1);
  };

  beforeAll(async () => {
    users = await Promise.all([USERS.manager, USERS.alice, CAROL].map(async (u) => ({ login: u.login, passwordHash: await hashPassword(u.password), userId: u.userId, companyId: u.companyId, roles: u.roles })));
    writeUsers([USERS.manager, USERS.alice]);
    await upstream.start();
    g = await GatewayProcess.start('reload', {
      upstream: { url: upstream.url },
      store: { type: 'sqlite', path: join(dir, 'hlgw.db') },
      users: { source: 'file', file: usersFile },
    });
    await g.enable();
  });
  afterAll(async () => {
    await g?.stop();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies users, portfolios.allowed, log settings and failed-login limits without one failed request', async () => {
    const token = (await g.issue(USERS.manager)).access_token;
    const basicLoad = load(g.url, { authorization: basic(USERS.alice.login, USERS.alice.password) });
    const bearerLoad = load(g.url, { authorization: `Bearer ${token}` });
    const hash0 = await hash();

    // A user added to the users file can log in after the reload, not before.
    expect((await g.request('POST', '/auth/oauth/authorize', { as: CAROL })).status).toBe(401);
    writeUsers([USERS.manager, USERS.alice, CAROL]);
    await reloadAndWait({});
    const carol = await g.request('POST', '/auth/oauth/authorize', { as: CAROL });
    expect(carol.status).toBe(200);
    // Removed again: her token is revoked by the reload (src/lifecycle/revoke-removed-users.ts).
    writeUsers([USERS.manager, USERS.alice]);
    await reloadAndWait({});
    expect((await g.useToken(carol.json<{ access_token: string }>().access_token)).status).toBe(401);
    writeUsers([USERS.manager, USERS.alice, CAROL]);
    await reloadAndWait({});

    // Access log and log level.
    await reloadAndWait({ log: { level: 'warn', access: 'all' } });
    await eventually('access lines in the log', async () => /"log":"access"/.test(g.logs));
    expect(await hash()).not.toBe(hash0);

    // Failed-login limits: one failure per login now spends the budget.
    await reloadAndWait({ endpoints: { failedLogins: { perLogin: { maxFailures: 1, windowSeconds: 600 } } } });
    expect((await g.request('GET', '/auth/tokens', { as: { ...CAROL, password: 'wrong-password' } })).status).toBe(401);
    expect((await g.request('GET', '/auth/tokens', { as: CAROL })).status).toBe(429);

    // The allow-list, checked on every request: a portfolio no longer allowed is refused at once.
    const aliceToken = (await g.issue(USERS.alice)).access_token;
    await reloadAndWait({ portfolios: { allowed: ['globex'] } });
    expect((await g.useToken(aliceToken)).json()).toMatchObject({ code: 'token_wrong_portfolio' });
    await reloadAndWait({ portfolios: { allowed: ['acme', 'globex'] } });
    const newest = (await g.issue(USERS.alice)).access_token;
    expect((await g.useToken(newest)).status).toBe(200);

    const b = await basicLoad.stop();
    // The Bearer load's portfolio was off the allow-list for a moment (401 token_wrong_portfolio, as asked).
    const t = await bearerLoad.stop();
    expect(b.failed).toEqual([]);
    expect(b.ok).toBeGreaterThan(0);
    expect(t.failed.filter((f) => !f.startsWith('status 401'))).toEqual([]);
  });

  it('refuses an invalid config with one line naming the key and the file, and keeps running on the old one', async () => {
    const load1 = load(g.url, { authorization: basic(USERS.alice.login, USERS.alice.password) });
    const hashBefore = await hash();
    const logBefore = g.logs.length;
    await reloadAndWait({ log: { level: 'loud' } }, 'failure');
    await eventually('the refusal is logged', async () => g.logs.slice(logBefore).includes('config reload refused'));
    const lines = g.logs.slice(logBefore).split('\n').filter((l) => l.includes('config reload refused'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('log.level');
    expect(lines[0]).toContain(g.configFile);
    expect(await hash()).toBe(hashBefore);
    expect((await g.admin_('/metrics')).text).toMatch(/^hlgw_config_last_reload_successful 0$/m);
    // Still the running config: the access log is still on.
    const accessBefore = (g.logs.match(/"log":"access"/g) ?? []).length;
    expect((await g.useBasic()).status).toBe(200);
    await eventually('still logging access', async () => (g.logs.match(/"log":"access"/g) ?? []).length > accessBefore);

    // A YAML error is refused the same way.
    await reloadAndWait({ raw: 'log: [unclosed\n' }, 'failure');
    const r = await load1.stop();
    expect(r.failed).toEqual([]);
    expect(r.ok).toBeGreaterThan(0);
  });

  it('says that the users file was re-read, also when no key of the config changed', async () => {
    const reloadedLines = () => g.logs.split('\n').filter((l) => l.includes('"msg":"config reloaded'));
    // The line is at info: turn info on first (this reload's own line already says it).
    await reloadAndWait({ log: { level: 'info' } });
    await eventually('the reload is logged', async () => reloadedLines().length > 0);
    const before = reloadedLines().length;
    // Only the users file changed: no config key is in `applied`, the line still says what was done.
    writeUsers([USERS.manager, USERS.alice]);
    await reloadAndWait({});
    await eventually('the second reload is logged', async () => reloadedLines().length > before);
    const line = JSON.parse(reloadedLines().at(-1)!) as { applied: string[]; usersFile?: string; msg: string };
    expect(line).toMatchObject({ applied: [], usersFile: 'reloaded', msg: 'config reloaded (users file re-read)' });
  });
});
