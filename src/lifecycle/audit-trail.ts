import type { Logger } from '../log.js';
import type { AuditEvent, Store } from '../store/types.js';

export interface AuditEntry {
  companyId: string;
  actor: string;
  action: AuditEvent['action'];
  /** Public facts only: token ids, field names, numbers. Never a token, password or pass phrase. */
  detail: Record<string, unknown>;
  clientAddress: string | null;
}

/**
 * Records who did what to which portfolio, when and from where. The action has already
 * happened when this runs, so a failed write is logged loudly rather than turned into an
 * error the client would read as "nothing happened".
 */
export class AuditTrail {
  constructor(private readonly store: Store, private readonly now: () => number, private readonly log: Logger) {}

  async record(e: AuditEntry): Promise<void> {
    const event: AuditEvent = { at: this.now(), ...e };
    this.log.info({ audit: { action: e.action, companyId: e.companyId, actor: e.actor, detail: e.detail, clientAddress: e.clientAddress } }, 'audit');
    try {
      await this.store.appendAudit(event);
    } catch (err) {
      this.log.error({ err: String(err), action: e.action, companyId: e.companyId }, 'could not write the audit record');
    }
  }
}
