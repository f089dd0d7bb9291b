import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisServer } from './redis-server.js';

/**
 * Sentinel and Cluster deployments of real redis-server processes on free loopback ports, for
 * the failover tests. Timings are the small end of what Redis allows (a node is declared down
 * after 1 s), so a failover takes a few seconds; nothing here asserts on time.
 */

/** Asks one server; the connection is closed again. */
export async function ask<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** Polls until true; fails with `what` after a generous deadline (set-up steps, not bounds). */
async function until(what: string, probe: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(100);
  }
}

const info = (r: Redis, section: string) => r.info(section);

// Every server (and gateway) removes itself on exit: a deployment of six is not a leak.
process.setMaxListeners(Math.max(process.getMaxListeners(), 50));

/** One primary, one replica, three sentinels watching the primary as `name`. */
export class SentinelSet {
  readonly name = 'hlgw';
  readonly servers: RedisServer[] = [];
  readonly sentinels: RedisServer[] = [];

  async start(): Promise<this> {
    const primary = await new RedisServer().start();
    const replica = await new RedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] }).start();
    this.servers.push(primary, replica);
    const conf = [
      `sentinel monitor ${this.name} 127.0.0.1 ${primary.port} 2`,
      `sentinel down-after-milliseconds ${this.name} 1000`,
      `sentinel failover-timeout ${this.name} 3000`,
      `sentinel parallel-syncs ${this.name} 1`,
    ].join('\n');
    for (let i = 0; i < 3; i++) this.sentinels.push(new RedisServer({ sentinelConf: conf }));
    await Promise.all(this.sentinels.map((s) => s.start()));
    await until('the replica in sync', () => ask(replica.port, async (r) => /master_link_status:up/.test(await info(r, 'replication'))));
    // Each sentinel must know the replica and the two other sentinels before it can fail over.
    await until('the sentinels know each other and the replica', async () => {
      for (const s of this.sentinels) {
        const ok = await ask(s.port, async (r) => {
          const replicas = (await r.call('SENTINEL', 'REPLICAS', this.name)) as unknown[];
          const peers = (await r.call('SENTINEL', 'SENTINELS', this.name)) as unknown[];
          return replicas.length === 1 && peers.length === 2;
        });
        if (!ok) return false;
      }
      return true;
    });
    return this;
  }

  /** `host:port` of each sentinel, as `store.sentinels` lists them. */
  get sentinelAddresses(): string[] {
    return this.sentinels.map((s) => s.address);
  }

  /** The server the sentinels currently name as primary. */
  async primary(): Promise<RedisServer> {
    const [, port] = (await ask(this.sentinels[0]!.port, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name))) as [string, string];
    return this.servers.find((s) => s.port === Number(port))!;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.sentinels, ...this.servers].map((s) => s.stop()));
  }
}

/** A Redis Cluster of `primaries` primaries, each with `replicasPerPrimary` replicas, made by `redis-cli --cluster create`. */
export class ClusterSet {
  readonly nodes: RedisServer[] = [];

  constructor(private readonly primaries = 3, private readonly replicasPerPrimary = 0) {}

  async start(): Promise<this> {
    const count = this.primaries * (1 + this.replicasPerPrimary);
    for (let i = 0; i < count; i++) {
      this.nodes.push(new RedisServer({ clusterBus: true, args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000'] }));
    }
    await Promise.all(this.nodes.map((n) => n.start()));
    const cli = spawnSync(process.env.REDIS_CLI ?? 'redis-cli', [
      '--cluster', 'create', ...this.nodes.map((n) => n.address), '--cluster-replicas', String(this.replicasPerPrimary), '--cluster-yes',
    ], { encoding: 'utf8', timeout: 60_000 });
    if (cli.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${cli.stdout}\n${cli.stderr}`);
    await until('every node sees the cluster ok and every replica in sync', async () => {
      for (const n of this.nodes) {
        const ok = await ask(n.port, async (r) => {
          if (!/cluster_state:ok/.test(String(await r.call('CLUSTER', 'INFO')))) return false;
          const repl = await info(r, 'replication');
          return /role:master/.test(repl) || /master_link_status:up/.test(repl);
        });
        if (!ok) return false;
      }
      return true;
    });
    return this;
  }

  /** Seed nodes, as `store.cluster` lists them. */
  get seeds(): string[] {
    return this.nodes.slice(0, 3).map((n) => n.address);
  }

  /** The node currently serving `key`'s slot as primary (asked of any live node). */
  async primaryOf(key: string): Promise<RedisServer> {
    const live = this.nodes.find((n) => n.running)!;
    return ask(live.port, async (r) => {
      const slot = Number(await r.call('CLUSTER', 'KEYSLOT', key));
      const slots = (await r.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
      const range = slots.find(([from, to]) => slot >= from && slot <= to)!;
      return this.nodes.find((n) => n.port === Number(range[2][1]))!;
    });
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.stop()));
  }
}
