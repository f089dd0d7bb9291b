import type { StateChange } from '../store/types.js';

/**
 * What the primary and its workers say to each other over the cluster IPC channel. Every
 * message of ours carries `hlgw`, so prom-client's own messages (metrics aggregation) pass by.
 */
export type WorkerMessage =
  /** The worker's proxy listener is up; `operator`: its loopback admin listener, when the operator API is on. */
  | { hlgw: 'listening'; proxy: string; operator?: string }
  /** A change this worker wrote to the shared SQLite file, for the primary to pass to the others. */
  | { hlgw: 'change'; change: StateChange; publishedAt: number }
  | { hlgw: 'ready-reply'; id: number; ready: boolean; detail: Record<string, unknown> | string };

export type PrimaryMessage =
  | { hlgw: 'change'; change: StateChange; publishedAt: number }
  | { hlgw: 'ready-ask'; id: number }
  /** SIGTERM reached the primary: answer with Connection: close until the SIGTERM that follows. */
  | { hlgw: 'drain' };

export function isHlgwMessage<T extends { hlgw: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { hlgw?: unknown }).hlgw === 'string';
}
