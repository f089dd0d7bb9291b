import type { Clock } from '../../clock.js';
import type { SessionStore } from '../../store/types.js';
import { hashOf } from './pending-sign-ins.js';

/**
 * The SAML replay cache: an assertion id is accepted once, and remembered until the assertion
 * itself expires (its NotOnOrAfter plus the skew), after which the time checks refuse it anyway.
 */
export interface SeenAssertionIds {
  /** True the first time `id` is offered before `until` (ms since the epoch); false for a replay. */
  firstSeen(id: string, until: number): Promise<boolean>;
}

/**
 * In the store (a one-time record per id, under its SHA-256: ids are IdP-chosen strings of any
 * length), so an assertion accepted by one worker or instance is refused by every other.
 * Insert-if-absent is one atomic step in both stores: two concurrent posts of one assertion,
 * one wins.
 */
export class StoreSeenAssertionIds implements SeenAssertionIds {
  constructor(private readonly store: SessionStore, private readonly clock: Clock) {}

  firstSeen(id: string, until: number): Promise<boolean> {
    return this.store.putOnce('saml-assertion', hashOf(id), '1', until, this.clock.now());
  }
}
