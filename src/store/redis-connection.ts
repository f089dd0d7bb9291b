import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, ReplyError, type ChainableCommander, type Redis } from 'ioredis';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { StoreConnection } from './types.js';
import { ClusterSubscriber } from './redis-cluster-subscriber.js';
import { commandClient, describeTarget, subscriberClient, type BaseOptions, type RedisTarget } from './redis-target.js';

/** Commands never wait long: a store endpoint answers 503 quickly instead of hanging. */
const COMMAND_TIMEOUT_MS = 2_000;
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect delay grows with attempts up to this: an instance is back within about a second of Redis. */
const MAX_RECONNECT_DELAY_MS = 1_000;
const START_RETRY_MS = 500;

/** Redis error replies that mean "not available now" rather than a bug in our command. */
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|MISCONF|NOAUTH|WRONGPASS|MOVED|ASK)\b/;

export interface ReplicaAcks {
  /** store.minReplicasAcked: 0 = no WAIT. */
  min: number;
  timeoutMs: number;
}

/** A write's results and, when too few replicas confirmed it, the error to throw once the caller applied it locally. */
export interface Written {
  results: unknown[];
  unconfirmed?: GatewayError;
}

/**
 * The two connections of one instance: `cmd` for reads and writes (a Redis, or a Cluster routing
 * by slot), `sub` for the change channel (a subscribed connection can send nothing but
 * (un)subscribe and PING). No offline queue and no retried requests: while Redis is away a
 * command fails at once with `store_unavailable`. Reconnecting is automatic; `up` turns true again
 * only when both are connected and subscribed.
 */
export class RedisConnection implements StoreConnection {
  readonly cmd: Redis | Cluster;
  private sub: Redis | ClusterSubscriber | undefined;
  private starting = true;
  private closing = false;
  private cmdReady = false;
  private subReady = false;
  private lastError = '';
  private readonly statusListeners = new Set<(up: boolean) => void>();
  private readonly base: BaseOptions;
  up = false;

