import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { loadUpstreamTls, type UpstreamTls } from './upstream-tls.js';

/** The log fields of an upstream failure: its code and message, never a header or a body. */
export function upstreamCause(err: unknown): { cause?: string; reason?: string } {
  if (!(err instanceof Error)) return {};
  const code = (err as NodeJS.ErrnoException).code;
  return { ...(code ? { cause: code } : {}), reason: err.message };
}

/** upstream.tls read at start; rejectUnauthorized: false is said loudly, once. */
export function upstreamTls(config: GatewayConfig, log: Logger): UpstreamTls | undefined {
  const tls = loadUpstreamTls(config.upstream);
  if (tls && !tls.rejectUnauthorized) {
    log.warn({ upstream: config.upstream.url }, 'upstream.tls.rejectUnauthorized is false: ANY certificate is accepted, so anyone on the path can read every token and password sent upstream. Use upstream.tls.ca for a private CA instead.');
  }
  return tls;
}
