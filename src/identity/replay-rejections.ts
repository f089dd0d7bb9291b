import type { IncomingMessage, ServerResponse } from 'node:http';
import { rejection } from '../errors.js';
import type { ErrorResponder } from '../http/error-responses.js';
import { ReplayedCredential } from './basic-mode.js';
import type { TokenValidator, VerifiedToken } from '../token/validator.js';

/**
 * Basic mode: an upstream 401 to a replayed credential means the password changed (or the
 * account was locked) upstream. The client gets our own 401 `credential_rejected` (RFC 6750
 * invalid_token, "credential changed, renew the token") instead of the API's Basic challenge,
 * which a Bearer client could not act on; the token is negative-cached for `ttlSeconds`, so the
 * gateway does not keep replaying a refused password (and feeding the API's lockout counter).
 */
/**
 * On a request in flight that carries a replayed credential: the cache entry it came from. A
 * property of the request rather than a WeakMap entry per request, which the garbage collector
 * would walk as an ephemeron at every scavenge.
 */
const REPLAYED = Symbol('hlgw.replayed');
type Tagged = IncomingMessage & { [REPLAYED]?: VerifiedToken<unknown> | undefined };

export class ReplayRejections {
  constructor(
    private readonly validator: Pick<TokenValidator<unknown>, 'distrust'>,
    private readonly errors: ErrorResponder,
    private readonly ttlSeconds: number,
    private readonly onRejected: (req: IncomingMessage) => void,
  ) {}

  /** Only entries whose identity is a replayed credential: another portfolio's mode may differ. */
  track(req: IncomingMessage, entry: VerifiedToken<unknown>): void {
    if (entry.extra instanceof ReplayedCredential) (req as Tagged)[REPLAYED] = entry;
  }

  /** The forwarder's hook (ForwarderOptions.onUpstreamStatus): true when the client was answered here. */
  onUpstreamStatus = (req: IncomingMessage, res: ServerResponse, status: number): boolean => {
    if (status !== 401) return false;
    const entry = (req as Tagged)[REPLAYED];
    if (entry === undefined) return false;
    (req as Tagged)[REPLAYED] = undefined;
    this.validator.distrust(entry, 'credential_rejected', this.ttlSeconds);
    this.onRejected(req);
    this.errors.send(res, rejection('credential_rejected'));
    return true;
  };
}
