import { AccessLog } from '../http/access-log.js';
import { ConfigMetrics } from '../metrics/config-metrics.js';
import { GatewayMetrics } from '../metrics/metrics.js';
import { registerSyncMetrics } from '../metrics/sync-metrics.js';
import { registerBuildInfo, TokenMetrics } from '../metrics/token-metrics.js';
import type { GatewayContext } from './context.js';
import type { StatePart } from './state-part.js';

/** Metrics on the gateway's own Registry, the config metrics and the access log. */
export interface ObservabilityPart {
  readonly metrics: GatewayMetrics;
  /** hlgw_config_hash and the SIGHUP reload counters. */
  readonly configMetrics: ConfigMetrics;
  /** Tokens issued and revoked (the token service reports them). */
  readonly tokenMetrics: TokenMetrics;
  /** log.access; its settings change on reload. */
  readonly accessLog: AccessLog;
  stop(): void;
}

/** What is read later, when a scrape or a log line asks (the parts that know are built after this one). */
export interface LateReaders {
  cacheEntries(): number;
  isEndpoint(url: string): boolean;
  ready(): Promise<unknown>;
}

/** `version`: hlgw's own, for hlgw_build_info (read by the caller: a part does no I/O while built). */
export function buildObservability(ctx: GatewayContext, s: StatePart, late: LateReaders, version: string): ObservabilityPart {
  const { config } = ctx;
  const metrics = new GatewayMetrics({ cacheEntries: () => late.cacheEntries(), revokedEntries: () => s.state.revokedCount });
  const stopSyncMetrics = registerSyncMetrics(metrics.registry, ctx.store, s.freshness, {
    maxLagSeconds: config.store.type === 'redis' ? config.store.maxLagSeconds : undefined,
    ready: () => late.ready(),
  });
  registerBuildInfo(metrics.registry, version);
  const accessLog = new AccessLog(ctx.log, config.log, {
    trustedProxies: ctx.trustedProxies, maxTokenBytes: config.tokens.maxTokenBytes, isEndpoint: (url) => late.isEndpoint(url),
  });
  return {
    metrics,
    tokenMetrics: new TokenMetrics(metrics.registry),
    configMetrics: new ConfigMetrics(metrics.registry, config),
    accessLog,
    stop: stopSyncMetrics,
  };
}
