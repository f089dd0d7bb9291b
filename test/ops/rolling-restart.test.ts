import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/schema.js';
import { GatewayProcess, eventually } from '../support/gateway-process.js';
import { Haproxy } from '../support/haproxy.js';
import { basic } from '../support/http-call.js';
import { USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { RedisServer } from '../support/redis-server.js';
import { lacks } from '../support/requires.js';

/** The load's hard bound, whatever happens to the restarts. */
const LOAD_MAX_MS = 150_000;
const CONNECTIONS = 4;
/** Between two requests of one loop: a bounded load that leaves the 2-CPU CI machine room for health checks. */
const PAUSE_MS = 5;
/** Answers a server must have given (haproxy's count) before it counts as having served in a phase. */
const SERVED = 20;
const KINDS = ['GET basic', 'GET bearer', 'POST basic', 'POST bearer'] as const;
type Kind = (typeof KINDS)[number];

/**
 * Keep-alive load through haproxy for the length of the restarts: mixed Basic and Bearer, GET and
 * POST with a body. Every answer must be the upstream's 200; anything else (another status, a
 * socket error) is a failure, kept with what it was.
 */
function startLoad(url: string, token: string) {
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  const ok = new Map<Kind, number>(KINDS.map((k) => [k, 0]));
  const failed: string[] = [];
  const postsAnswered = new Set<string>();
  let running = true;
  const deadline = Date.now() + LOAD_MAX_MS;
  let seq = 0;
  const loop = async (n: number) => {
    for (let i = n; running && Date.now() < deadline; i++) {
      const kind = KINDS[i % KINDS.length]!;
      const id = `${n}-${++seq}`;
      const post = kind.startsWith('POST');
      const headers: Record<string, string> = {
        authorization: kind.endsWith('basic') ? basic(USERS.alice.login, USERS.alice.password) : `Bearer ${token}`,
        // A client's own forwarding header: haproxy, the edge, must drop it.
        'x-forwarded-for': '203.0.113.9',
        ...(post ? { 'content-type': 'application/json' } : {}),
      };
      try {
        const r = await pool.request({ path: `/WS2/load/${id}`, method: post ? 'POST' : 'GET', headers, body: post ? JSON.stringify({ id }) : undefined });
        const text = await r.body.text();
        if (r.statusCode === 200 && text === '{"ok":true}') {
          ok.set(kind, ok.get(kind)! + 1);
          if (post) postsAnswered.add(id);
        } else failed.push(`${kind}: ${r.statusCode} ${text.slice(0, 200)}`);
      } catch (err) {
        failed.push(`${kind}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      }
      await sleep(PAUSE_MS);
    }
  };
  const loops = Promise.all(Array.from({ length: CONNECTIONS }, (_, n) => loop(n)));
  return {
    ok, failed, postsAnswered,
    async stop() {
      running = false;
      await loops;
      await pool.close();
    },
  };
}

/**
 * This machine's ephemeral range (Linux default 32768-60999; some containers widen it): ports the
 * OS hands to port-0 listeners and outgoing connections.
 */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch { /* not Linux: assume the default */ }
  return [32_768, 60_999];
}

const taken = new Set<number>();

/**
 * A free port outside the ephemeral range when there is room for one: an instance's port stays
 * free while it restarts, and no other suite's port-0 listener or outgoing connection is given it
 * meanwhile. Never the same port twice in this file.
 */
async function stablePort(): Promise<number> {
  const [low, high] = ephemeralRange();
  const [from, to] = low - 10_000 >= 4_000 ? [10_000, low - 1] : 65_535 - high >= 4_000 ? [high + 1, 65_535] : [10_000, 65_535];
  for (;;) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) {
      taken.add(port);
      return port;
    }
  }
}

/** A bind that lost the race for its port (another process took it after the check): try another. */
const lostPortRace = (err: unknown) => /EADDRINUSE|address already in use/i.test(String(err));

describe.skipIf(lacks('haproxy') || lacks('redis-server'))('rolling restart behind haproxy (deploy/haproxy/hlgw.cfg)', () => {
  const redis = new RedisServer();
  const upstream = new RecordingUpstream();
  const ports = { a: 0, aAdmin: 0, b: 0, bAdmin: 0, lb: 0 };
  const gateways = new Map<'a' | 'b', GatewayProcess>();
  let haproxy: Haproxy;

  const configOf = (name: 'a' | 'b') => ({
    upstream: { url: upstream.url },
    store: { type: 'redis', url: redis.url },
    // The product's default drain wait, with the shipped haproxy config's checks.
    server: { port: ports[name], trustedProxies: ['127.0.0.1'], shutdownDelaySeconds: DEFAULTS.shutdownDelaySeconds },
    admin: { host: '127.0.0.1', port: name === 'a' ? ports.aAdmin : ports.bAdmin },
  });
  const startInstance = async (name: 'a' | 'b') => gateways.set(name, await GatewayProcess.start(name, configOf(name)));
  const server = async (name: 'a' | 'b') => (await haproxy.stat()).get(`hlgw-${name}`)!;
  const served = async (name: 'a' | 'b') => Number((await server(name)).hrsp_2xx);
  const status = async (name: 'a' | 'b') => (await server(name)).status!;

  beforeAll(async () => {
    for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await stablePort();
    await Promise.all([redis.start(), upstream.start()]);
    for (const name of ['a', 'b'] as const) {
      for (let attempt = 1; ; attempt++) {
        try {
          await startInstance(name);
          break;
        } catch (err) {
          if (attempt === 5 || !lostPortRace(err)) throw err;
          ports[name] = await stablePort();
          ports[name === 'a' ? 'aAdmin' : 'bAdmin'] = await stablePort();
        }
      }
    }
    for (let attempt = 1; ; attempt++) {
      try {
        haproxy = await new Haproxy({
          HLGW_LB_BIND: `127.0.0.1:${ports.lb}`,
          HLGW_A_ADDR: `127.0.0.1:${ports.a}`,
          HLGW_A_ADMIN_PORT: String(ports.aAdmin),
          HLGW_B_ADDR: `127.0.0.1:${ports.b}`,
          HLGW_B_ADMIN_PORT: String(ports.bAdmin),
        }).start();
        break;
      } catch (err) {
        if (attempt === 5 || !lostPortRace(err)) throw err;
        ports.lb = await stablePort();
      }
    }
  });

  afterAll(async () => {
    await haproxy?.stop();
    await Promise.allSettled([...gateways.values()].map((g) => g.stop()));
    await Promise.allSettled([redis.stop(), upstream.stop()]);
  });

  it('SIGTERM, restart, wait for UP, then the other: zero failed requests, keep-alive included', { timeout: 240_000 }, async () => {
    const a = gateways.get('a')!;
    await a.enable();
    const token = (await a.issue(USERS.alice)).access_token;
    await eventually('B accepts the token issued on A', async () => (await gateways.get('b')!.useToken(token)).status === 200);
    await eventually('haproxy sees both instances UP', async () => (await status('a')) === 'UP' && (await status('b')) === 'UP');

    const load = startLoad(`http://127.0.0.1:${ports.lb}`, token);
    const steps: string[] = [];
    try {
      const before = { a: await served('a'), b: await served('b') };
      await eventually('both instances serve before the restarts', async () => (await served('a')) >= before.a + SERVED && (await served('b')) >= before.b + SERVED, 60_000);

      for (const name of ['a', 'b'] as const) {
        const old = gateways.get(name)!;
        const stopped = old.stop(); // SIGTERM; resolves once the process has exited
        let exited = false;
        void stopped.then(() => { exited = true; });
        await eventually(`haproxy marks ${name} DOWN`, async () => (await status(name)).startsWith('DOWN'), 60_000);
        steps.push(`${name}: SIGTERM, haproxy saw it DOWN ${exited ? 'after' : 'before'} it exited`);
        await stopped;
        await startInstance(name);
        await eventually(`haproxy sees the restarted ${name} UP`, async () => (await status(name)) === 'UP', 60_000);
        const base = await served(name);
        await eventually(`the restarted ${name} serves`, async () => (await served(name)) >= base + SERVED, 60_000);
        steps.push(`${name}: restarted, UP, served again`);
      }
    } finally {
      await load.stop();
    }

    const stats = await haproxy.stat();
    const row = (n: string) => stats.get(n)!;
    const posts = upstream.requests.filter((r) => r.method === 'POST' && r.url.startsWith('/WS2/load/'));
    const postIds = posts.map((r) => (JSON.parse(r.body.toString()) as { id: string }).id);
    const counts = {
      answered: Object.fromEntries(load.ok),
      failed: load.failed.length,
      perServer: Object.fromEntries(['hlgw-a', 'hlgw-b'].map((n) => [n, {
        '2xx': row(n).hrsp_2xx, '5xx': row(n).hrsp_5xx, retries: row(n).wretr, redispatches: row(n).wredis,
        connErrors: row(n).econ, respErrors: row(n).eresp,
      }])),
      upstreamPosts: posts.length,
    };
    console.log(`rolling restart: ${steps.join('; ')}\n${JSON.stringify(counts, null, 2)}`);

    expect(load.failed, haproxy.logs.slice(-5000)).toEqual([]);
    for (const k of KINDS) expect(load.ok.get(k)).toBeGreaterThan(0);
    // Every POST answered arrived upstream exactly once: none was replayed by a retry.
    const arrived = new Set(postIds);
    expect(arrived.size).toBe(postIds.length);
    expect([...load.postsAnswered].filter((id) => !arrived.has(id))).toEqual([]);
    // haproxy was the edge: the client's own X-Forwarded-For never reached the API.
    const xff = new Set(upstream.requests.filter((r) => r.url.startsWith('/WS2/load/')).map((r) => r.headers['x-forwarded-for']));
    expect([...xff]).toEqual(['127.0.0.1, 127.0.0.1']);
  });
});