  private constructor(
    readonly target: RedisTarget,
    private readonly channel: string,
    private readonly onMessage: (text: string) => void,
    private readonly log: Logger,
    private readonly acks: ReplicaAcks,
  ) {
    this.base = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // At start-up one attempt per open(); afterwards reconnect forever (until close()).
      retryStrategy: (times) => (this.starting || this.closing ? null : Math.min(times * 100, MAX_RECONNECT_DELAY_MS)),
    };
    this.cmd = commandClient(target, { ...this.base, connectionName: 'hlgw' });
    this.cmd.on('error', (err: Error) => this.noteError(err));
    this.cmd.on('close', () => this.setReady('cmd', false));
    this.cmd.on('ready', () => this.setReady('cmd', true));
    this.reviveOnEnd(this.cmd);
    // A Cluster node that left may have taken published messages with it: resync.
    if (this.cmd instanceof Cluster) this.cmd.on('-node', () => this.gap('a Redis Cluster node left'));
  }

  get isCluster(): boolean {
    return this.cmd instanceof Cluster;
  }

  /** "cannot reach Redis at <where>" names the target without its passwords. */
  get where(): string {
    return describeTarget(this.target);
  }

  /**
   * Connects and subscribes, or throws `cannot reach Redis at <target>: <reason>` (one line, no
   * stack). With `waitSeconds` > 0, keeps trying that long first.
   */
  static async open(target: RedisTarget, channel: string, onMessage: (text: string) => void, log: Logger, waitSeconds = 0, acks: ReplicaAcks = { min: 0, timeoutMs: 500 }): Promise<RedisConnection> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (let attempt = 1; ; attempt++) {
      const c = new RedisConnection(target, channel, onMessage, log, acks);
      try {
        await c.cmd.connect();
        await c.cmd.ping();
        await c.startSubscriber();
        c.starting = false;
        c.update();
        return c;
      } catch (err) {
        const reason = c.lastError || (err instanceof Error ? err.message : String(err));
        c.close();
        if (Date.now() >= deadline) throw new Error(`cannot reach Redis at ${c.where}: ${reason}`);
        if (attempt === 1) log.warn({ redis: c.where, reason, waitSeconds }, 'waiting for Redis');
        await sleep(START_RETRY_MS);
      }
    }
  }

  onStatus(listener: (up: boolean) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /**
   * Resolves once every change published before the call has reached us. One server and
   * Sentinel: a PING on the subscribed connection (Redis answers it after every message it queued
   * for us). Cluster: a marker published through every primary comes back on our subscription
   * (each node's bus link keeps order), see redis-cluster-subscriber.ts.
   */
  async confirmPush(): Promise<void> {
    const sub = this.sub;
    if (sub === undefined) throw new GatewayError('store_unavailable');
    if (sub instanceof ClusterSubscriber) await this.run(() => sub.confirm(this.cmd as Cluster));
    else await this.run(() => sub.ping());
  }

  /** Runs a command, turning "Redis is not there" into `store_unavailable`. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.cmd.status !== 'ready') throw new GatewayError('store_unavailable', undefined, { cause: new Error(`redis ${this.cmd.status}`) });
    try {
      return await fn();
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      if (err instanceof ReplyError && !UNAVAILABLE_REPLY.test((err as Error).message)) throw err;
      throw new GatewayError('store_unavailable', undefined, { cause: err });
    }
  }

  /**
   * A write: the commands `queue` adds, sent as one pipeline to one node (in a Cluster, the node
   * of their slot: they must share one), then, with store.minReplicasAcked > 0, `WAIT n timeout`
   * on that same connection, so it counts the replicas that have this write. Fewer than asked →
   * `unconfirmed` is set: the write is on the primary and may or may not survive a failover.
   */
  async write(queue: (p: ChainableCommander) => void): Promise<Written> {
    return this.run(async () => {
      const p = this.cmd.pipeline();
      queue(p);
      const n = p.length;
      if (this.acks.min > 0) p.wait(this.acks.min, this.acks.timeoutMs);
      const all = results(await p.exec());
      const written: Written = { results: all.slice(0, n) };
      if (this.acks.min > 0) {
        const acked = Number(all[n]);
        if (acked < this.acks.min) {
          written.unconfirmed = new GatewayError('store_not_replicated', `${acked} of ${this.acks.min} replica(s) confirmed within ${this.acks.timeoutMs} ms; the change may still be applied`);
        }
      }
      return written;
    });
  }

  /**
   * One read per item whose keys lie in different slots: a single pipeline on one server; on a
   * Cluster each goes to its own node (all sent at once).
   */
  async many<T>(count: number, queue: (p: ChainableCommander, i: number) => void): Promise<T[]> {
    return this.run(async () => {
      if (count === 0) return [];
      if (!(this.cmd instanceof Cluster)) {
        const p = this.cmd.pipeline();
        for (let i = 0; i < count; i++) queue(p, i);
        return results<T>(await p.exec());
      }
      const cluster = this.cmd;
      const one = async (i: number) => {
        const p = cluster.pipeline();
        queue(p, i);
        return results<T>(await p.exec())[0]!;
      };
      return Promise.all(Array.from({ length: count }, (_, i) => one(i)));
    });
  }

  close(): void {
    this.closing = true;
    this.cmd.disconnect();
    this.sub?.disconnect();
    this.up = false;
  }

  /** Connects the subscriber and subscribes (at open(); a ClusterSubscriber then moves by itself). */
  private async startSubscriber(): Promise<void> {
    if (this.cmd instanceof Cluster) {
      const s = new ClusterSubscriber(this.target, this.base, this.channel, this.onMessage, {
        ready: (r) => this.setReady('sub', r),
        error: (e) => this.noteError(e),
        log: this.log,
        closing: () => this.closing,
      });
      this.sub = s;
      await s.start(this.cmd);
      return;
    }
    const sub = subscriberClient(this.target, { ...this.base, connectionName: 'hlgw-sub' });
    this.sub = sub;
    sub.on('error', (err: Error) => this.noteError(err));
    sub.on('close', () => this.setReady('sub', false));
    sub.on('ready', () => void this.resubscribe(sub));
    sub.on('message', (_ch: string, text: string) => this.onMessage(text));
    this.reviveOnEnd(sub);
    await sub.connect();
    await sub.subscribe(this.channel);
    this.subReady = true;
  }

  /**
   * 'end' is final in ioredis: no more reconnects. Our retry strategy never gives up after
   * start-up, but a reconnect can still be cut short inside ioredis (a Sentinel connect aborted
   * half-way ends the client): start over, or this instance would stay disconnected for good.
   */
  private reviveOnEnd(c: Redis | Cluster): void {
    c.on('end', () => {
      if (this.starting || this.closing) return;
      this.log.warn({ redis: this.where }, 'redis client ended; connecting again');
      setTimeout(() => {
        if (!this.closing) c.connect().catch((err: Error) => this.noteError(err));
      }, MAX_RECONNECT_DELAY_MS).unref();
    });
  }

  private async resubscribe(sub: Redis): Promise<void> {
    if (this.starting) return; // startSubscriber() subscribes itself
    try {
      await sub.subscribe(this.channel);
      this.setReady('sub', true);
    } catch (err) {
      this.noteError(err as Error);
      sub.disconnect(true); // try again through a fresh connection
    }
  }

  private setReady(which: 'cmd' | 'sub', ready: boolean): void {
    if (which === 'cmd') this.cmdReady = ready;
    else this.subReady = ready;
    this.update();
  }

  private update(): void {
    const up = !this.starting && !this.closing && this.cmdReady && this.subReady;
    if (up === this.up) return;
    this.up = up;
    if (up) this.log.info({ redis: this.where }, 'redis connection up');
    else this.log.error({ redis: this.where, reason: this.lastError }, 'redis connection down');
    for (const l of this.statusListeners) l(up);
  }

  /**
   * Messages may have been lost although our connections stayed up: tell the listeners as a
   * down/up pair, so the state resyncs (src/state/state-freshness.ts) before it counts as current.
   */
  private gap(why: string): void {
    if (!this.up) return;
    this.log.warn({ redis: this.where, why }, 'changes may have been missed; resyncing');
    for (const l of this.statusListeners) l(false);
    for (const l of this.statusListeners) l(true);
  }

  private noteError(err: Error): void {
    const msg = err.message || String(err);
    if (msg !== this.lastError && !this.starting) this.log.warn({ reason: msg }, 'redis error');
    this.lastError = msg;
  }
}

/** Pipeline results, throwing the first command error. */
export function results<T = unknown>(res: [Error | null, unknown][] | null): T[] {
  if (res === null) throw new Error('redis transaction aborted');
  return res.map(([err, v]) => {
    if (err) throw err;
    return v as T;
  });
}
