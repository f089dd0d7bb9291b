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

/**
 * The access log's logger (src/http/access-log.ts): `log`'s destination, without redaction. An
 * access line is built only from fields that cannot hold a secret, and redaction's wildcard paths
 * cost a request more than the rest of its line (`node bench/micro/access-line.mjs`).
 */
export function createAccessLogger(log: Logger): Logger {
  const stream = (log as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym];
  return pino({ level: 'info', base: { service: 'hlgw' } }, stream).child({ log: 'access' });
}

export type { Logger };
