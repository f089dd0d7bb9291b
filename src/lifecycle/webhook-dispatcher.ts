import { createHash } from 'node:crypto';
import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Outbox, OutboxEntry, TokenRecord, WebhookEventType } from '../store/types.js';
import type { WebhookAnnouncer } from './webhook-events.js';
import { signedRequest, type WebhookRequest } from './webhook-request.js';

/** Sends one request; resolves true on a 2xx answer within the time limit, false otherwise (never rejects). */
type WebhookPost = (url: string, req: WebhookRequest, timeoutMs: number) => Promise<boolean>;

/** What delivery reports (metrics). */
interface DeliveryReport {
  count(event: string, result: 'delivered' | 'failed' | 'dropped'): void;
  depth(n: number): void;
}

export interface DispatcherDeps {
  store: Outbox;
  notifications: GatewayConfig['notifications'];
  announce: WebhookAnnouncer;
  post: WebhookPost;
  report: DeliveryReport;
  log: Logger;
  /** The injected clock: due times, back-off, horizon, expiry leads. */
  now: () => number;
  /** Wall-clock seconds for `webhook-timestamp` (the receiver compares it with its own clock). */
  wallSeconds: () => number;
  /** In [0, 1): the back-off's jitter. */
  random: () => number;
  /** Only tokens that still work are announced as expiring (TokenService.status). */
  isActive: (r: TokenRecord) => boolean;
}

/** The first retry waits about this long; each next one twice as long, up to retryMaxDelaySeconds. */
const FIRST_RETRY_MS = 5_000;
/** Entries claimed per round (delivered side by side); rounds repeat until none is due. */
const BATCH = 20;

/**
 * Delivers the outbox (src/store/types.ts Outbox) off the request path: claims due events with a
 * lease (one instance at a time has each), POSTs each to every webhook that wants its type and has
 * not accepted it yet, then settles it (all accepted), defers it (exponential back-off with
 * jitter, capped), or drops it past the retry horizon. At least once: a receiver deduplicates on
 * `webhook-id`. Also finds the tokens about to expire (token.expiring, once per token and lead).
 */
export class WebhookDispatcher {
  private readonly leaseMs: number;
  private running = false;

  constructor(private readonly d: DispatcherDeps) {
    // Longer than a round can take (every POST of a round runs side by side, each within the time limit).
    this.leaseMs = 2 * d.notifications.timeoutMs + 30_000;
  }

  /** Delivers every event due now; resolves with how many were settled (delivered or dropped). A round already running is not doubled. */
  async deliverDue(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      let settled = 0;
      for (;;) {
        const batch = await this.d.store.claimOutbox(this.d.now(), this.leaseMs, BATCH);
        const done = await Promise.all(batch.map((e) => this.deliver(e)));
        settled += done.filter(Boolean).length;
        if (batch.length < BATCH) break;
      }
      this.d.report.depth(await this.d.store.outboxDepth());
      return settled;
    } finally {
      this.running = false;
    }
  }

  /** Queues token.expiring for each (token, lead) not announced yet; resolves with how many were queued. */
  async scanExpiring(): Promise<number> {
    const leads = this.d.notifications.expiringLeadMinutes;
    if (!this.d.announce.wants('token.expiring') || leads.length === 0) return 0;
    const now = this.d.now();
    const tokens = (await this.d.store.listExpiringTokens(now, Math.max(...leads) * 60_000)).filter(this.d.isActive);
    let queued = 0;
    for (const t of tokens) {
      for (const lead of leads) {
        if (t.expiresAt - now > lead * 60_000) continue;
        const mark = { tokenId: t.tokenId, leadMinutes: lead, keepUntil: t.expiresAt };
        if (await this.d.store.enqueueOnce(mark, this.d.announce.expiring(t, lead, now))) queued++;
      }
    }
    return queued;
  }

  /** True when settled (delivered everywhere, or dropped). */
  private async deliver(entry: OutboxEntry): Promise<boolean> {
    const { event } = entry;
    const targets = this.d.notifications.webhooks.filter((w) => wantsType(w.events, event.type) && !entry.delivered.includes(urlMark(w.url)));
    const sentAt = this.d.wallSeconds();
    const ok = await Promise.all(targets.map((w) => this.d.post(w.url, signedRequest(event, w.secret, sentAt), this.d.notifications.timeoutMs)));
    for (const good of ok) this.d.report.count(event.type, good ? 'delivered' : 'failed');
    const delivered = [...entry.delivered, ...targets.filter((_, i) => ok[i]).map((w) => urlMark(w.url))];
    if (ok.every(Boolean)) {
      await this.d.store.settleOutbox(entry);
      return true;
    }
    const now = this.d.now();
    const horizon = event.at + this.d.notifications.retryHorizonMinutes * 60_000;
    if (now >= horizon) {
      this.d.log.warn({ event: event.type, id: event.id, attempts: entry.attempts + 1 }, 'webhook event dropped: not accepted within notifications.retryHorizonMinutes');
      this.d.report.count(event.type, 'dropped');
      await this.d.store.settleOutbox(entry);
      return true;
    }
    const attempts = entry.attempts + 1;
    await this.d.store.deferOutbox({ event, attempts, delivered }, Math.min(now + this.backoff(attempts), horizon));
    return false;
  }

  /** Exponential, capped, with jitter: a random wait between half and all of the step. */
  private backoff(attempts: number): number {
    const step = Math.min(FIRST_RETRY_MS * 2 ** Math.min(attempts - 1, 30), this.d.notifications.retryMaxDelaySeconds * 1000);
    return Math.round(step * (0.5 + this.d.random() / 2));
  }
}

/** Which receiver accepted an entry, as the store keeps it: a hash, as a URL may carry a credential of the receiver's. */
function urlMark(url: string): string {
  return createHash('sha256').update(url).digest('base64url').slice(0, 22);
}

function wantsType(events: '*' | readonly WebhookEventType[], type: WebhookEventType): boolean {
  return events === '*' || events.includes(type);
}
