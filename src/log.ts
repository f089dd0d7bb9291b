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

export type { Logger };
