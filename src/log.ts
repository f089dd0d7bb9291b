import { fstatSync } from 'node:fs';
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

/** Where the access log's lines go (src/http/access-log.ts builds them), and how to push out what is buffered. */
export interface AccessLogger {
  /** One complete JSON line, newline included. */
  write(line: string): void;
  /** Writes what is buffered now (on a timer, and synchronously at shutdown). */
  flush(sync: boolean): void;
}

/** Under PIPE_BUF (4096): on a pipe, a chunk is never split by another writer. */
const CHUNK = 2048;

/**
 * The access log's sink (src/http/access-log.ts): `log`'s destination, without pino's serialisation
 * or redaction, and buffered. An access line is built only from fields that cannot hold a secret.
 * When `log` writes to a file descriptor (stdout by default), the access lines go to the same one
 * through their own buffer, written in chunks of about 2 KiB, never a write per line:
 * - to a regular file, synchronously: a write to the page cache cannot wait on a reader, while
 *   handing each chunk to libuv's thread pool cost a request more than the line itself (the worker
 *   thread's wake-ups on a shared core). Larger chunks saved system time and cost as much user
 *   time in sonic-boom's buffer (`node bench/micro/access-line.mjs`);
 * - to a pipe, socket or terminal, off the event loop (libuv's thread pool): a slow reader must
 *   never stop the gateway.
 * A crash loses at most the buffer (and the last second: the access log flushes every second); a stop flushes it.
 */
export function createAccessLogger(log: Logger): AccessLogger {
  const stream = (log as unknown as Record<symbol, pino.DestinationStream & { fd?: unknown }>)[pino.symbols.streamSym];
  const fd = stream?.fd;
  if (typeof fd !== 'number') {
    // Any other stream (tests capture lines in memory): used as it is, nothing buffered here.
    return { write: (line) => void stream?.write(line), flush() {} };
  }
  const dest = pino.destination({ fd, sync: isRegularFile(fd), minLength: CHUNK });
  return {
    write: (line) => void dest.write(line),
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

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

export type { Logger };
