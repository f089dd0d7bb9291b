import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { GatewayConfig } from '../config/schema.js';
import { GatewayError } from '../errors.js';
import type { LoginAttemptStore, LoginBudget } from '../store/types.js';
import { normalizeLogin } from './normalize-login.js';

/** `endpoints.failedLogins`: a strict budget per login, a larger one per client address. */
export type FailedLoginLimits = GatewayConfig['endpoints']['failedLogins'];

/** One password check of a login attempt; `check` resolves undefined for wrong credentials. */
export interface LoginTry<T> {
  login: string;
  check: () => Promise<T | undefined>;
}

/**
 * Failed-login limits. Every password check first reserves a slot in two sliding-window
 * budgets kept in the store, atomically: the login's (normalised, so every spelling of a login
 * shares it) and the client address's. Only then does the check run. So concurrent guesses,
 * guesses spread over `server.workers` or, with Redis, over instances, get at most `maxFailures`
 * checks per window and budget; the rest are refused with `rate_limited` and Retry-After.
 *
 * The outcome settles the reservation: a wrong password keeps it (it is the failure); a right one
 * clears the login's budget and gives the address its slot back, so typing one's own password
 * right never costs the address; a check that throws (the user source could not tell) gives
 * both back, since nobody learnt anything. The per-login budget is strict (the right password
 * is refused too once it is spent); the per-address budget is larger and only slows spraying.
 */
export class LoginRateLimiter {
  constructor(
    private readonly store: LoginAttemptStore,
    private readonly clock: Clock,
    private limits: FailedLoginLimits,
  ) {}

  /** Swaps the limits (a config reload); attempts under way keep the limits they started with. */
  setLimits(limits: FailedLoginLimits): void {
    this.limits = limits;
  }

  /** The entry point: one login, one check. Resolves the check's value, or undefined when the credentials were wrong. */
  attempt<T>(login: string, address: string, check: () => Promise<T | undefined>): Promise<T | undefined> {
    return this.attemptEach(address, [{ login, check }]);
  }

  /**
   * Several spellings of one credential (raw, then form-decoded: RFC 6749 §2.3.1), tried in order
   * until one verifies; each try is a check and reserves its own slot. On success the address
   * gets back the slots of this request's earlier tries too: it was one person, spelled twice.
   */
  async attemptEach<T>(address: string, tries: readonly LoginTry<T>[]): Promise<T | undefined> {
    const l = this.limits;
    const addr: LoginBudget = { key: addressKey(address), max: l.perAddress.maxFailures, windowMs: l.perAddress.windowSeconds * 1000 };
    const id = randomBytes(9).toString('base64url');
    const spentByAddress: { key: string; member: string }[] = [];
    for (const [i, t] of tries.entries()) {
      const member = `${id}.${i}`;
      const login: LoginBudget = { key: loginKey(t.login), max: l.perLogin.maxFailures, windowMs: l.perLogin.windowSeconds * 1000 };
      const wait = await this.store.reserveLoginAttempt({ member, budgets: [login, addr], now: this.clock.now() });
      if (wait > 0) throw new GatewayError('rate_limited', undefined, { retryAfterSeconds: Math.ceil(wait / 1000) });
      let value: T | undefined;
      try {
        value = await t.check();
      } catch (err) {
        await this.store.settleLoginAttempt({ release: [{ key: login.key, member }, { key: addr.key, member }], clear: [] }).catch(() => undefined);
        throw err;
      }
      if (value !== undefined) {
        await this.store.settleLoginAttempt({ release: [...spentByAddress, { key: addr.key, member }], clear: [login.key] });
        return value;
      }
      spentByAddress.push({ key: addr.key, member });
    }
    return undefined;
  }
}

/**
 * Budget keys are hashes: the store never holds a login as typed (people type passwords into the
 * login field) nor a client address. Not a secret: a copy of the store can test guesses against them.
 */
function loginKey(login: string): string {
  return 'l:' + digest(normalizeLogin(login));
}
function addressKey(address: string): string {
  return 'a:' + digest(address);
}
function digest(s: string): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, 22);
}
