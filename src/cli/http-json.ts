import { CliError } from './cli-error.js';

/** Given a 404's parsed body, the one-line hint saying what to change, or undefined (a real "no such thing"). */
export type NotFoundHint = (body: unknown) => string | undefined;

/** An hlgw endpoint's error body carries a `code` (src/http/error-responses.ts); the admin port's bare 404 and other servers' do not. */
export const isGatewayError = (body: unknown): boolean => isObject(body) && typeof body.code === 'string';

/**
 * One JSON exchange with a gateway, for the CLI. Whatever goes wrong (nothing listening, a TLS
 * problem, a proxy's HTML page, JSON of another shape) ends as one CliError line naming the URL
 * and what came back, never as a stack trace or a TypeError further down.
 */
export async function requestJson<T>(url: string, init: RequestInit, isExpected: (body: unknown) => body is T, what: string, hint404?: NotFoundHint): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    const cause = (err as Error).cause;
    const reason = cause instanceof Error ? `${(cause as NodeJS.ErrnoException).code ? (cause as NodeJS.ErrnoException).code + ': ' : ''}${cause.message}` : (err as Error).message;
    throw new CliError(`cannot reach ${url}: ${reason}`);
  }
  const text = await res.text().catch(() => '');
  const body = parseJson(text);
  if (!res.ok) {
    // A 404 that is not an hlgw endpoint's own answer is a wrong URL or a feature turned off: the caller knows which setting to name.
    const hint = res.status === 404 ? hint404?.(body) : undefined;
    if (hint) throw new CliError(`HTTP 404 from ${url}: ${hint}`);
    if (body && typeof body === 'object' && ('code' in body || 'error' in body)) {
      const j = body as { error_description?: string; code?: string; error?: string };
      const retry = res.headers.get('retry-after');
      throw new CliError(`HTTP ${res.status} from ${url}: ${j.error_description ?? j.error ?? ''} (${j.code ?? j.error ?? res.status})${retry ? `; retry after ${retry} s` : ''}`);
    }
    throw new CliError(`HTTP ${res.status} from ${url}: ${glimpse(res, text)} (is this an hlgw gateway? check the URL)`);
  }
  if (!isExpected(body)) throw new CliError(`unexpected answer from ${url} (HTTP ${res.status}): expected ${what}, got ${glimpse(res, text)} (is this an hlgw gateway? check the URL)`);
  return body;
}

function parseJson(text: string): unknown {
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** What came back, in a few words: the content type and the start of the body on one line. */
function glimpse(res: Response, text: string): string {
  const type = res.headers.get('content-type')?.split(';')[0] ?? 'no content type';
  const start = text.replace(/\s+/g, ' ').trim().slice(0, 60);
  return start ? `${type} "${start}${text.length > 60 ? '…' : ''}"` : `${type}, empty body`;
}

/** Shape checks for `requestJson`: only what the command then reads. */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export function hasArray<K extends string>(key: K) {
  return (v: unknown): v is Record<K, unknown[]> => isObject(v) && Array.isArray(v[key]);
}
export function hasString<K extends string>(key: K) {
  return (v: unknown): v is Record<K, string> => isObject(v) && typeof v[key] === 'string';
}
