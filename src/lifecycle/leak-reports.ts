import { GatewayError } from '../errors.js';
import { checkIssued } from '../token/check-issued.js';
import { readEnvelope } from '../token/envelope.js';
import { openSealed } from '../token/open-token.js';
import { TOKEN_MAX_CHARS } from '../token/scanner-pattern.js';
import type { VerificationState } from '../token/verification-state.js';
import type { AuditTrail } from './audit-trail.js';
import type { TokenService } from './token-service.js';

/**
 * What became of one reported token: `revoked` now, `already_revoked` (revoked before, or void
 * with its whole key generation: an older generation, a disabled or denied portfolio), `not_ours`
 * (the prefix, checksum or seal does not hold with any key in force), `unknown` (sealed with our
 * key, but no such token was issued: only a holder of the key could make one).
 */
type LeakVerdict = 'revoked' | 'already_revoked' | 'not_ours' | 'unknown';

/** One answer per reported token, in order. Never the token: its id when the seal opened. */
export interface LeakResult {
  index: number;
  result: LeakVerdict;
  tokenId?: string;
}

/** Who reported it (the audit's actor and detail). */
export interface LeakSource {
  via: 'operator' | 'github';
  clientAddress: string | null;
  /** Where the token was found (GitHub's `url`), when known. */
  urls?: readonly (string | undefined)[];
}

/** Failures of the seal that mean the token is void already: its key generation is over. */
const VOID: ReadonlySet<string> = new Set(['token_revoked', 'token_auth_disabled', 'token_portfolio_denied']);

/**
 * Leak reports (the operator API's POST /tokens/leaked, GitHub's secret scanning): a reported
 * token is opened with the key in force (the token is anonymous: only its key learns its id),
 * expired or not, then revoked with reason `leaked` through the TokenService (store, state and
 * every instance learn it as for any revocation) and audited `token.leaked` in its company.
 * One at a time, in order: a token reported twice is `already_revoked` the second time.
 */
export class LeakReports {
  constructor(private readonly d: { state: VerificationState; prefix: string; tokens: TokenService; audit: AuditTrail }) {}

  async report(tokens: readonly unknown[], source: LeakSource): Promise<LeakResult[]> {
    const out: LeakResult[] = [];
    for (let index = 0; index < tokens.length; index++) out.push({ index, ...(await this.one(tokens[index], source, index)) });
    return out;
  }

  /**
   * A portfolio that is enabled but whose key does not open with this master key: its tokens are
   * neither ours-and-void nor not ours, and come back once the key is restored. The report stops
   * (tokens before it in the list are handled; reporting again is safe), as issuing does.
   */
  private refuseWithoutKey(token: string): void {
    const e = readEnvelope(token, this.d.prefix);
    const p = e === undefined ? undefined : this.d.state.portfolio(e.companyId);
    if (p !== undefined && p.enabled && p.key === undefined) {
      throw new GatewayError('portfolio_not_enabled', 'a reported token\'s portfolio key cannot be unsealed with the current master key: restore it, then report again');
    }
  }

  private async one(token: unknown, source: LeakSource, index: number): Promise<Omit<LeakResult, 'index'>> {
    if (typeof token !== 'string' || token.length > TOKEN_MAX_CHARS) return { result: 'not_ours' };
    let claims;
    try {
      claims = openSealed(token, this.d.state, this.d.prefix);
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'token_auth_disabled') this.refuseWithoutKey(token);
      return { result: err instanceof GatewayError && VOID.has(err.code) ? 'already_revoked' : 'not_ours' };
    }
    const { tokenId, companyId, userId } = claims;
    const record = await this.d.tokens.get(tokenId);
    if (checkIssued(claims, record) !== undefined) return { result: 'unknown', tokenId };
    if (record!.revokedAt !== null) return { result: 'already_revoked', tokenId };
    const url = source.urls?.[index];
    const revoked = await this.d.audit.write(() => this.d.tokens.revoke(tokenId, 'leaked'), (done) => (done === false ? undefined : {
      companyId, actor: source.via === 'github' ? 'github-secret-scanning' : 'operator', action: 'token.leaked',
      detail: { tokenId, userId, via: source.via, ...(url === undefined ? {} : { url }) }, clientAddress: source.clientAddress,
    }));
    return { result: revoked ? 'revoked' : 'already_revoked', tokenId };
  }
}
