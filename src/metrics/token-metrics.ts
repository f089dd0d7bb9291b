import { Counter, Gauge, type Registry } from 'prom-client';
import type { RevokeReason } from '../store/types.js';

const REVOKE_REASONS: readonly RevokeReason[] = ['revoked', 'renewed', 'reparented', 'leaked'];

/** `hlgw_build_info{version,node} 1`: which release each instance runs (set once at start). */
export function registerBuildInfo(registry: Registry, version: string): void {
  new Gauge({ name: 'hlgw_build_info', help: 'Always 1; the labels say which hlgw version and Node.js runtime this instance runs', labelNames: ['version', 'node'], registers: [registry], aggregator: 'max' })
    .set({ version, node: process.version }, 1);
}

/**
 * Tokens issued and revoked one by one, by reason (`renewed`: the previous token of a user who
 * got a new one; `reparented`: its company moved under another root). A whole generation voided
 * at once (a portfolio disabled, a pass phrase changed) is not counted here: it is no per-token write.
 * Never on the proxy path: only the /auth endpoints, the portal and the operator API issue or revoke.
 */
export class TokenMetrics {
  private readonly issuedTotal: Counter;
  private readonly revokedTotal = new Map<RevokeReason, { inc(n: number): void }>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.issuedTotal = new Counter({ name: 'hlgw_tokens_issued_total', help: 'Tokens issued (first tokens and renewals)', registers });
    const revoked = new Counter({ name: 'hlgw_tokens_revoked_total', help: 'Tokens revoked one by one, by reason (renewed: replaced by a new token of the same user; leaked: reported leaked)', labelNames: ['reason'], registers });
    for (const r of REVOKE_REASONS) {
      revoked.inc({ reason: r }, 0); // every series from the start, for rate() and increase()
      this.revokedTotal.set(r, revoked.labels(r));
    }
  }

  issued(): void {
    this.issuedTotal.inc();
  }

  revoked(reason: RevokeReason, count: number): void {
    // A reason not listed above (a newer one) is not counted rather than thrown on after the write.
    if (count > 0) this.revokedTotal.get(reason)?.inc(count);
  }
}
