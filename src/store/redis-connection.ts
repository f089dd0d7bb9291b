import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { StoreConnection } from './types.js';
import { redactUrl } from '../secrets/redact-url.js';

/** Commands never wait long: a store endpoint answers 503 quickly instead of hanging. */
const COMMAND_TIMEOUT_MS = 2_000;
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect delay grows with attempts up to this: an instance is back within about a second of Redis. */
const MAX_RECONNECT_DELAY_MS = 1_000;
const START_RETRY_MS = 500;

/** Redis error replies that mean "not available now" rather than a bug in our command. */
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|MISCONF|NOAUTH|WRONGPASS)\b/;

/**
 * The two connections of one instance: `cmd` for reads and writes, `sub` for the change channel
 * (a subscribed connection can send nothing but (un)subscribe and PING). No offline queue and no
 * retried requests: while Redis is away a command fails at once with `store_unavailable`.
 * Reconnecting is automatic; `up` turns true again only when both are connected and subscribed.
 */
export class RedisConnection implements StoreConnection {
  readonly cmd: Redis;
  readonly sub: Redis;
  private starting = true;
  private closing = false;
  private cmdReady = false;
  private subReady = false;
  private lastError = '';
  private readonly statusListeners = new Set<(up: boolean) => void>();
  up = false;

  private constructor(
    readonly url: string,
    private readonly channel: string,
    private readonly onMessage: (text: string) => void,
    private readonly log: Logger,
  ) {
    const options: RedisOptions = {
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
    this.cmd = new Redis(url, { ...options, connectionName: 'hlgw' });
    this.sub = new Redis(url, { ...options, connectionName: 'hlgw-sub' });
    for (const c of [this.cmd, this.sub]) {
      c.on('error', (err: Error) => this.noteError(err));
      c.on('close', () => this.setReady(c, false));
    }
    this.cmd.on('ready', () => this.setReady(this.cmd, true));
    this.sub.on('ready', () => void this.subscribe());
    this.sub.on('message', (_ch: string, text: string) => this.onMessage(text));
  }

  /**
   * Connects and subscribes, or throws `cannot reach Redis at <url>: <reason>` (one line, no stack).
   * With `waitSeconds` > 0, keeps trying that long first.
   */
  static async open(url: string, channel: string, onMessage: (text: string) => void, log: Logger, waitSeconds = 0): Promise<RedisConnection> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (let attempt = 1; ; attempt++) {
      const c = new RedisConnection(url, channel, onMessage, log);
      try {
        await Promise.all([c.cmd.connect(), c.sub.connect()]);
        await c.sub.subscribe(channel);
        await c.cmd.ping();
        c.starting = false;
        c.subReady = true;
        c.update();
        return c;
      } catch (err) {
        const reason = c.lastError || (err instanceof Error ? err.message : String(err));
        c.close();
        if (Date.now() >= deadline) throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${reason}`);
        if (attempt === 1) log.warn({ url: redactUrl(url), reason, waitSeconds }, 'waiting for Redis');
        await sleep(START_RETRY_MS);
      }
    }
  }

  onStatus(listener: (up: boolean) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** PING on the subscribed connection: its answer comes after every message Redis queued before it. */
  async confirmPush(): Promise<void> {
    await this.run(() => this.sub.ping());
  }

  /** Runs a command, turning "Redis is not there" into `store_unavailable`. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.cmd.status !== 'ready') throw new GatewayError('store_unavailable', undefined, { cause: new Error(`redis ${this.cmd.status}`) });
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ReplyError && !UNAVAILABLE_REPLY.test((err as Error).message)) throw err;
      throw new GatewayError('store_unavailable', undefined, { cause: err });
    }
  }

  close(): void {
    this.closing = true;
    this.cmd.disconnect();
    this.sub.disconnect();
    this.up = false;
  }

  private async subscribe(): Promise<void> {
    if (this.starting) return; // open() subscribes itself
    try {
      await this.sub.subscribe(this.channel);
      this.setReady(this.sub, true);
    } catch (err) {
      this.noteError(err as Error);
      this.sub.disconnect(true); // try again through a fresh connection
    }
  }

  private setReady(c: Redis, ready: boolean): void {
    if (c === this.cmd) this.cmdReady = ready;
    else this.subReady = ready;
    this.update();
  }

  private update(): void {
    const up = !this.starting && !this.closing && this.cmdReady && this.subReady;
    if (up === this.up) return;
    this.up = up;
    if (up) this.log.info({ url: redactUrl(this.url) }, 'redis connection up');
    else this.log.error({ url: redactUrl(this.url), reason: this.lastError }, 'redis connection down');
    for (const l of this.statusListeners) l(up);
  }

  private noteError(err: Error): void {
    const msg = err.message || String(err);
    if (msg !== this.lastError && !this.starting) this.log.warn({ reason: msg }, 'redis error');
    this.lastError = msg;
  }
}
