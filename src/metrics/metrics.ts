import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics.js';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import type { CacheOutcome, ValidatorObserver } from '../token/validator.js';

/** Auth method label values: closed, never user data. */
export type AuthLabel = 'none' | 'basic' | 'bearer' | 'other' | 'malformed';
/** What the gateway decided; upstream failures are counted in hlgw_upstream_errors_total. */
/** `{prefix}/verify` (src/endpoints/verify.ts): `allow` a valid Bearer token, `pass` untouched (Basic, other, none), `deny` refused. */
export type DecisionLabel = 'allow' | 'pass' | 'deny';

export type OutcomeLabel = 'forwarded' | 'rejected' | 'endpoint';
/**
 * How often the event-loop lag histogram (hlgw_nodejs_eventloop_lag_*) samples the loop. prom-client's
 * default, 10 ms, wakes an idle gateway 100 times a second (about 0.6 % of a core each, measured with
 * /proc/<pid>/stat on an idle `hlgw serve`); a stall long enough to matter still delays the next sample.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * `class` of hlgw_requests_total, indexed by the status's first digit (Math.floor(status / 100)):
 * a plain array read, no string built per request. 1xx is never final here (Upgrade is not
 * forwarded) and a status outside 1xx-5xx is invalid (RFC 9110 §15): both count as 5xx.
 */
const STATUS_CLASSES = ['5xx', '5xx', '2xx', '3xx', '4xx', '5xx', '5xx', '5xx', '5xx', '5xx'] as const;
/** `request`: the upstream request could not be built (an invalid header value); nothing was sent. */
export type UpstreamErrorKind = 'unreachable' | 'timeout' | 'reset' | 'request' | 'tls';
export type ValidationLabel = 'valid' | 'expired' | 'revoked' | 'unknown' | 'invalid' | 'wrong_portfolio' | 'portfolio_denied' | 'provider_gone' | 'disabled' | 'malformed' | 'unavailable'
  // identity.upstream: basic — the API refused the replayed credential (and the negative-cached repeats); no credential to replay.
  | 'credential_rejected' | 'credential_missing';

const AUTHS: readonly AuthLabel[] = ['none', 'basic', 'bearer', 'other', 'malformed'];
const OUTCOMES: readonly OutcomeLabel[] = ['forwarded', 'rejected', 'endpoint'];
const UPSTREAM_ERRORS: readonly UpstreamErrorKind[] = ['unreachable', 'timeout', 'reset', 'request', 'tls'];
/** Every `result` of hlgw_token_validations_total (docs/OPERATIONS.md explains each: a test checks). */
export const VALIDATION_LABELS: readonly ValidationLabel[] = ['valid', 'expired', 'revoked', 'unknown', 'invalid', 'wrong_portfolio', 'portfolio_denied', 'provider_gone', 'disabled', 'malformed', 'unavailable', 'credential_rejected', 'credential_missing'];

/** Error code → the `result` label of hlgw_token_validations_total. */
function validationLabel(code: ErrorCode | 'valid'): ValidationLabel {
  switch (code) {
    case 'valid': return 'valid';
    case 'token_expired': return 'expired';
    case 'token_revoked': return 'revoked';
    case 'token_unknown': return 'unknown';
    case 'token_invalid_seal': return 'invalid';
    case 'token_wrong_portfolio': return 'wrong_portfolio';
    case 'token_portfolio_denied': return 'portfolio_denied';
    case 'token_provider_gone': return 'provider_gone';
    case 'token_auth_disabled': return 'disabled';
    case 'token_store_stale': return 'unavailable';
    case 'credential_rejected': return 'credential_rejected';
    case 'credential_missing': return 'credential_missing';
    default: return 'malformed';
  }
}

type Inc = { inc(): void };
const FAILURE_CODES = ['internal', 'signing_key_unusable'] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];
/** prom-client default gauges whose names promtool rejects (README, "Metrics and health"). */
const PROMTOOL_REFUSED = ['hlgw_nodejs_active_handles_total', 'hlgw_nodejs_active_requests_total', 'hlgw_nodejs_active_resources_total'];
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
type Obs = { observe(v: number): void };

/**
 * The gateway's metrics, on a Registry of its own (prom-client's global one leaks between
 * gateways in one process). Label children are resolved once here, so the hot path calls
 * `.inc()` on a prepared child: no label object is built per request.
 */
export class GatewayMetrics implements ValidatorObserver {
  readonly registry = new Registry();
  /** auth → outcome → the child of each status class, indexed by the status's first digit. */
  private readonly requests = new Map<AuthLabel, Map<OutcomeLabel, readonly Inc[]>>();
  private readonly durations = new Map<AuthLabel, Obs>();
  private readonly validations = new Map<ValidationLabel, Inc>();
  private readonly cacheOutcomes = new Map<CacheOutcome, Inc>();
  private readonly upstreamErrors = new Map<UpstreamErrorKind, Inc>();
  private readonly endpointErrors = new Map<ErrorCode, Inc>();
  private readonly failures = new Map<FailureCode, Inc>();
  private readonly decisions = new Map<DecisionLabel, Inc>();
  readonly upstreamDuration: Obs;

