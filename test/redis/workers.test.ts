import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { USERS } from '../support/lifecycle.js';
import { RedisServer } from '../support/redis-server.js';
import { GatewayProcess, eventually } from '../support/gateway-process.js';
import { lacks } from '../support/requires.js';

const WORKERS = 3;
const BOUND_MS = 1000;
/** Requests after the bound; each on a fresh connection, so node:cluster spreads them over the workers. */
const PROBES = 60;
const OPERATOR_SECRET = 'operator-secret-for-the-workers-suite-0123456789';

/**
 * `server.workers`: a change written by one worker (the lifecycle request lands on any of them)
 * reaches every worker within the bound, with Redis (each worker subscribes) and with SQLite
 * (through the primary).
 */
describe.each((['redis', 'sqlite'] as const).filter((k) => k !== 'redis' || !lacks('redis-server')))('server.workers with %s', (kind) => {
  const redis = new RedisServer();
  const upstream = new RecordingUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-workers-'));
  let g: GatewayProcess;

  beforeAll(async () => {
    await upstream.start();
    if (kind === 'redis') await redis.start();
    const store = kind === 'redis' ? { type: 'redis', url: redis.url } : { type: 'sqlite', path: join(dir, 'hlgw.db') };
    writeFileSync(join(dir, 'operator-token'), OPERATOR_SECRET, { mode: 0o600 });
    g = await GatewayProcess.start(`workers-${kind}`, {
      server: { workers: WORKERS }, upstream: { url: upstream.url }, store,
      admin: { host: '127.0.0.1', port: 0, operatorToken: { file: join(dir, 'operator-token') } },
    });
  });

  afterAll(async () => {
    await g?.stop();
    await Promise.allSettled([redis.stop(), upstream.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function statuses(token: string, n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await g.useToken(token)).status);
    return out;
  }

  it('a revocation reaches every worker: no request succeeds past the bound', async () => {
    await g.enable();
    const t = await g.issue(USERS.alice);
    // The policy and the token were written by some worker; after the bound every worker knows them.
    await sleep(BOUND_MS);
    expect(await statuses(t.access_token, PROBES)).toEqual(Array(PROBES).fill(200));

    await g.revoke(t.token_id);
    await sleep(BOUND_MS);
    expect(await statuses(t.access_token, PROBES)).toEqual(Array(PROBES).fill(401));
  });

  it('a policy change reaches every worker: disable, then every request is refused', async () => {
    const t = await g.issue(USERS.bob);
    await sleep(BOUND_MS);
    expect(await statuses(t.access_token, 10)).toEqual(Array(10).fill(200));
    await g.setPolicy(USERS.manager, { enabled: false });
    await sleep(BOUND_MS);
    expect(await statuses(t.access_token, PROBES)).toEqual(Array(PROBES).fill(401));
    await g.setPolicy(USERS.manager, { enabled: true });
  });

  it('the operator API answers on the primary\'s admin port, and its decision reaches every worker', async () => {
    const op = (method: string, path: string, secret = OPERATOR_SECRET) => call(g.admin, path, { method, headers: { authorization: `Bearer ${secret}` } });
    // The worker checks the secret: a wrong one is refused through the relay too.
    const refused = await op('DELETE', '/portfolios/globex/allowed', `${OPERATOR_SECRET}x`);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="hlgw-operator"');
    const authorizeGlobex = async () => (await g.request('POST', '/auth/oauth/authorize', { as: USERS.globexUser })).json<{ code: string }>().code;
    expect(await authorizeGlobex()).toBe('portfolio_not_enabled'); // allowed, no policy yet

    const denied = await op('DELETE', '/portfolios/globex/allowed');
    expect(denied.status).toBe(200);
    expect(denied.json()).toEqual({ companyId: 'globex', allowed: false, source: 'operator' });
    await sleep(BOUND_MS);
    // Every worker follows it (each authorize below lands on any of them).
    const codes = new Set<string>();
    for (let i = 0; i < 12; i++) codes.add(await authorizeGlobex());
    expect([...codes]).toEqual(['portfolio_not_allowed']);
    expect((await op('GET', '/portfolios')).json()).toMatchObject({ portfolios: expect.arrayContaining([{ companyId: 'globex', allowed: false, source: 'operator' }]) });
    expect((await op('PUT', '/portfolios/globex/allowed')).status).toBe(200);
  });

  it('a leak report through the operator API on the primary revokes the token on every worker', async () => {
    const t = await g.issue(USERS.alice);
    await eventually('every worker accepts the token', async () => (await statuses(t.access_token, 10)).every((s) => s === 200));
    const r = await call(g.admin, '/tokens/leaked', {
      method: 'POST', headers: { authorization: `Bearer ${OPERATOR_SECRET}`, 'content-type': 'application/json' }, body: JSON.stringify({ tokens: [t.access_token] }),
    });
    expect(r.json()).toEqual({ results: [{ index: 0, result: 'revoked', tokenId: t.token_id }] });
    await eventually('every worker refuses the leaked token', async () => (await statuses(t.access_token, PROBES)).every((s) => s === 401));
    expect((await g.useToken(t.access_token)).json().code).toBe('token_revoked');
  });

  it('the primary serves /readyz for all workers and the summed /metrics', async () => {
    const ready = await g.admin_('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json().workers).toBe(WORKERS);
    const m = (await g.admin_('/metrics')).text;
    expect(m).toMatch(/^hlgw_requests_total\{auth="bearer",outcome="forwarded",class="2xx"\} \d+/m);
    expect(m).toMatch(/^hlgw_store_up 1$/m);
  });
});
