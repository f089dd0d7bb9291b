import { createHash } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';

export type ReloadResult = 'success' | 'failure';

/**
 * Which configuration an instance runs, and how its SIGHUP reloads went. The hash is the value of
 * a label-free gauge (as Alertmanager's `alertmanager_config_hash`), so comparing instances is
 * `count(count_values("hash", hlgw_config_hash)) > 1` and no label ever carries config content.
 */
export class ConfigMetrics {
  private readonly hash: Gauge;
  private readonly lastSuccessful: Gauge;
  private readonly reloads = new Map<ReloadResult, { inc(): void }>();

  constructor(registry: Registry, config: unknown) {
    const registers = [registry];
    this.hash = new Gauge({ name: 'hlgw_config_hash', help: 'Hash of the running configuration (first 48 bits of the SHA-256 of its canonical JSON)', registers, aggregator: 'max' });
    this.lastSuccessful = new Gauge({ name: 'hlgw_config_last_reload_successful', help: 'Whether the last SIGHUP reload was applied (1) or refused (0); 1 before any reload', registers, aggregator: 'min' });
    const reloads = new Counter({ name: 'hlgw_config_reloads_total', help: 'SIGHUP reloads by result (failure: the new config was refused and the running one kept)', labelNames: ['result'], registers });
    for (const r of ['success', 'failure'] as const) {
      reloads.inc({ result: r }, 0); // both series from the start: increase() sees the first reload
      this.reloads.set(r, reloads.labels(r));
    }
    this.hash.set(configHash(config));
    this.lastSuccessful.set(1);
  }

  reloaded(result: ReloadResult, config?: unknown): void {
    this.reloads.get(result)!.inc();
    this.lastSuccessful.set(result === 'success' ? 1 : 0);
    if (result === 'success' && config !== undefined) this.hash.set(configHash(config));
  }
}

/** 48 bits: exact in a float64 sample value. Keys sorted, so the hash does not depend on key order. */
function configHash(config: unknown): number {
  const digest = createHash('sha256').update(canonicalJson(config)).digest();
  return digest.readUIntBE(0, 6);
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
