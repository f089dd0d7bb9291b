import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { GatewayConfig } from '../config/schema.js';
import { redactUrl } from '../secrets/redact-url.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Where the Redis store lives: one server, a Sentinel-managed primary, or a Cluster. */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'sentinel'; sentinels: readonly HostPort[]; name: string; password?: string; sentinelPassword?: string }
  | { kind: 'cluster'; nodes: readonly HostPort[]; password?: string };

type RedisStoreConfig = Extract<GatewayConfig['store'], { type: 'redis' }>;

/** The target named by a validated `store` config (the schema guarantees exactly one way). */
export function targetFromConfig(s: RedisStoreConfig): RedisTarget {
  if (s.sentinels) return { kind: 'sentinel', sentinels: s.sentinels, name: s.name!, password: s.password, sentinelPassword: s.sentinelPassword };
  if (s.cluster) return { kind: 'cluster', nodes: s.cluster, password: s.password };
  return { kind: 'single', url: s.url! };
}

/** For logs and the start-up error: never a password. */
export function describeTarget(t: RedisTarget): string {
  const list = (a: readonly HostPort[]) => a.map((n) => `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`).join(',');
  switch (t.kind) {
    case 'single':
      return redactUrl(t.url);
    case 'sentinel':
      return `sentinel primary "${t.name}" via ${list(t.sentinels)}`;
    case 'cluster':
      return `cluster ${list(t.nodes)}`;
  }
}

/** Options every connection of ours shares (set by RedisConnection: no queue, no retries, timeouts). */
export type BaseOptions = Omit<RedisOptions, 'sentinels' | 'name' | 'host' | 'port'>;

/**
 * The command connection: a Redis for one server or a Sentinel primary (ioredis asks the
 * sentinels for the primary on every (re)connect), or a Cluster, which routes each command to
 * the node of its slot.
 */
export function commandClient(t: RedisTarget, o: BaseOptions): Redis | Cluster {
  switch (t.kind) {
    case 'single':
      return new Redis(t.url, o);
    case 'sentinel':
      return new Redis(sentinelOptions(t, o));
    case 'cluster': {
      const { retryStrategy, enableOfflineQueue, lazyConnect, ...perNode } = o;
      const options: ClusterOptions = {
        lazyConnect,
        enableOfflineQueue,
        clusterRetryStrategy: retryStrategy ?? undefined,
        // Learn a failover within about a second even when no command ran into it.
        slotsRefreshInterval: 1000,
        slotsRefreshTimeout: 1000,
        // A command to a slot whose primary just died is answered store_unavailable, never queued.
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        redisOptions: { ...perNode, password: t.password },
      };
      return new Cluster(t.nodes.map((n) => ({ host: n.host, port: n.port })), options);
    }
  }
}

/**
 * The subscriber's connection. One server and Sentinel: the same place as the commands (the
 * primary). Cluster: one node, any role (Redis Cluster forwards every PUBLISH to every node
 * over its bus); the caller picks it and moves to another when it goes away.
 */
export function subscriberClient(t: RedisTarget, o: BaseOptions, node?: HostPort): Redis {
  switch (t.kind) {
    case 'single':
      return new Redis(t.url, o);
    case 'sentinel':
      return new Redis(sentinelOptions(t, o));
    case 'cluster':
      return new Redis({ ...o, host: node!.host, port: node!.port, password: t.password });
  }
}

function sentinelOptions(t: Extract<RedisTarget, { kind: 'sentinel' }>, o: BaseOptions): RedisOptions {
  return {
    ...o,
    sentinels: t.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: t.name,
    role: 'master',
    password: t.password,
    sentinelPassword: t.sentinelPassword,
    // No failoverDetector: its +switch-master handler aborts a reconnect already under way and
    // ioredis then ends the client for good (seen in test/redis/sentinel-failover.test.ts). A dead
    // primary drops us anyway, and every reconnect asks the sentinels afresh.
    // A primary demoted behind our back answers READONLY: reconnect, the sentinels name the new one.
    reconnectOnError: (err) => /^READONLY\b/.test(err.message),
    sentinelRetryStrategy: (times) => Math.min(times * 100, 1000),
  };
}
