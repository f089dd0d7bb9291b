import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { subscriberClient, type BaseOptions, type RedisTarget } from './redis-target.js';

/** Waiting for our own confirmation marker longer than a command would: the node is not there. */
const MARKER_TIMEOUT_MS = 2_000;
const MAX_MOVE_DELAY_MS = 1_000;

export interface SubscriberHooks {
  ready(ready: boolean): void;
  error(err: Error): void;
  closing(): boolean;
  log: Logger;
}

/**
 * The change channel on a Redis Cluster. The writers PUBLISH (inside their Lua scripts, on the
 * primary of the portfolio's slot) and Redis Cluster forwards every PUBLISH to every node over its
 * bus, so one subscription on any one node hears all of them: a broadcast channel. Sharded pub/sub
 * (SPUBLISH) would keep a message inside its shard, but then every instance would need one
 * subscription per shard and per slot group, for a traffic (a few changes a second) that the bus
 * carries for nothing.
 *
 * The subscription lives on one node, picked at random among the cluster's nodes; when that node
 * goes away we move to another (the caller resyncs, since messages were lost meanwhile).
 *
 * Confirmation: a PING on our node only proves that node's queue is drained, not that a message
 * published on another primary has crossed the bus. So `confirm()` publishes a marker through every
 * primary on a channel of our own and waits for each to come back: each bus link keeps its order,
 * so everything a primary published before our marker has reached us once the marker has.
 */
export class ClusterSubscriber {
  private conn: Redis | undefined;
  private readonly markerChannel: string;
  private readonly pending = new Map<string, () => void>();
  private seq = 0;
  private moves = 0;
  private lastNode = '';

  constructor(
    private readonly target: RedisTarget,
    private readonly base: BaseOptions,
    private readonly channel: string,
    private readonly onMessage: (text: string) => void,
    private readonly hooks: SubscriberHooks,
  ) {
    this.markerChannel = `${channel}:confirm:${randomBytes(8).toString('hex')}`;
  }

  /** Subscribes on one of the cluster's nodes; throws when it cannot (start-up). */
  async start(cluster: Cluster): Promise<void> {
    const nodes = cluster.nodes('all');
    if (nodes.length === 0) throw new Error('no Redis Cluster node known');
    // Spread instances over the nodes; after a move, prefer another node than the one that failed.
    const others = nodes.filter((n) => key(n) !== this.lastNode);
    const pick = (others.length > 0 ? others : nodes)[Math.floor(Math.random() * (others.length || nodes.length))]!;
    this.lastNode = key(pick);
    const conn = subscriberClient(this.target, { ...this.base, connectionName: 'hlgw-sub', retryStrategy: () => null }, { host: pick.options.host!, port: pick.options.port! });
    this.conn = conn;
    conn.on('error', (err: Error) => this.hooks.error(err));
    conn.on('message', (ch: string, text: string) => {
      if (ch === this.markerChannel) this.pending.get(text)?.();
      else this.onMessage(text);
    });
    conn.on('close', () => this.hooks.ready(false));
    await conn.connect();
    await conn.subscribe(this.channel, this.markerChannel);
    // Only now: a connection that fails while starting is the caller's to retry, not a move.
    conn.once('end', () => void this.move(cluster, conn));
    if (conn.status !== 'ready') throw new Error('change subscription lost while starting');
    this.moves = 0;
    this.hooks.ready(true);
  }

  /** Resolves when a marker published through every primary has come back (see the class comment). */
  async confirm(cluster: Cluster): Promise<void> {
    const masters = cluster.nodes('master');
    if (this.conn === undefined || this.conn.status !== 'ready' || masters.length === 0) throw new Error('change subscription not ready');
    await Promise.all(masters.map((node) => this.marker(node)));
  }

  disconnect(): void {
    this.conn?.disconnect();
  }

  private marker(node: Redis): Promise<unknown> {
    const id = String(++this.seq);
    const back = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`confirmation marker through ${key(node)} did not come back`));
      }, MARKER_TIMEOUT_MS);
      this.pending.set(id, () => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve();
      });
    });
    return Promise.all([node.publish(this.markerChannel, id), back]);
  }

  /** Our node went away: subscribe on another one, retrying with a growing delay (≤ 1 s). */
  private async move(cluster: Cluster, gone: Redis): Promise<void> {
    if (this.conn !== gone || this.hooks.closing()) return;
    this.conn = undefined;
    for (;;) {
      await new Promise((r) => setTimeout(r, Math.min(++this.moves * 100, MAX_MOVE_DELAY_MS)));
      if (this.hooks.closing()) return;
      try {
        await this.start(cluster);
        this.hooks.log.info({ node: this.lastNode }, 'change subscription moved to another Redis Cluster node');
        return;
      } catch (err) {
        this.hooks.error(err as Error);
        (this.conn as Redis | undefined)?.disconnect(); // start() may have got that far
        this.conn = undefined;
      }
    }
  }
}

function key(n: Redis): string {
  return `${n.options.host}:${n.options.port}`;
}
