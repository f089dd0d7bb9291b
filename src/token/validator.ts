import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock.js';
import { GatewayError, rejection, type ErrorCode } from '../errors.js';
import type { VerificationState } from './verification-state.js';
import type { TokenRecord } from '../store/types.js';
import { cacheKeyOf } from './cache-key.js';
import { isCanonicalToken } from './canonical-token.js';
import { checkClaims } from './check-claims.js';
import { checkIssued } from './check-issued.js';
import type { TokenClaims } from './format.js';
import { openCanonical } from './open-token.js';
import { TurnBatch } from '../turn-batch.js';
import type { ScopeChecker } from './scopes.js';

/** A verified token as cached: its claims and whatever the caller precomputed from them. */
export interface VerifiedToken<T> {
  readonly claims: TokenClaims;
  readonly extra: T;
  /**
   * What the token's scopes allow (src/token/scopes.ts), built with `extra` on the miss; undefined
   * for `full` (the request path skips the check).
   */
  readonly scope: ScopeChecker | undefined;
  /** The cache key (hash of the token): lets a later verdict (src/identity/replay-rejections.ts) drop this entry. */
  readonly cacheKey: string;
}

export type CacheOutcome = 'hit' | 'miss' | 'negative_hit';

export interface ValidatorObserver {
  cache(outcome: CacheOutcome): void;
  result(code: ErrorCode | 'valid'): void;
}

/** One request's view of its validation (tracing, src/tracing/): the cache outcome, and the store read of a miss. */
export interface ValidationTrace {
  cache(outcome: CacheOutcome): void;
  /** Runs the store read of a miss (`read()`) inside its span: ended at once for a synchronous answer, else when it settles. */
  storeRead<R>(read: () => R): R;
}

/** A verification's outcome: the entry, or the refusal. */
type Verdict<T> = VerifiedToken<T> | GatewayError;

/** A miss waiting for the end of its turn (TokenValidator.verifyMisses). */
interface Miss<T> {
  readonly key: string;
  readonly token: string;
  readonly trace: ValidationTrace | undefined;
  readonly settle: (verdict: Verdict<T> | Promise<Verdict<T>>) => void;
  /** Rejects the miss's promise; nothing once it is settled. */
  readonly fault: (err: unknown) => void;
}

/** A store's record of a token id: at once from a store that reads synchronously (SQLite), else a promise. */
type IssuedRead = TokenRecord | undefined | Promise<TokenRecord | undefined>;

export interface ValidatorOptions<T> {
  state: VerificationState;
  /** `tokens.prefix`: every token starts with it. */
  prefix: string;
  clock: Clock;
  skewSeconds: number;
  maxEntries: number;
  negativeMaxEntries: number;
  negativeTtlSeconds: number;
  /**
   * The store's record of a token id (TokenStore.getToken, or getTokenNow where the store has it),
   * asked on a cache miss only: a token is valid only if the store issued it
   * (src/token/check-issued.ts). A throw or a rejection means the store cannot answer: the request
   * gets 503 token_store_stale, never a 401 or a 500. An answer given at once is admitted with the
   * other misses of its turn; a promise is waited for.
   */
  issuedRecord(tokenId: string): IssuedRead;
  /**
   * Built once per verified token and cached with it (what the upstream gets: src/identity/),
   * from the claims and the store's record fetched for the issued-id check. May throw a GatewayError.
   */
  prepare(claims: TokenClaims, record: TokenRecord): T;
  /** The scope checker of a token's scopes, built with `prepare` and cached with it (undefined = full). */
  scopeChecker?(scopes: readonly string[]): ScopeChecker | undefined;
  /**
   * Further checks of the issued record on a miss (the SSO provider binding). Only what cannot
   * change while the process runs may be checked here: a cached entry is not asked again.
   */
  checkRecord?(record: TokenRecord): ErrorCode | undefined;
  observer?: ValidatorObserver;
}

/** Only failures that depend on the token's bytes alone are remembered; state-dependent ones are not. */
const NEGATIVE_CACHEABLE: ReadonlySet<ErrorCode> = new Set(['token_malformed', 'token_invalid_seal']);


/**
 * Token validation = cache lookup (hash of the token → verified claims) or full opening on a
 * miss (canonical spelling, the seal, the claims, and the store's record of the token id), then
 * checkClaims on every request. Returns synchronously on a hit (no store call) and on a refusal of
 * the token's spelling, a promise on a miss (verified at the end of its turn, with the others).
 *
 * The key is SHA-256 of the whole token (src/token/cache-key.ts): a tampered token hashes
 * elsewhere, so it can never land on another token's entry, and the caches keep no raw token.
 */
