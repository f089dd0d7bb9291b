import type { Clock } from '../clock.js';

export interface RateLimitOptions {
  maxFailures: number;
  windowSeconds: number;
  /** Bound on remembered keys (logins + addresses); the oldest are dropped first. */
  maxKeys?: number;
}

/**
 * Failed logins counted per login and per client address over a sliding window (the injected
 * clock decides the time). A key with `maxFailures` failures in the window is refused until
 * the oldest of them leaves it; `blockedFor` says how long, for Retry-After.
 */
export class LoginRateLimiter {
  /** key → failure times (ms), oldest first; never longer than maxFailures. */
  private readonly failures = new Map<string, number[]>();
  private readonly windowMs: number;
  private readonly maxKeys: number;

  constructor(private readonly clock: Clock, private readonly o: RateLimitOptions) {
    this.windowMs = o.windowSeconds * 1000;
    this.maxKeys = o.maxKeys ?? 100_000;
  }

  /** Seconds until a login attempt is accepted again; 0 when it may proceed now. */
  blockedFor(login: string, address: string): number {
    return Math.max(this.waitFor(loginKey(login)), this.waitFor(addressKey(address)));
  }

  recordFailure(login: string, address: string): void {
    this.add(loginKey(login));
    this.add(addressKey(address));
  }

  /** A successful login clears that login's count (not the address's: one good account must not unlock guessing others). */
  recordSuccess(login: string): void {
    this.failures.delete(loginKey(login));
  }

  private waitFor(key: string): number {
    const times = this.live(key);
    if (times === undefined || times.length < this.o.maxFailures) return 0;
    return Math.ceil((times[0]! + this.windowMs - this.clock.now()) / 1000);
  }

  private add(key: string): void {
    const times = this.live(key) ?? [];
    times.push(this.clock.now());
    if (times.length > this.o.maxFailures) times.shift();
    this.failures.delete(key); // re-insert: Map order = least recently failed first
    this.failures.set(key, times);
    if (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
  }

  private live(key: string): number[] | undefined {
    const times = this.failures.get(key);
    if (times === undefined) return undefined;
    const cutoff = this.clock.now() - this.windowMs;
    while (times.length > 0 && times[0]! <= cutoff) times.shift();
    if (times.length === 0) {
      this.failures.delete(key);
      return undefined;
    }
    return times;
  }
}

function loginKey(login: string): string {
  return `l:${login.toLowerCase()}`;
}
function addressKey(address: string): string {
  return `a:${address}`;
}
