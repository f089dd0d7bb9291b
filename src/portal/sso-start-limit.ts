import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock.js';
import { GatewayError } from '../errors.js';

/** Remembered addresses: beyond this, the least recently seen are forgotten (bounded memory under a spray). */
const MAX_ADDRESSES = 10_000;

/**
 * A bound on `GET {prefix}/ui/sso/{name}/start` per client address. The start step needs no
 * credential and writes a pending sign-in to the store (a ten-minute record, shared by every
 * instance), so without it one client could fill the store as fast as it can send requests. A
 * person clicks "Sign in with …" a few times a minute at most. In process memory, per instance:
 * it stops one noisy address; a distributed flood is the load balancer's to rate-limit
 * (docs/OPERATIONS.md).
 */
export class SsoStartLimit {
  private readonly windows = new LRUCache<string, { start: number; count: number }>({ max: MAX_ADDRESSES });

  constructor(private readonly clock: Clock, private readonly perMinute: number) {}

  /** Throws `rate_limited` (with Retry-After) when `address` has started `perMinute` sign-ins in its current minute. */
  take(address: string): void {
    const now = this.clock.now();
    const w = this.windows.get(address);
    if (w === undefined || now - w.start >= 60_000) {
      this.windows.set(address, { start: now, count: 1 });
      return;
    }
    if (w.count >= this.perMinute) {
      throw new GatewayError('rate_limited', 'too many sign-ins started from this address; retry in a minute', { retryAfterSeconds: (w.start + 60_000 - now) / 1000 });
    }
    w.count++;
  }
}