export class TokenValidator<T> {
  private readonly cache: LRUCache<string, VerifiedToken<T>>;
  private readonly negative: LRUCache<string, ErrorCode> | undefined;
  /** Concurrent first uses of one token share one verification. */
  private readonly inflight = new Map<string, Promise<Verdict<T>>>();
  /** The misses of this turn of the event loop, verified together at its end (verifyMisses). */
  private readonly misses = new TurnBatch<Miss<T>>((misses) => this.verifyMisses(misses));

  constructor(private readonly o: ValidatorOptions<T>) {
    const perf = { now: () => o.clock.now() };
    // ttlResolution 0: every staleness check asks the clock. lru-cache's default (1 ms) reuses the
    // last reading for a millisecond, armed by a timer: an entry could outlive its TTL by that much,
    // and a timer was set on the hit path once per millisecond.
    this.cache = new LRUCache({ max: o.maxEntries, ttlAutopurge: false, ttlResolution: 0, perf });
    this.negative =
      o.negativeMaxEntries > 0 && o.negativeTtlSeconds > 0
        ? new LRUCache({ max: o.negativeMaxEntries, ttl: o.negativeTtlSeconds * 1000, ttlResolution: 0, perf })
        : undefined;
  }

  get size(): number {
    return this.cache.size;
  }

