import { randomBytes } from 'node:crypto';
import { WEBHOOK_EVENT_TYPES, type GatewayConfig } from '../config/schema.js';
import { tokenEventData } from '../store/outbox-events.js';
import type { OutboxEvent, TokenAnnouncement, TokenRecord, WebhookEventType } from '../store/types.js';

/** Reasons that are a leak report's (src/lifecycle/token-service.ts revoke): token.leaked is sent too. */
const LEAK_REASONS: ReadonlySet<string> = new Set(['leaked']);

/** A Standard Webhooks message id: unique per event, the receiver's key for deduplication. */
function newEventId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

/**
 * Builds the outbox events of a change (the services hand them to the store, which writes them
 * with the change). Only types some webhook subscribes to are built: with no webhook, nothing is
 * queued. Public fields only: never the token, its credential, a pass phrase or a secret.
 */
export class WebhookAnnouncer {
  private readonly wanted: ReadonlySet<WebhookEventType>;

  constructor(webhooks: GatewayConfig['notifications']['webhooks']) {
    this.wanted = new Set(webhooks.flatMap((w) => (w.events === '*' ? WEBHOOK_EVENT_TYPES : w.events)));
  }

  wants(type: WebhookEventType): boolean {
    return this.wanted.has(type);
  }

  /** A token issued: token.created, and token.revoked (renewed) for each token the renewal revoked. */
  issued(r: TokenRecord, now: number): TokenAnnouncement | undefined {
    const created = this.wants('token.created') ? [this.event('token.created', r.companyId, now, tokenEventData(r))] : [];
    const renewed = this.wants('token.revoked') ? { renewedIdPrefix: `${newEventId()}_` } : {};
    return created.length === 0 && !('renewedIdPrefix' in renewed) ? undefined : { events: created, ...renewed };
  }

  /**
   * A token revoked one by one: token.revoked with its reason; a leak sends token.leaked as well
   * (a receiver that follows revocations alone still hears of every one).
   */
  revoked(r: TokenRecord, reason: string, now: number): OutboxEvent[] {
    const data = tokenEventData(r, reason);
    return [
      ...(this.wants('token.revoked') ? [this.event('token.revoked', r.companyId, now, data)] : []),
      ...(LEAK_REASONS.has(reason) && this.wants('token.leaked') ? [this.event('token.leaked', r.companyId, now, data)] : []),
    ];
  }

  /** A policy written: what changed, never the pass phrase (only whether it changed). */
  policyChanged(p: { companyId: string; enabled: boolean; durationMinutes: number; generation: number }, changed: readonly string[], now: number): OutboxEvent[] {
    if (!this.wants('policy.changed')) return [];
    return [this.event('policy.changed', p.companyId, now, {
      company_id: p.companyId, enabled: p.enabled, duration_minutes: p.durationMinutes, passphrase_changed: changed.includes('passphrase'),
      generation: p.generation, changed: [...changed],
    })];
  }

  /** A token that expires within `leadMinutes`. */
  expiring(r: TokenRecord, leadMinutes: number, now: number): OutboxEvent {
    return this.event('token.expiring', r.companyId, now, { ...tokenEventData(r), lead_minutes: leadMinutes });
  }

  private event(type: WebhookEventType, companyId: string, at: number, data: OutboxEvent['data']): OutboxEvent {
    return { id: newEventId(), type, at, companyId, data };
  }
}
