import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayProcess } from './gateway-process.js';
import type { DemoUser } from './lifecycle.js';

/** A revocation the gateway acknowledged (204): it must be enforced everywhere afterwards. */
export interface AckedRevocation {
  stream: string;
  tokenId: string;
  token: string;
  at: number;
}

export interface StreamSpec {
  /** Label in the counts, e.g. `A (minReplicasAcked 1)`. */
  name: string;
  gateway: GatewayProcess;
  /** Issues with Basic as this user, then revokes the token with the token itself. */
  user: DemoUser;
}

/** The status recorded for a request that got no answer (connection refused, reset, closed): a failure. */
const NO_ANSWER = 0;

/** How many requests a stop must not wait behind: every loop checks the flag between requests. */
const PAUSE_AFTER_FAILURE_MS = 50;

/**
 * Bounded load for the failover tests: on every gateway a steady Bearer request at a time (one
 * long-lived token), and per stream a loop of issue → revoke (DELETE with the token itself),
 * recording each 204. Everything stops at `stop()` or at the hard deadline given to `start()`.
 */
export class FailoverLoad {
  readonly acked: AckedRevocation[] = [];
  /** Bearer answers by status (NO_ANSWER: none), per gateway name. */
  readonly bearer = new Map<string, Map<number, number>>();
  /** When each Bearer request answered 200, per gateway name (for servedBy). */
  private readonly servedAt = new Map<string, number[]>();
  /** Non-204 answers of the revocation streams, by `code` (or status). */
  readonly refused = new Map<string, number>();
  private running = false;
  private loops: Promise<void>[] = [];
  private deadline = 0;

  constructor(private readonly steadyToken: string, private readonly gateways: GatewayProcess[], private readonly streams: StreamSpec[]) {}

  start(maxMs: number): void {
    this.running = true;
    this.deadline = Date.now() + maxMs;
    this.loops = [...this.gateways.map((g) => this.bearerLoop(g)), ...this.streams.map((s) => this.revocationLoop(s))];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private get live(): boolean {
    return this.running && Date.now() < this.deadline;
  }

  ackedBy(stream: string, after = 0): AckedRevocation[] {
    return this.acked.filter((a) => a.stream === stream && a.at > after);
  }

  /** Bearer answers of status >= 500 on every gateway. */
  get bearer5xx(): number {
    let n = 0;
    for (const m of this.bearer.values()) for (const [status, count] of m) if (status >= 500) n += count;
    return n;
  }

  /** Requests that got no answer at all, Bearer and revocation streams together: each one is a failure. */
  get unanswered(): number {
    let n = 0;
    for (const [what, count] of this.refused) if (what.startsWith('no answer')) n += count;
    for (const m of this.bearer.values()) n += m.get(NO_ANSWER) ?? 0;
    return n;
  }

  /** Bearer requests `gateway` answered 200 after `after` (ms since the epoch). */
  servedBy(gateway: string, after = 0): number {
    return (this.servedAt.get(gateway) ?? []).filter((t) => t > after).length;
  }

  get bearerServed(): number {
    let n = 0;
    for (const m of this.bearer.values()) n += m.get(200) ?? 0;
    return n;
  }

  /**
   * Per stream: acknowledged revocations, and how many of them some instance in `checkOn` still
   * accepts (lost). Instances started after the failover read only what the store kept.
   */
  async lost(checkOn: GatewayProcess[]): Promise<Record<string, { acked: number; lost: number }>> {
    const out: Record<string, { acked: number; lost: number }> = {};
    for (const s of this.streams) out[s.name] = { acked: 0, lost: 0 };
    for (const a of this.acked) {
      const counts = out[a.stream]!;
      counts.acked++;
      const statuses = await Promise.all(checkOn.map(async (g) => (await g.useToken(a.token)).status));
      if (statuses.some((st) => st !== 401)) {
        counts.lost++;
        if (process.env.HLGW_TEST_STEPS) console.log(`lost ${a.stream} ${a.tokenId} at ${a.at}: ${statuses.join(',')}`);
      }
    }
    return out;
  }

  private async bearerLoop(g: GatewayProcess): Promise<void> {
    const byStatus = new Map<number, number>();
    const served: number[] = [];
    this.bearer.set(g.name, byStatus);
    this.servedAt.set(g.name, served);
    while (this.live) {
      const status = await g.useToken(this.steadyToken).then((r) => r.status, () => NO_ANSWER);
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      if (status === 200) served.push(Date.now());
      // A gateway that does not answer fails at once; the pause keeps the loop from spinning on it.
      else if (status === NO_ANSWER) await sleep(PAUSE_AFTER_FAILURE_MS);
    }
  }

  private async revocationLoop(s: StreamSpec): Promise<void> {
    while (this.live) {
      const issued = await s.gateway.request('POST', '/auth/oauth/authorize', { as: s.user }).catch(noAnswer);
      if (typeof issued === 'string' || issued.status !== 200) {
        this.note(typeof issued === 'string' ? issued : `issue ${issued.json().code ?? issued.status}`);
        await sleep(PAUSE_AFTER_FAILURE_MS);
        continue;
      }
      const t = issued.json<{ access_token: string; token_id: string }>();
      const r = await s.gateway.request('DELETE', `/auth/tokens/${t.token_id}`, { bearer: t.access_token }).catch(noAnswer);
      if (typeof r === 'string') this.note(r);
      else if (r.status === 204) this.acked.push({ stream: s.name, tokenId: t.token_id, token: t.access_token, at: Date.now() });
      else this.note(`revoke ${r.json().code ?? r.status}`);
    }
  }

  private note(what: string): void {
    this.refused.set(what, (this.refused.get(what) ?? 0) + 1);
  }
}

/** A request that failed without an answer (or whose answer broke the OpenAPI contract), as a `refused` key. */
function noAnswer(err: unknown): string {
  return `no answer (${err instanceof Error ? err.message.split('\n')[0]!.slice(0, 80) : String(err)})`;
}
