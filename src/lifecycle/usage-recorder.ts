import type { TokenStore, TokenUse } from '../store/types.js';

/**
 * last_used_at and last_used_ip without touching the store per request: the hot path sets two map
 * entries (no object per request), a timer writes the batch. At most one flush interval of last-use times is lost on a crash,
 * which is acceptable for an informational field.
 */
const FLUSH_CHUNK = 500;

export class UsageRecorder {
  private pending = new Map<string, number>();
  private addresses = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: TokenStore, private readonly now: () => number, private readonly onError: (err: unknown) => void) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** `address`: the client as the gateway trusts it (src/http/forwarded-headers.ts clientAddress). */
  touch(tokenId: string, address?: string): void {
    this.pending.set(tokenId, this.now());
    if (address !== undefined) this.addresses.set(tokenId, address);
  }

  async flush(): Promise<void> {
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
