import { LRUCache } from 'lru-cache';
import type { Clock } from '../../clock.js';

/**
 * The SAML replay cache: an assertion id is accepted once, and remembered until the assertion
 * itself expires (its NotOnOrAfter plus the skew), after which the time checks refuse it anyway.
 */
export interface SeenAssertionIds {
  /** True the first time `id` is offered before `until` (ms since the epoch); false for a replay. */
  firstSeen(id: string, until: number): Promise<boolean>;
}

/**
 * In process memory, bounded: a flood of assertions (each needs the IdP's signature, so only the
 * IdP can make them) evicts the oldest. An evicted id is still refused on replay by the pending
 * sign-in it answered, which is gone after one use (InResponseTo must match a pending request).
 */
export class MemorySeenAssertionIds implements SeenAssertionIds {
  private readonly ids: LRUCache<string, true>;

  constructor(private readonly clock: Clock, max = 100_000) {
    // The ttl here is only a default; every set() gives the assertion's own.
    this.ids = new LRUCache({ max, ttl: 60_000, perf: { now: () => clock.now() } });
  }

  async firstSeen(id: string, until: number): Promise<boolean> {
    if (this.ids.has(id)) return false;
    this.ids.set(id, true, { ttl: Math.max(1, until - this.clock.now()) });
    return true;
  }
}