  constructor(opts: { cacheEntries: () => number; revokedEntries: () => number; defaultMetrics?: boolean }) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: 'hlgw_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
      // `promtool check metrics` refuses a gauge named *_total (the suffix promises a counter).
      // Each is the sum over the `type` label of its unsuffixed twin, which stays: nothing is lost.
      for (const name of PROMTOOL_REFUSED) this.registry.removeSingleMetric(name);
    }

    // The request-path series are Fast*: resolved once here, plain additions per request.
    const requests = new FastCounter('hlgw_requests_total', 'Requests on the proxy port by auth method, outcome and status class', this.registry);
    for (const a of AUTHS) {
      this.requests.set(a, new Map(OUTCOMES.map((o) => {
        const byClass = new Map(['2xx', '3xx', '4xx', '5xx'].map((c) => [c, requests.child({ auth: a, outcome: o, class: c })]));
        return [o, STATUS_CLASSES.map((c) => byClass.get(c)!)];
      })));
    }

    const duration = new FastHistogram('hlgw_request_duration_seconds', 'Time from request to response end, by auth method', BUCKETS, this.registry);
    for (const a of AUTHS) this.durations.set(a, duration.child({ auth: a }));

    this.upstreamDuration = new FastHistogram('hlgw_upstream_duration_seconds', 'Time from forwarding to upstream response headers', BUCKETS, this.registry).child();
    const upErr = new Counter({ name: 'hlgw_upstream_errors_total', help: 'Upstream failures by kind', labelNames: ['kind'], registers });
    // inc(0): each series exists from the start, so sums in the alert rules never meet an empty vector.
    for (const k of UPSTREAM_ERRORS) {
      upErr.inc({ kind: k }, 0);
      this.upstreamErrors.set(k, upErr.labels(k));
    }

    const val = new FastCounter('hlgw_token_validations_total', 'Bearer token validations by result', this.registry);
    for (const v of VALIDATION_LABELS) this.validations.set(v, val.child({ result: v }));

    const cache = new FastCounter('hlgw_token_cache_requests_total', 'Verified-token cache lookups by outcome', this.registry);
    for (const c of ['hit', 'miss', 'negative_hit'] as const) this.cacheOutcomes.set(c, cache.child({ result: c }));

    // Every code pre-resolved, so an alert on code="rate_limited" sees a 0 series, not an absent one.
    const endpointErr = new FastCounter('hlgw_endpoint_errors_total', 'Errors answered by the /auth endpoints, by code (rate_limited: failed-login limit hit)', this.registry);
    for (const c of ERROR_CODES) this.endpointErrors.set(c, endpointErr.child({ code: c }));

    // A step of the request path failed (src/gateway/handle-request.ts): answered 5xx, the process lives on.
    const failures = new FastCounter('hlgw_request_failures_total', 'Proxy-port requests a step of the gateway failed to complete (answered 500 or 503), by code', this.registry);
    for (const c of FAILURE_CODES) this.failures.set(c, failures.child({ code: c }));

    // The decision mode's answers to an ingress (nginx auth_request), beside the requests they arrive as.
    const decisions = new FastCounter('hlgw_decisions_total', 'Answers of {prefix}/verify to an ingress, by decision (allow, pass untouched, deny)', this.registry);
    for (const c of ['allow', 'pass', 'deny'] as const) this.decisions.set(c, decisions.child({ decision: c }));

    new Gauge({ name: 'hlgw_token_cache_entries', help: 'Verified tokens in the cache', registers, collect() { this.set(opts.cacheEntries()); } });
    new Gauge({ name: 'hlgw_revoked_tokens', help: 'Revoked, unexpired token ids held in memory', registers, collect() { this.set(opts.revokedEntries()); } });
  }

  /** `status`: what the client was answered (res.statusCode once the exchange is over). */
  request(auth: AuthLabel, outcome: OutcomeLabel, status: number, seconds: number): void {
    this.requests.get(auth)!.get(outcome)![Math.floor(status / 100) % 10]!.inc();
    this.durations.get(auth)!.observe(seconds);
  }

  upstreamError(kind: UpstreamErrorKind): void {
    this.upstreamErrors.get(kind)!.inc();
  }

  endpointError(code: ErrorCode): void {
    this.endpointErrors.get(code)!.inc();
  }

  /** A request the gateway could not complete (`internal`: a step threw; `signing_key_unusable`: see docs/ERRORS.md). */
  requestFailure(code: FailureCode): void {
    this.failures.get(code)!.inc();
  }

  decision(d: DecisionLabel): void {
    this.decisions.get(d)!.inc();
  }

  cache(outcome: CacheOutcome): void {
    this.cacheOutcomes.get(outcome)!.inc();
  }

  result(code: ErrorCode | 'valid'): void {
    this.validations.get(validationLabel(code))!.inc();
  }
}
