import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { USERS } from '../support/lifecycle.js';
import { RedisServer } from '../support/redis-server.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { lacks } from '../support/requires.js';

const WORKERS = 3;
const BOUND_MS = 1000;
/** Requests after the bound; each on a fresh connection, so node:cluster spreads them over the workers. */
const PROBES = 60;

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
    g = await GatewayProcess.start(`workers-${kind}`, { server: { workers: WORKERS }, upstream: { url: upstream.url }, store });
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

  it('the primary serves /readyz for all workers and the summed /metrics', async () => {
    const ready = await g.admin_('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json().workers).toBe(WORKERS);
    const m = (await g.admin_('/metrics')).text;
    expect(m).toMatch(/^hlgw_requests_total\{auth="bearer",outcome="forwarded"\} \d+/m);
    expect(m).toMatch(/^hlgw_store_up 1$/m);
  });
});
