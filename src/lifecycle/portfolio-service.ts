import { GatewayError } from '../errors.js';
import type { MasterKey } from '../secrets/master-key.js';
import { VOIDS_KEPT, type GenerationVoid, type PortfolioRecord, type PortfolioStore, type VoidReason } from '../store/types.js';
import { stretchPassphrase } from '../token/derive-key.js';
import { SCOPE_NAME_PATTERN } from '../config/scope-rules.js';
import type { TokenState } from '../state/token-state.js';
import type { WebhookAnnouncer } from './webhook-events.js';

const PASSPHRASE_MIN = 10;
const ALLOWED_SCOPES_MAX = 64;
const PASSPHRASE_MAX = 255;
export const DURATION_MAX_MINUTES = 1_000_000;
/** Duration of a portfolio that never set one: 90 days. */
const DEFAULT_DURATION_MINUTES = 90 * 24 * 60;

export interface PolicyUpdate {
  enabled?: boolean;
  passphrase?: string;
  durationMinutes?: number;
  /** The scopes users may give named tokens; null = every scope (the default). Names are checked by the caller. */
  allowedScopes?: string[] | null;
}

export interface PolicyView {
  companyId: string;
  allowed: boolean;
  enabled: boolean;
  passphraseSet: boolean;
  durationMinutes: number;
  generation: number;
  updatedAt: string | null;
  /** Absent = every scope the gateway knows. */
  allowedScopes?: string[];
}

/**
 * A portfolio's token policy. Disabling or re-enabling, or a new pass phrase, bumps the key
 * generation: every token sealed under an older generation is void at once.
 */
export class PortfolioService {
  constructor(
    private readonly store: PortfolioStore,
    private readonly state: TokenState,
    private readonly masterKey: MasterKey,
    private readonly now: () => number,
    /** Webhooks: policy.changed goes into the store with the policy. */
    private readonly announce?: WebhookAnnouncer,
  ) {}

  async get(companyId: string): Promise<PolicyView> {
    const r = await this.store.getPortfolio(companyId);
    return view(companyId, this.state.isAllowed(companyId), r);
  }

  /** Validates every field (all errors at once, each naming its field), then writes. */
  async update(companyId: string, u: PolicyUpdate): Promise<{ view: PolicyView; changed: string[] }> {
    if (!this.state.isAllowed(companyId)) throw new GatewayError('portfolio_not_allowed');
    const problems = validatePolicyUpdate(u);
    if (problems.length > 0) throw new GatewayError('validation_failed', problems.join('; '));

    const cur = await this.store.getPortfolio(companyId);
    const next: PortfolioRecord = cur
      ? { ...cur }
      : { companyId, enabled: false, generation: 0, durationMinutes: DEFAULT_DURATION_MINUTES, sealedKey: null, updatedAt: 0 };
    const changed: string[] = [];
    let bump = false;
    if (u.passphrase !== undefined) {
      // Sealed: the stretched pass phrase, not a key. The generation-bound token key is derived from it
      // (and the master key's pepper) whenever the policy is loaded (src/state/state-sync.ts toRuntime).
      next.sealedKey = this.masterKey.seal(await stretchPassphrase(u.passphrase, companyId), companyId);
      changed.push('passphrase');
      bump = true;
    }
    if (u.enabled !== undefined && u.enabled !== next.enabled) {
      next.enabled = u.enabled;
      changed.push('enabled');
      bump = true;
    }
    if (u.durationMinutes !== undefined && u.durationMinutes !== next.durationMinutes) {
      next.durationMinutes = u.durationMinutes;
      changed.push('durationMinutes');
    }
    if (u.allowedScopes !== undefined && !sameScopes(u.allowedScopes, next.allowedScopes)) {
      if (u.allowedScopes === null) delete next.allowedScopes;
      else next.allowedScopes = [...new Set(u.allowedScopes)];
      changed.push('allowedScopes');
    }
    if (next.enabled && !next.sealedKey) throw new GatewayError('validation_failed', 'passphrase: required to enable user tokens');
    if (bump || next.generation === 0) next.generation += 1;
    next.updatedAt = this.now();
    // Tokens of the generation that ends here list as voided at this time, for this reason.
    if (bump && cur) next.voids = recordVoid(cur.voids, next.generation, next.updatedAt, changed.includes('passphrase') ? 'passphrase_changed' : 'reset');
    await this.store.putPortfolio(next, changed.length > 0 ? this.announce?.policyChanged(next, changed, next.updatedAt) : undefined);
    return { view: view(companyId, true, next), changed };
  }
}

/** Appends one generation change, keeping the newest VOIDS_KEPT. */
export function recordVoid(voids: readonly GenerationVoid[] | undefined, generation: number, at: number, reason: VoidReason): GenerationVoid[] {
  return [...(voids ?? []), { generation, at, reason }].slice(-VOIDS_KEPT);
}

function sameScopes(a: readonly string[] | null, b: readonly string[] | undefined): boolean {
  if (a === null || b === undefined) return a === null && b === undefined;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function validatePolicyUpdate(u: PolicyUpdate): string[] {
  const problems: string[] = [];
  if (u.enabled !== undefined && typeof u.enabled !== 'boolean') problems.push('enabled: expected true or false');
  if (u.passphrase !== undefined) {
    if (typeof u.passphrase !== 'string') problems.push('passphrase: expected a string');
    else {
      // Characters, not bytes: a non-ASCII pass phrase counts like any other.
      const n = [...u.passphrase].length;
      if (n < PASSPHRASE_MIN || n > PASSPHRASE_MAX) problems.push(`passphrase: expected ${PASSPHRASE_MIN} to ${PASSPHRASE_MAX} characters`);
    }
  }
  if (u.durationMinutes !== undefined &&
      (typeof u.durationMinutes !== 'number' || !Number.isInteger(u.durationMinutes) || u.durationMinutes < 1 || u.durationMinutes > DURATION_MAX_MINUTES)) {
    problems.push(`durationMinutes: expected an integer from 1 to ${DURATION_MAX_MINUTES}`);
  }
  if (u.allowedScopes !== undefined && u.allowedScopes !== null &&
      (!Array.isArray(u.allowedScopes) || u.allowedScopes.length > ALLOWED_SCOPES_MAX || !u.allowedScopes.every((x) => typeof x === 'string' && SCOPE_NAME_PATTERN.test(x)))) {
    problems.push(`allowedScopes: expected null or a list of at most ${ALLOWED_SCOPES_MAX} scope names`);
  }
  return problems;
}

function view(companyId: string, allowed: boolean, r: PortfolioRecord | undefined): PolicyView {
  return {
    companyId,
    allowed,
    enabled: r?.enabled ?? false,
    passphraseSet: Boolean(r?.sealedKey),
    durationMinutes: r?.durationMinutes ?? DEFAULT_DURATION_MINUTES,
    generation: r?.generation ?? 0,
    updatedAt: r && r.updatedAt ? new Date(r.updatedAt).toISOString() : null,
    ...(r?.allowedScopes ? { allowedScopes: r.allowedScopes } : {}),
  };
}
