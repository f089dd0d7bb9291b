import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayProcess } from '../support/gateway-process.js';
import { basic, call } from '../support/http-call.js';
import { USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { RedisServer } from '../support/redis-server.js';
import { lacks } from '../support/requires.js';

const WORKERS = 4;
const ATTEMPTS = 60;

/**
 * `server.workers: 4`: node:cluster spreads the connections over the workers, and every worker
 * must draw from the same failed-login budget (through the store), not one budget each.
 */
describe.each((['sqlite', 'redis'] as const).filter((k) => k !== 'redis' || !lacks('redis-server')))('failed-login limits with server.workers and %s', (kind) => {
  const redis = new RedisServer();
  const upstream = new RecordingUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-login-workers-'));
  let g: GatewayProcess;

  beforeAll(async () => {
    await upstream.start();
    if (kind === 'redis') await redis.start();
    const store = kind === 'redis' ? { type: 'redis', url: redis.url } : { type: 'sqlite', path: join(dir, 'hlgw.db') };
    g = await GatewayProcess.start(`login-workers-${kind}`, { server: { workers: WORKERS }, upstream: { url: upstream.url }, store });
  });

  afterAll(async () => {
    await g?.stop();
    await Promise.allSettled([redis.stop(), upstream.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${ATTEMPTS} concurrent wrong passwords on fresh connections: at most 10 password checks in total`, async () => {
    const answers = await Promise.all(
      Array.from({ length: ATTEMPTS }, (_, i) => call(g.url, '/auth/tokens', { headers: { authorization: basic(USERS.alice.login, `guess-${i}`) } })),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(ATTEMPTS - 10);
    // And sequentially on fresh connections (each lands on another worker): still refused.
    for (let i = 0; i < 2 * WORKERS; i++) {
      expect((await call(g.url, '/auth/tokens', { headers: { authorization: basic(USERS.alice.login, USERS.alice.password) } })).status).toBe(429);
    }
    // Another user behind the same address is not locked out.
    expect((await g.request('GET', '/auth/tokens', { as: USERS.bob })).status).toBe(200);
  });
});
