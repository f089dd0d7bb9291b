import { isGatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AuditEvent, AuditStore } from '../store/types.js';
import { listTreeAudit, type ListedEvent } from './tree-audit.js';

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
  constructor(private readonly store: AuditStore, private readonly now: () => number, private readonly log: Logger) {}

  /**
   * Runs a store write the client will be told about, then records it (`entry` may decline:
   * undefined). When the store could not confirm the write on enough replicas
   * (`store_not_replicated`, store.minReplicasAcked), the change is on the primary and may still
   * take effect although the client gets 503: the entry is recorded all the same, with
   * `replication: "unconfirmed"` (and `entry` gets no result), and the error goes on.
   */
  async write<T>(run: () => Promise<T>, entry: (result: T | undefined) => AuditEntry | undefined): Promise<T> {
    let result: T;
    try {
      result = await run();
    } catch (err) {
      const e = isGatewayError(err) && err.code === 'store_not_replicated' ? entry(undefined) : undefined;
      if (e) await this.record({ ...e, detail: { ...e.detail, replication: 'unconfirmed' } });
      throw err;
    }
    const e = entry(result);
    if (e) await this.record(e);
    return result;
  }

  async record(e: AuditEntry): Promise<void> {
    const event: AuditEvent = { at: this.now(), ...e };
    this.log.info({ audit: { action: e.action, companyId: e.companyId, actor: e.actor, detail: e.detail, clientAddress: e.clientAddress } }, 'audit');
    try {
      await this.store.appendAudit(event);
    } catch (err) {
      this.log.error({ err: String(err), action: e.action, companyId: e.companyId }, 'could not write the audit record');
    }
  }

  /** One page of the trails of `companies` (a manager's sub-tree), newest first (src/lifecycle/tree-audit.ts). */
  listTree(companies: readonly string[], opts: { limit: number; cursor: string | null }): Promise<{ events: ListedEvent[]; next: string | null }> {
    return listTreeAudit(this.store, companies, opts);
  }
}
