import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';

/**
 * A real redis-server on a free loopback port, for the Redis store's tests. It is not skipped
 * when missing: the suite fails with a message saying how to install it (`.ci/run` does).
 *
 * With `persistent`, it keeps an append-only file (appendfsync always) in a temp directory, so
 * `stop()` + `start()` is a Redis restart that keeps every acknowledged write.
 */
export interface RedisServerOptions {
  persistent?: boolean;
  /** More command-line settings (`--replicaof`, `--cluster-enabled`...). */
  args?: string[];
  /** Run as a sentinel: the text of its sentinel.conf (`port` and `bind` are added). */
  sentinelConf?: string;
  /** A port chosen by the caller (0 = a free one). */
  port?: number;
  /** A Redis Cluster node: its cluster bus gets a free port of its own (by default it would be port + 10000). */
  clusterBus?: boolean;
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private output = '';
  readonly dir = mkdtempSync(join(tmpdir(), 'hlgw-redis-'));
  port = 0;

  constructor(private readonly opts: RedisServerOptions = {}) {
    this.port = opts.port ?? 0;
    // Never leave a redis-server behind, even when a test run is cut short.
    process.once('exit', () => {
      this.child?.kill('SIGKILL');
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `127.0.0.1:<port>`, as the store config lists Sentinel and Cluster nodes. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What the process printed (its log), for failure messages. */
  get logs(): string {
    return this.output;
  }

  /** Starts it (on the same port after a stop). Throws a clear message when redis-server cannot run. */
  async start(): Promise<this> {
    if (this.port === 0) this.port = await freePort();
    if (this.opts.clusterBus && this.busPort === 0) this.busPort = await freePort();
    const bin = process.env.REDIS_SERVER ?? 'redis-server';
    if (spawnSync(bin, ['--version']).error) {
      throw new Error(`cannot start ${bin}: it is not installed (apt-get install -y redis-server; .ci/run does this). The Redis store's tests need a real Redis.`);
    }
    let args: string[];
    if (this.opts.sentinelConf !== undefined) {
      // A sentinel rewrites its config file (what it learnt): it must be a file of its own.
      const conf = join(this.dir, 'sentinel.conf');
      if (!existsSync(conf)) writeFileSync(conf, `port ${this.port}\nbind 127.0.0.1\nprotected-mode no\ndir ${this.dir}\n${this.opts.sentinelConf}\n`);
      args = [conf, '--sentinel'];
    } else {
      args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir, '--daemonize', 'no', '--protected-mode', 'yes',
        // A primary waits 5 s (Redis 7's default) for more replicas before a full sync: every
        // (re)sync in the Sentinel and Cluster suites paid it, and a busy machine stacked them.
        '--repl-diskless-sync-delay', '0'];
      args.push(...(this.opts.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
      if (this.opts.clusterBus) args.push('--cluster-port', String(this.busPort));
      args.push(...(this.opts.args ?? []));
    }
    try {
      await this.spawnAndWait(bin, args);
    } catch (err) {
      // A free port is only free when it is chosen: on a first start, ports of our own choosing
      // that another process bound first ("Address already in use") are chosen again. A restart
      // keeps its ports; a sentinel's are in its config file.
      const ours = this.opts.port === undefined && this.opts.sentinelConf === undefined && !this.startedOnce;
      if (!ours || !this.output.includes('Address already in use') || ++this.attempts === 5) throw err;
      this.port = 0;
      this.busPort = 0;
      return this.start();
    }
    this.startedOnce = true;
    return this;
  }

  private busPort = 0;
  private attempts = 0;
  private startedOnce = false;

  private async spawnAndWait(bin: string, args: string[]): Promise<void> {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.output = '';
    child.stdout!.on('data', (b: Buffer) => { this.output = (this.output + b.toString()).slice(-20_000); });
    child.stderr!.on('data', (b: Buffer) => { this.output = (this.output + b.toString()).slice(-20_000); });
    this.child = child;
    const deadline = Date.now() + 15_000;
    while (!(await canConnect(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`redis-server did not start on 127.0.0.1:${this.port}:\n${this.output.slice(-2000)}`);
      }
      await sleep(50);
    }
  }

  /** SIGKILL (an outage, not a shutdown) and wait for the port to close. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The run's redis-server (test/support/global-setup.ts); each store gets its own key prefix. */
export function sharedRedisUrl(): string {
  const v = inject('hlgwRedis');
  if (v.startsWith('error:')) throw new Error(v.slice('error:'.length));
  return v;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}