  /**
   * `conn`: the connection the token came on, which remembers its last token's cache key
   * (src/token/cache-key.ts). `trace` only when tracing is on (src/tracing/request-tracer.ts).
   */
  validate(token: string, conn?: object, trace?: ValidationTrace): VerifiedToken<T> | GatewayError | Promise<VerifiedToken<T> | GatewayError> {
    const key = cacheKeyOf(token, conn);
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.o.observer?.cache('hit');
      trace?.cache('hit');
      return this.finish(hit, key);
    }
    const known = this.negative?.get(key);
    if (known !== undefined) {
      this.o.observer?.cache('negative_hit');
      trace?.cache('negative_hit');
      return this.fail(known);
    }
    this.o.observer?.cache('miss');
    trace?.cache('miss');
    // Noise (wrong prefix, checksum, length) and other spellings of the same bytes are refused here,
    // synchronously, and remembered: one token, one cache entry, and a typo costs no decryption.
    if (!isCanonicalToken(token, this.o.prefix)) {
      this.negative?.set(key, 'token_malformed');
      return this.fail('token_malformed');
    }
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      pending = new Promise((settle, fault) => {
        this.misses.add({ key, token, trace, settle, fault });
      });
      this.inflight.set(key, pending);
    }
    return pending.then((r) => (r instanceof GatewayError ? r : this.finish(r, key)));
  }

  /**
   * The misses of one turn of the event loop, verified together at its end: first every seal
   * (node:crypto), then every store read, then every admission. One by one, each miss ran
   * OpenSSL's and SQLite's code between the sockets' work and the upstream's turns on a shared
   * core, with their caches cold; grouped, the first of a turn warms them for the others, and
   * under load most misses arrive several to a turn. The cold row of `npm run bench` costs 8 to 12
   * µs CPU less per request (bench/RESULTS.md, "Where the time goes"). A miss waits for nothing
   * more than the end of the turn it arrived in.
   */
  private verifyMisses(misses: readonly Miss<T>[]): void {
    try {
      this.verifyAll(misses);
    } catch (err) {
      // A fault, not a verdict (every verdict is caught where it is made): the misses not settled
      // yet fail (their requests get a 500), none waits forever, and the process goes on.
      for (const m of misses) {
        this.inflight.delete(m.key);
        m.fault(err);
      }
    }
  }

  private verifyAll(misses: readonly Miss<T>[]): void {
    const now = this.o.clock.now() / 1000;
    const opened = misses.map((m) => this.open(m.key, m.token, now));
    const reads = opened.map((claims, i) => (claims instanceof GatewayError ? claims : this.read(claims.tokenId, misses[i]!.trace)));
    misses.forEach((m, i) => {
      const claims = opened[i]!;
      this.settle(m, claims instanceof GatewayError ? claims : this.afterRead(m.key, claims, reads[i]!, now));
    });
  }

  /** A miss gets its verdict; the in-flight entry goes with a verdict given now (a store's wait removes its own). */
  private settle(m: Miss<T>, verdict: Verdict<T> | Promise<Verdict<T>>): void {
    if (!(verdict instanceof Promise)) this.inflight.delete(m.key);
    m.settle(verdict);
  }

  /**
   * The seal and the claims, or the refusal. What the state already decides (revoked, expired, the
   * duration) needs no store: such a token is refused without asking it, also while the store is
   * away. A revoked id stays revoked: remembered.
   */
  private open(key: string, token: string, now: number): TokenClaims | GatewayError {
    try {
      const claims = openCanonical(token, this.o.state, this.o.prefix);
      const known = checkClaims(claims, this.o.state, now, this.o.skewSeconds);
      if (known === undefined) return claims;
      if (known === 'token_revoked' && this.o.state.isRevoked(claims.tokenId)) this.negative?.set(key, known);
      return this.refused(key, rejection(known));
    } catch (err) {
      return this.refused(key, err);
    }
  }

  /** The store's record of the id: at once from a synchronous store, else a promise; a throw is the store unable to answer. */
  private read(tokenId: string, trace: ValidationTrace | undefined): IssuedRead | GatewayError {
    try {
      return trace === undefined ? this.o.issuedRecord(tokenId) : trace.storeRead(() => this.o.issuedRecord(tokenId));
    } catch {
      return rejection('token_store_stale');
    }
  }

  /**
   * The issued-id check on the record. A store that cannot answer (a throw, a rejection) is 503,
   * never a 401 or a 500, and nothing is negative-cached. One `.then` for a store that waits: each
   * await would be a promise and a microtask more on every miss.
   */
  private afterRead(key: string, claims: TokenClaims, read: IssuedRead | GatewayError, now: number): Verdict<T> | Promise<Verdict<T>> {
    if (read instanceof GatewayError) return this.refused(key, read);
    if (!(read instanceof Promise)) return this.admitted(key, claims, read, now);
    return read.then(
      (record) => {
        this.inflight.delete(key);
        return this.admitted(key, claims, record, now);
      },
      () => {
        this.inflight.delete(key);
        return this.refused(key, rejection('token_store_stale'));
      },
    );
  }

  private admitted(key: string, claims: TokenClaims, record: TokenRecord | undefined, now: number): VerifiedToken<T> | GatewayError {
    try {
      return this.admit(key, claims, record, now);
    } catch (err) {
      return this.refused(key, err);
    }
  }

  /** The store's record agrees with the claims: the entry is built, cached and returned. Throws the refusal. */
  private admit(key: string, claims: TokenClaims, record: TokenRecord | undefined, now: number): VerifiedToken<T> {
    const notIssued = checkIssued(claims, record);
    if (notIssued !== undefined) throw rejection(notIssued);
    const unbound = this.o.checkRecord?.(record!);
    if (unbound !== undefined) throw rejection(unbound);
    // A revocation the store has and the state not yet (it is on its way): the state learns it now
    // (idempotent, as StateSync will apply it), so this entry is refused here and on every hit.
    if (record!.revokedAt !== null) this.o.state.revoke(claims.tokenId, claims.expiresAt);
    const entry: VerifiedToken<T> = { claims, extra: this.o.prepare(claims, record!), scope: this.o.scopeChecker?.(claims.scopes), cacheKey: key };
    // The entry never outlives the token (STYLE habit 9).
    const ttl = Math.max(1, (claims.expiresAt + this.o.skewSeconds - now) * 1000);
    this.cache.set(key, entry, { ttl });
    return entry;
  }

  private refused(key: string, err: unknown): GatewayError {
    const code = err instanceof GatewayError ? err.code : 'token_malformed';
    if (NEGATIVE_CACHEABLE.has(code)) this.negative?.set(key, code);
    return this.fail(code);
  }

  /**
   * A later verdict on a verified token (the API refused its replayed credential): the entry and
   * what it holds (a ready Authorization header) leave memory, and the token is answered `code`
   * for `ttlSeconds` without a new verification. Without a negative cache, only the entry is dropped.
   */
  distrust(entry: VerifiedToken<unknown>, code: ErrorCode, ttlSeconds: number): void {
    this.cache.delete(entry.cacheKey);
    if (ttlSeconds > 0) this.negative?.set(entry.cacheKey, code, { ttl: ttlSeconds * 1000 });
  }

  private finish(entry: VerifiedToken<T>, key: string): VerifiedToken<T> | GatewayError {
    const bad = checkClaims(entry.claims, this.o.state, this.o.clock.now() / 1000, this.o.skewSeconds);
    if (bad !== undefined) {
      // Revoked or expired: the entry (and any credential in it) leaves memory now, not at eviction.
      this.cache.delete(key);
      return this.fail(bad);
    }
    return this.valid(entry);
  }

  private valid(entry: VerifiedToken<T>): VerifiedToken<T> {
    this.o.observer?.result('valid');
    return entry;
  }

  private fail(code: ErrorCode): GatewayError {
    this.o.observer?.result(code);
    return rejection(code);
  }
}
