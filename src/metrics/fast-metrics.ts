import type { Registry } from 'prom-client';

/**
 * Counters and histograms for the request path. prom-client's label children still hash their
 * labels on every call (about 0.3 µs per counter increment, 0.5 µs per histogram observation,
 * measured in bench/RESULTS.md); these keep plain numbers per label set, resolved once at start-up,
 * and hand prom-client the values only when /metrics is scraped. They implement the small
 * metric interface prom-client's Registry (and AggregatorRegistry) reads: name, help, get().
 */

type Labels = Record<string, string>;
interface MetricValue { labels: Labels; value: number; metricName?: string }

export class FastCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly series: { labels: Labels; value: number }[] = [];

  constructor(readonly name: string, readonly help: string, registry: Registry) {
    registry.registerMetric(this as never);
  }

  /** One series; keep the returned child and call inc() on it. */
  child(labels: Labels = {}): { inc(n?: number): void } {
    const s = { labels, value: 0 };
    this.series.push(s);
    return { inc: (n = 1) => void (s.value += n) };
  }

  get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.series.map((s) => ({ labels: s.labels, value: s.value })) };
  }

  reset(): void {
    for (const s of this.series) s.value = 0;
  }
}

export class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series: { labels: Labels; counts: Float64Array; sum: number; count: number }[] = [];

  constructor(readonly name: string, readonly help: string, private readonly buckets: readonly number[], registry: Registry) {
    registry.registerMetric(this as never);
  }

  child(labels: Labels = {}): { observe(v: number): void } {
    const s = { labels, counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
    this.series.push(s);
    const buckets = this.buckets;
    return {
      observe(v: number) {
        // Non-cumulative here; made cumulative at scrape time.
        let i = 0;
        while (i < buckets.length && v > buckets[i]!) i++;
        if (i < buckets.length) s.counts[i]! += 1;
        s.sum += v;
        s.count += 1;
      },
    };
  }

  get() {
    const values: MetricValue[] = [];
    for (const s of this.series) {
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += s.counts[i]!;
        values.push({ labels: { ...s.labels, le: String(this.buckets[i]) }, value: acc, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const s of this.series) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}
