import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs (pino: fast, well kept). Secrets never reach a log line: the code does
 * not log credentials, and these paths are redacted in case an object carrying them slips in.
 */
const REDACT_PATHS = [
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'password', '*.password', 'passphrase', '*.passphrase', 'token', '*.token', 'access_token', '*.access_token',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: 'hlgw' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}

/** The access log's logger, and how to push out what it has buffered. */
export interface AccessLogger {
  readonly log: Logger;
  /** Writes what is buffered now (on a timer, and synchronously at shutdown). */
  flush(sync: boolean): void;
}

/**
 * The access log's logger (src/http/access-log.ts): `log`'s destination, without redaction, and
 * buffered. An access line is built only from fields that cannot hold a secret, and redaction's
 * wildcard paths cost a request more than the rest of its line (`node bench/micro/access-line.mjs`).
 * When `log` writes to a file descriptor (stdout by default), the access lines go to the same one
 * through their own asynchronous buffer, written in chunks of about 2 KiB (under PIPE_BUF, so a chunk
 * is never split by another writer on a pipe) off the event loop: a synchronous write per line
 * was most of what the access log cost a request (the profile of gateway-bearer-hot+access-log).
 * A crash loses at most the buffer; a stop flushes it.
 */
export function createAccessLogger(log: Logger): AccessLogger {
  const stream = (log as unknown as Record<symbol, pino.DestinationStream & { fd?: unknown }>)[pino.symbols.streamSym];
  const fd = stream?.fd;
  if (typeof fd !== 'number') {
    // Any other stream (tests capture lines in memory): used as it is, nothing buffered here.
    return { log: pino({ level: 'info', base: { service: 'hlgw' } }, stream).child({ log: 'access' }), flush() {} };
  }
  const dest = pino.destination({ fd, sync: false, minLength: 2048 });
  return {
    log: pino({ level: 'info', base: { service: 'hlgw' } }, dest).child({ log: 'access' }),
    flush(sync) {
      try {
        if (sync) dest.flushSync();
        else dest.flush();
      } catch {
        // Not ready yet (nothing written) or already closed: nothing to push out.
      }
    },
  };
}

export type { Logger };
