import { DEFAULTS, type GatewayConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { ChangeFeed, StoreConnection } from '../store/types.js';
import type { StateSync } from './state-sync.js';

/** A confirmation round (≤ 1 s) plus a command timeout (2 s), with room. */
const HUNG_GRACE_MS = 5_000;

export interface FreshnessOptions {
  /** Full resync interval: the safety net for a missed push. */
  resyncMs: number;
  /** Past this lag Bearer requests get 503 token_store_stale. */
  staleMaxMs: number;
  /** Past this lag (or with the store down) /readyz answers 503. */
  maxLagMs: number;
}

/**
 * How current this instance's TokenState is, with a shared store (Redis).
 *
 * The state is "confirmed" at time t when everything written to the store before t has reached
 * it: after a full load started at t, or when a PING sent at t on the subscribed connection
 * comes back (Redis answers it after every message it queued for us before it). The lag is the
 * age of the last confirmation. After a disconnect nothing counts until a full resync has run,
 * because messages published meanwhile were lost.
 *
 * Time here is the real monotonic clock, never the injected token clock: a test moving the token
 * clock by hours must not make the state look stale.
 */
export class StateFreshness {
  private lastConfirmedAt: number;
  private synced = true;
  /** Bumped on every disconnect: a confirmation begun before it does not count. */
  private epoch = 0;
  private resyncing: Promise<void> | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly sync: StateSync,
    private readonly conn: StoreConnection,
    private readonly o: FreshnessOptions,
    private readonly log: Logger,
    private readonly monotonic: () => number = () => performance.now(),
  ) {
    this.lastConfirmedAt = monotonic(); // the caller has just run the initial full load
  }

  start(): void {
    this.unsubscribe = this.conn.onStatus((up) => {
      if (up) return void this.resync('reconnect');
      this.epoch++;
      this.synced = false;
    });
    // Confirm often enough that lag stays well under both bounds while all is well.
    const confirmMs = Math.max(100, Math.min(1000, Math.min(this.o.maxLagMs, this.o.staleMaxMs) / 4));
    this.timers.push(setInterval(() => void this.confirm(), confirmMs), setInterval(() => void this.resync('periodic'), this.o.resyncMs));
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    for (const t of this.timers) clearInterval(t);
  }

  /** Seconds since the state was last known to be current. */
  lagSeconds(): number {
    return (this.monotonic() - this.lastConfirmedAt) / 1000;
  }

  get storeUp(): boolean {
    return this.conn.up;
  }

  /**
   * True once Bearer requests must no longer be served from this state: the lag passed
   * store.staleMaxSeconds while the store is down or not yet resynced. While connected and
   * synced, the lag only grows past a confirmation round (Redis hung) after HUNG_GRACE_MS more,
   * so `staleMaxSeconds: 0` means "stop at once when Redis goes away", not "always stale".
   */
  isStale(): boolean {
    const lag = this.monotonic() - this.lastConfirmedAt;
    if (lag <= this.o.staleMaxMs) return false;
    return !this.conn.up || !this.synced || lag > this.o.staleMaxMs + HUNG_GRACE_MS;
  }

  /** Why /readyz must say not ready, or undefined. */
  notReadyReason(): string | undefined {
    if (!this.conn.up) return 'store unavailable';
    const lag = this.lagSeconds();
    if (lag * 1000 > this.o.maxLagMs) return `state lag ${lag.toFixed(1)}s exceeds store.maxLagSeconds`;
    return undefined;
  }

  private async confirm(): Promise<void> {
    if (!this.conn.up || this.resyncing) return;
    if (!this.synced) return this.resync('retry');
    const t = this.monotonic();
    const e = this.epoch;
    try {
      await this.conn.confirmPush();
      if (e === this.epoch && this.synced) this.confirmed(t);
    } catch {
      // The connection's own events report the outage.
    }
  }

  private resync(why: string): Promise<void> {
    if (this.resyncing || !this.conn.up) return this.resyncing ?? Promise.resolve();
    const t = this.monotonic();
    const e = this.epoch;
    this.resyncing = this.sync
      .fullLoad()
      .then(
        () => {
          if (e !== this.epoch) return;
          this.synced = true;
          this.confirmed(t);
          if (why !== 'periodic') this.log.info({ why }, 'token state resynced from the store');
        },
        (err: unknown) => this.log.warn({ why, err: String(err) }, 'token state resync failed; retrying'),
      )
      .finally(() => {
        this.resyncing = undefined;
      });
    return this.resyncing;
  }

  private confirmed(t: number): void {
    if (t > this.lastConfirmedAt) this.lastConfirmedAt = t;
  }
}

/** The monitor for a shared store (one with a `connection`); undefined for a local one. */
export function freshnessFor(store: ChangeFeed, sync: StateSync, cfg: GatewayConfig['store'], log: Logger): StateFreshness | undefined {
  if (!store.connection) return undefined;
  // A Redis store passed in with another store config (tests) gets the documented defaults.
  const r = cfg.type === 'redis'
    ? cfg
    : { resyncSeconds: DEFAULTS.redisResyncSeconds, staleMaxSeconds: DEFAULTS.redisStaleMaxSeconds, maxLagSeconds: DEFAULTS.redisMaxLagSeconds };
  return new StateFreshness(sync, store.connection, { resyncMs: r.resyncSeconds * 1000, staleMaxMs: r.staleMaxSeconds * 1000, maxLagMs: r.maxLagSeconds * 1000 }, log);
}
