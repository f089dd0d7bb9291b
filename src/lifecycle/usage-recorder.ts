import type { TokenStore, TokenUse } from '../store/types.js';

/**
 * last_used_at and last_used_ip without touching the store per request. A token's use is recorded
 * once per window (the first use in it: its time and client address); a timer writes the batch.
 * A token in constant use is written once a window, not once a flush: with 10,000 active tokens
 * that is what the store takes (GoCD, for one, writes its access tokens' last use once a minute),
 * and a request that is not the first of its token's window costs one Set lookup. At most
 * one flush interval of last-use times is lost on a crash, which is acceptable for an informational field.
 */
const FLUSH_CHUNK = 500;

export class UsageRecorder {
  private pending = new Map<string, number>();
  private addresses = new Map<string, string>();
  /** The tokens recorded in the current window. */
  private seen = new Set<string>();
  private windowStart: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<TokenStore, 'touchTokens'>,
    private readonly now: () => number,
    private readonly onError: (err: unknown) => void,
    /** How long a token's recorded use stands before its next use is recorded (DEFAULTS.lastUsedWindowMs). */
    private readonly windowMs: number,
  ) {
    this.windowStart = now();
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Whether this use of `tokenId` is to be recorded (the first in its window): ask before computing the address. */
  wants(tokenId: string): boolean {
    return !this.seen.has(tokenId);
  }

  /** `address`: the client as the gateway trusts it (src/http/forwarded-headers.ts clientAddress). */
  touch(tokenId: string, address?: string): void {
    if (this.seen.has(tokenId)) return;
    this.seen.add(tokenId);
    this.pending.set(tokenId, this.now());
    if (address !== undefined) this.addresses.set(tokenId, address);
  }

  async flush(): Promise<void> {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.seen = new Set();
      this.windowStart = now;
    }
    if (this.pending.size === 0) return;
    const batch = this.pending;
    const addresses = this.addresses;
    this.pending = new Map();
    this.addresses = new Map();
    // In chunks, yielding between them: SQLite writes synchronously, and one transaction for
    // 10,000 active tokens would hold the event loop (and every request) for tens of ms.
    let chunk = new Map<string, TokenUse>();
    try {
      for (const [id, at] of batch) {
        chunk.set(id, { at, ip: addresses.get(id) ?? null });
        if (chunk.size === FLUSH_CHUNK) {
          await this.store.touchTokens(chunk);
          chunk = new Map();
          await new Promise((r) => setImmediate(r));
        }
      }
      if (chunk.size > 0) await this.store.touchTokens(chunk);
    } catch (err) {
      // Keep the newer of the two times for the next attempt (chunks already written are harmless twice).
      for (const [id, at] of batch) {
        if ((this.pending.get(id) ?? 0) >= at) continue;
        this.pending.set(id, at);
        const ip = addresses.get(id);
        if (ip !== undefined) this.addresses.set(id, ip);
      }
      this.onError(err);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
