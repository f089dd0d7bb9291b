import { Gauge, Histogram, type Registry } from 'prom-client';
import type { StateFreshness } from '../state/state-freshness.js';
import type { ChangeFeed, StateChange } from '../store/types.js';

/**
 * How current this instance's token state is: lag, store up/down, and the delay with which
 * changes written elsewhere (another instance through Redis, another worker through the primary)
 * arrived here. `aggregator` says how the primary of `server.workers` combines workers' values.
 * Returns the unsubscribe of the store listener.
 */
export function registerSyncMetrics(
  registry: Registry, store: ChangeFeed, freshness: StateFreshness | undefined,
  o: { maxLagSeconds: number | undefined; ready(): Promise<unknown> },
): () => void {
  const registers = [registry];
  if (o.maxLagSeconds !== undefined) {
    // The bound itself, so the lag alert compares two series instead of repeating a config value.
    new Gauge({ name: 'hlgw_state_max_lag_seconds', help: 'store.maxLagSeconds: past this lag /readyz answers 503', registers, aggregator: 'min' })
      .set(o.maxLagSeconds);
  }
  new Gauge({
    name: 'hlgw_ready',
    help: 'What /readyz answers: 1 ready, 0 not ready (store unreachable or state lagging)',
    registers, aggregator: 'min',
    async collect() { this.set(await o.ready().then(() => 1, () => 0)); },
  });
  new Gauge({
    name: 'hlgw_state_lag_seconds',
    help: 'Age of the last confirmation that the in-memory token state matches the store (0 for a local store)',
    registers, aggregator: 'max',
    collect() { this.set(freshness ? freshness.lagSeconds() : 0); },
  });
  new Gauge({
    name: 'hlgw_store_up',
    help: 'Whether the store is reachable (1) or not (0)',
    registers, aggregator: 'min',
    collect() { this.set(!freshness || freshness.storeUp ? 1 : 0); },
  });
  const propagation = new Histogram({
    name: 'hlgw_state_propagation_seconds',
    help: 'Delay from a change written by another instance or worker to its arrival here (revocations and policy changes)',
    labelNames: ['kind'], registers,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  const children = new Map<StateChange['kind'], { observe(v: number): void }>(
    // Every kind, checked by the compiler: an unlisted one would throw in the store's listener.
    (Object.keys({ revoked: 0, portfolio: 0, access: 0, company: 0 } satisfies Record<StateChange['kind'], 0>) as StateChange['kind'][]).map((k) => [k, propagation.labels(k)]),
  );
  return store.onChange((c, origin) => {
    // Wall clocks of two machines: a small negative skew is clamped to 0.
    if (origin) children.get(c.kind)!.observe(Math.max(0, Date.now() - origin.publishedAt) / 1000);
  });
}
